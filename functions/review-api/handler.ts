import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { handle } from 'hono/aws-lambda';
import { stepFunctionsProgress } from '#shared/aws/replay.ts';
import { createReviewApp } from '#shared/review/app.ts';
import { createOidcAuth, type OidcSettings } from '#shared/review/auth.ts';
import { configCache, env, flagStore } from '#shared/aws/runtime.ts';

let app: ReturnType<typeof handle> | undefined;

/**
 * Sign-in with the Cognito user pool's managed login: the pool is the issuer, the app client
 * signs browsers in (code + PKCE) and scripts bring access tokens with the review scopes.
 * Cognito has no end_session_endpoint; its /logout takes client_id and logout_uri.
 */
export function cognitoSettings(e: Record<string, string | undefined>, secret: string): OidcSettings {
  const need = (name: string) => {
    const v = e[name];
    if (!v) throw new Error(`the review-api function needs ${name} (set by the CDK stack)`);
    return v;
  };
  const domain = need('COGNITO_DOMAIN_URL').replace(/\/$/, '');
  const clientId = need('COGNITO_CLIENT_ID');
  const scope = need('REVIEW_SCOPE_PREFIX');
  return {
    issuer: need('COGNITO_ISSUER'), clientId, baseUrl: need('REVIEW_URL').replace(/\/$/, ''), secret,
    rolesClaim: 'cognito:groups', scopes: ['openid', 'email', 'profile'],
    apiScopes: { read: [`${scope}/review.read`], decide: [`${scope}/review.decide`] },
    logoutUrl: (back) => `${domain}/logout?${new URLSearchParams({ client_id: clientId, logout_uri: back })}`,
  };
}

/** The review API and page behind API Gateway: the same app as `ittmon serve`, signed in through Cognito. */
export const handler: ReturnType<typeof handle> = async (event, context) => {
  if (!app) {
    const secret = (await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env('REVIEW_SECRET_ARN') }))).SecretString ?? '';
    // The review page places no IPs: its bundle has no geo-IP database, so the config is loaded without it.
    const { policy } = await configCache({ geo: false }).get();
    app = handle(createReviewApp({
      store: flagStore(),
      auth: await createOidcAuth(cognitoSettings(process.env, secret)),
      policy: async () => (await configCache({ geo: false }).get()).policy,
      pseudonymise: process.env.ITTMON_PSEUDONYMISE === 'true' || policy.review.pseudonymise,
      secret,
      linkBase: env('REVIEW_URL'),
      ...(process.env.REPLAY_STATE_MACHINE_ARN ? { replays: stepFunctionsProgress(new SFNClient({}), process.env.REPLAY_STATE_MACHINE_ARN) } : {}),
    }));
  }
  return app(event, context);
};
