import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { handle } from 'hono/aws-lambda';
import { createReviewApp } from '#shared/review/app.ts';
import { createOidcAuth, type OidcSettings } from '#shared/review/auth.ts';
import type { ReplayProgress } from '#shared/ingest/replay.ts';
import { stepFunctionsProgress } from '#shared/aws/replay.ts';
import { DynamoFlagStore } from '#shared/store/dynamo.ts';
import { ConfigCache } from '#shared/aws/config.ts';
import { env, s3Options } from '#shared/aws/env.ts';

// A reviewer waits for this function's cold start on the first click of the day. The bundle holds
// the review path only: the review app, sign-in, the DynamoDB store, Secrets Manager, and the config
// from S3 (parsed without the geo-IP database); not the log parsers, the pipeline, nor the other AWS
// clients (test/unit/bundle-contents.test.ts). All of it serves the first request, so it is imported
// statically, which lets esbuild keep only the SDK commands used (a module behind a dynamic import
// is kept whole, with every command of the SDK clients it imports); the Step Functions client alone
// waits for the replay panel.

/** The replay panel's port, loading the Step Functions client only when the page is first opened. */
function lazyReplays(stateMachineArn: string): ReplayProgress {
  let progress: Promise<ReplayProgress> | undefined;
  const load = async () => {
    const { SFNClient } = await import('@aws-sdk/client-sfn');
    return stepFunctionsProgress(new SFNClient({}), stateMachineArn);
  };
  return { recent: async () => (await (progress ??= load())).recent() };
}

let app: ReturnType<typeof handle> | undefined;

/**
 * Sign-in with the Cognito user pool's managed login: the pool is the issuer, the app client
 * signs browsers in (code + PKCE) and scripts bring access tokens with the review scopes.
 * Cognito has no end_session_endpoint; its /logout takes client_id and logout_uri.
 */
export function cognitoSettings(e: Record<string, string | undefined>, secret: OidcSettings['secret']): OidcSettings {
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
    // The review page places no IPs: its bundle has no geo-IP database, so the config is loaded without it.
    const config = new ConfigCache(new S3Client(s3Options()), env('CONFIG_BUCKET'), undefined, undefined, undefined, false);
    // Every network wait at once: the secret, the provider's discovery and keys, and the config.
    const secret = new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env('REVIEW_SECRET_ARN') })).then((r) => r.SecretString ?? '');
    const [auth, { policy }, sessionSecret] = await Promise.all([createOidcAuth(cognitoSettings(process.env, secret)), config.get(), secret]);
    app = handle(createReviewApp({
      store: new DynamoFlagStore(new DynamoDBClient({}), env('TABLE_NAME')),
      auth,
      policy: async () => (await config.get()).policy,
      pseudonymise: process.env.ITTMON_PSEUDONYMISE === 'true' || policy.review.pseudonymise,
      secret: sessionSecret,
      linkBase: env('REVIEW_URL'),
      ...(process.env.REPLAY_STATE_MACHINE_ARN ? { replays: lazyReplays(process.env.REPLAY_STATE_MACHINE_ARN) } : {}),
    }));
  }
  return app(event, context);
};
