import { handle } from 'hono/aws-lambda';
import type { OidcSettings } from '#shared/review/auth.ts';
import type { ReplayProgress } from '#shared/ingest/replay.ts';
import { env, s3Options } from '#shared/aws/env.ts';

// A reviewer waits for this function's cold start on the first click of the day. The module itself
// loads almost nothing; the first request loads what the review path needs, at once and no more:
// the review app, sign-in, the DynamoDB store, Secrets Manager, and the config from S3 (parsed
// without the geo-IP database). Not the log parsers, the pipeline, nor the other AWS clients.
const load = () => Promise.all([
  import('@aws-sdk/client-secrets-manager'), import('@aws-sdk/client-dynamodb'), import('@aws-sdk/client-s3'),
  import('#shared/review/app.ts'), import('#shared/review/auth.ts'), import('#shared/store/dynamo.ts'), import('#shared/aws/config.ts'),
]);

/** The replay panel's port, loading the Step Functions client only when the page is first opened. */
function lazyReplays(stateMachineArn: string): ReplayProgress {
  let progress: Promise<ReplayProgress> | undefined;
  const load = async () => {
    const [{ SFNClient }, { stepFunctionsProgress }] = await Promise.all([import('@aws-sdk/client-sfn'), import('#shared/aws/replay.ts')]);
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
    const [{ GetSecretValueCommand, SecretsManagerClient }, { DynamoDBClient }, { S3Client }, { createReviewApp }, { createOidcAuth }, { DynamoFlagStore }, { ConfigCache }] = await load();
    // The review page places no IPs: its bundle has no geo-IP database, so the config is loaded without it.
    const config = new ConfigCache(new S3Client(s3Options()), env('CONFIG_BUCKET'), undefined, undefined, undefined, false);
    // The secret and the provider's discovery, and the config, at once: each waits on the network.
    const secretRead = new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env('REVIEW_SECRET_ARN') })).then((r) => r.SecretString ?? '');
    const [secret, auth, { policy }] = await Promise.all([secretRead, secretRead.then((s) => createOidcAuth(cognitoSettings(process.env, s))), config.get()]);
    app = handle(createReviewApp({
      store: new DynamoFlagStore(new DynamoDBClient({}), env('TABLE_NAME')),
      auth,
      policy: async () => (await config.get()).policy,
      pseudonymise: process.env.ITTMON_PSEUDONYMISE === 'true' || policy.review.pseudonymise,
      secret,
      linkBase: env('REVIEW_URL'),
      ...(process.env.REPLAY_STATE_MACHINE_ARN ? { replays: lazyReplays(process.env.REPLAY_STATE_MACHINE_ARN) } : {}),
    }));
  }
  return app(event, context);
};
