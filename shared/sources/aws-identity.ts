import type { Actor } from '#shared/model/index.ts';
import { emailCandidate } from './common.ts';

/**
 * An AWS principal ARN as account candidates: the ARN itself, and an e-mail when the user or
 * role-session name is one (SSO sessions are named after the person's e-mail).
 */
export function awsArnActor(arn: string): Actor {
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  return { candidates: [`aws:${arn}`, ...emailCandidate(name)], display: name || arn };
}
