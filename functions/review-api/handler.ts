import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { handle } from 'hono/aws-lambda';
import { createReviewApp } from '#shared/review/app.ts';
import { claimsFromLambdaEnv, reviewerFromClaims } from '#shared/review/identity.ts';
import { configCache, env, flagStore } from '#shared/aws/runtime.ts';

let app: ReturnType<typeof handle> | undefined;

/** The review API and page behind API Gateway (HTTP API, Cognito JWT authorizer): the same app as `ittmon serve`. */
export const handler: ReturnType<typeof handle> = async (event, context) => {
  if (!app) {
    const secret = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: env('REVIEW_SECRET_ARN') }));
    // The review page places no IPs: its bundle has no geo-IP database, so the config is loaded without it.
    const { policy } = await configCache({ geo: false }).get();
    app = handle(createReviewApp({
      store: flagStore(),
      identify: (c) => reviewerFromClaims(claimsFromLambdaEnv(c.env)),
      policy: async () => (await configCache({ geo: false }).get()).policy,
      pseudonymise: process.env.ITTMON_PSEUDONYMISE === 'true' || policy.review.pseudonymise,
      secret: secret.SecretString ?? '',
      linkBase: env('REVIEW_URL'),
    }));
  }
  return app(event, context);
};
