import { Aws, CfnOutput, Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import { CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AccountRecovery, CfnManagedLoginBranding, CfnUserPoolGroup, FeaturePlan, ManagedLoginVersion, Mfa, OAuthScope, ResourceServerScope,
  StandardThreatProtectionMode, UserPool, UserPoolClient, UserPoolClientIdentityProvider, UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { IttmonFunction } from './function.ts';
import { acknowledge, allow, allowKey, allowTable, arnToken, TABLE_REVIEW } from './grants.ts';

/** The OAuth scopes scripts need on /api/*: `ittmon/review.read` for GET, `ittmon/review.decide` for POST. */
export const REVIEW_SCOPE_PREFIX = 'ittmon';

/**
 * The review API and page behind an HTTP API. Browsers sign in with the user pool's managed login
 * (a Cognito domain; authorization code with PKCE; public client, so PKCE binds the code) and the
 * app keeps an encrypted session cookie. Scripts send bearer access tokens on /api/*, which the
 * JWT authorizer checks for the review scopes before the app verifies them again. Groups
 * `viewer`, `reviewer`, `admin` map to the app's roles.
 * Failure impact: reviewers cannot read or decide until it is back; no data is lost (decisions are
 * only written when they succeed). Replay: none — reviewers retry.
 */
export class ReviewApi extends Construct {
  readonly api: HttpApi;
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  readonly fn: IttmonFunction;

  constructor(scope: Construct, id: string, props: { key: IKey; table: ITable; configBucket: IBucket; reviewUrl?: string; pseudonymise?: boolean; reservedConcurrency?: number; domainPrefix?: string }) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Reviewers', {
      selfSignUpEnabled: false, signInAliases: { email: true },
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: Mfa.REQUIRED, mfaSecondFactor: { otp: true, sms: false },
      // Plus includes threat protection: compromised credentials and risky sign-ins are blocked, not only logged.
      featurePlan: FeaturePlan.PLUS, standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: AccountRecovery.EMAIL_ONLY, removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [role, description] of [['viewer', 'Reads flags'], ['reviewer', 'Decides flags'], ['admin', 'Administers the monitor']]) {
      new CfnUserPoolGroup(this, `Group-${role}`, { userPoolId: this.userPool.userPoolId, groupName: role, description: description! });
    }
    const secret = new Secret(this, 'Secret', { description: 'Signs CSRF tokens and pseudonyms of the review page', encryptionKey: props.key, generateSecretString: { passwordLength: 64, excludePunctuation: true } });
    acknowledge(secret, { 'AwsSolutions-SMG4': 'The secret is a signing key for CSRF tokens and pseudonyms; rotating it only invalidates open forms and changes pseudonyms, so it is rotated by redeploying, not by a rotation Lambda.' });

    this.api = new HttpApi(this, 'Api', { description: 'ITT Monitor review API and page', createDefaultStage: true });
    const reviewUrl = props.reviewUrl ?? this.api.apiEndpoint;

    // Managed login on a Cognito domain (the prefix is global per region: account and stack path make it unique).
    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `ittmon-${Aws.ACCOUNT_ID}-${Names.uniqueId(this).slice(-8).toLowerCase()}` },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    const read = new ResourceServerScope({ scopeName: 'review.read', scopeDescription: 'Read flags, their audit trail and CSV' });
    const decide = new ResourceServerScope({ scopeName: 'review.decide', scopeDescription: 'Record decisions and reveal pseudonymised persons' });
    const server = this.userPool.addResourceServer('Scopes', { identifier: REVIEW_SCOPE_PREFIX, userPoolResourceServerName: 'ITT Monitor review API', scopes: [read, decide] });
    this.client = this.userPool.addClient('Client', {
      // Public client: the secret would sit in the Lambda anyway; PKCE (S256, sent by the app) binds each code to its sign-in.
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE, ...[read, decide].map((x) => OAuthScope.custom(`${REVIEW_SCOPE_PREFIX}/${x.scopeName}`))],
        callbackUrls: [`${reviewUrl}/auth/callback`], logoutUrls: [`${reviewUrl}/signed-out`],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      accessTokenValidity: Duration.hours(1), idTokenValidity: Duration.hours(1), refreshTokenValidity: Duration.hours(8),
      enableTokenRevocation: true, preventUserExistenceErrors: true,
    });
    this.client.node.addDependency(server); // the scopes must exist before the client names them
    new CfnManagedLoginBranding(this, 'LoginBranding', { userPoolId: this.userPool.userPoolId, clientId: this.client.userPoolClientId, useCognitoProvidedValues: true });
    this.fn = new IttmonFunction(this, 'Function', {
      name: 'review-api', key: props.key, timeout: Duration.seconds(15), memorySize: 512,
      description: 'Serves the review API and page',
      environment: {
        TABLE_NAME: props.table.tableName, CONFIG_BUCKET: props.configBucket.bucketName, REVIEW_URL: reviewUrl, REVIEW_SECRET_ARN: secret.secretArn, ITTMON_PSEUDONYMISE: String(props.pseudonymise ?? false),
        COGNITO_ISSUER: this.userPool.userPoolProviderUrl, COGNITO_CLIENT_ID: this.client.userPoolClientId, COGNITO_DOMAIN_URL: this.domain.baseUrl(), REVIEW_SCOPE_PREFIX,
      },
      // Reserved, so that a backfill of the ingest functions cannot starve reviewers.
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
    });
    allowTable(this.fn, props.table, TABLE_REVIEW, true);
    allow(this.fn, ['s3:GetObject'], [props.configBucket.arnForObjects('*')]);
    allow(this.fn, ['secretsmanager:GetSecretValue'], [secret.secretArn]);
    acknowledge(this.fn, {
      [`AwsSolutions-IAM5[Resource::${arnToken(props.table)}/index/*]`]: 'The flag table\'s global secondary indexes (review queue, by dataset, by person).',
      [`AwsSolutions-IAM5[Resource::${arnToken(props.configBucket)}/*]`]: 'Reads the config bucket\'s objects: ittmon.yaml names the directory and catalog it shows.',
    });
    allowKey(this.fn, props.key, false);

    // Scripts: a bearer access token with the review scopes, checked here and again by the app.
    const authorizer = new HttpJwtAuthorizer('Cognito', this.userPool.userPoolProviderUrl, { jwtAudience: [this.client.userPoolClientId] });
    const integration = new HttpLambdaIntegration('Review', this.fn);
    this.api.addRoutes({ path: '/api/{proxy+}', methods: [HttpMethod.GET], integration, authorizer, authorizationScopes: [`${REVIEW_SCOPE_PREFIX}/${read.scopeName}`] });
    this.api.addRoutes({ path: '/api/{proxy+}', methods: [HttpMethod.POST], integration, authorizer, authorizationScopes: [`${REVIEW_SCOPE_PREFIX}/${decide.scopeName}`] });
    // Browsers: no bearer token exists before sign-in; the app sends them to /login and checks the session cookie.
    const pages = [
      ...this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.GET, HttpMethod.POST, HttpMethod.HEAD], integration }),
      ...this.api.addRoutes({ path: '/', methods: [HttpMethod.GET, HttpMethod.HEAD], integration }),
    ];
    for (const route of pages) {
      acknowledge(route, { 'AwsSolutions-APIG4': 'Page routes must reach the app before sign-in (a browser has no bearer token): the app redirects to Cognito managed login and accepts only its own encrypted session cookie, verified against the user pool (issuer, client id, expiry, token_use) on sign-in and refresh. /api/* keeps the JWT authorizer with scopes.' });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_YEAR, encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
    const stage = this.api.defaultStage!.node.defaultChild as CfnStage;
    stage.accessLogSettings = { destinationArn: accessLogs.logGroupArn, format: JSON.stringify({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', user: '$context.authorizer.claims.email', method: '$context.httpMethod', path: '$context.path', status: '$context.status', latency: '$context.responseLatency' }) };
    stage.defaultRouteSettings = { throttlingBurstLimit: 50, throttlingRateLimit: 20 };
    new CfnOutput(scope, 'ReviewApiUrl', { value: this.api.apiEndpoint, description: 'The review API and page' });
    new CfnOutput(scope, 'ReviewUrl', { value: `${reviewUrl}/`, description: 'Open in a browser: the review page (sign-in with the user pool\'s managed login)' });
    new CfnOutput(scope, 'SignInDomain', { value: this.domain.baseUrl(), description: 'Cognito managed login for reviewers' });
    new CfnOutput(scope, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Add reviewers here (groups viewer, reviewer, admin)' });
    new CfnOutput(scope, 'UserPoolClientId', { value: this.client.userPoolClientId });
  }
}
