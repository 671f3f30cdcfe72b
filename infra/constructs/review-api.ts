import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { CfnStage, HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccountRecovery, CfnUserPoolGroup, FeaturePlan, Mfa, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { IttmonFunction } from './function.ts';
import { acknowledge, allow, allowKey, allowTable, arnToken, TABLE_REVIEW } from './grants.ts';

/**
 * The review API and page behind an HTTP API with a Cognito JWT authorizer; groups `viewer`,
 * `reviewer`, `admin` map to the app's roles.
 * Failure impact: reviewers cannot read or decide until it is back; no data is lost (decisions are
 * only written when they succeed). Replay: none — reviewers retry.
 */
export class ReviewApi extends Construct {
  readonly api: HttpApi;
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly fn: IttmonFunction;

  constructor(scope: Construct, id: string, props: { key: IKey; table: ITable; configBucket: IBucket; reviewUrl?: string; pseudonymise?: boolean; reservedConcurrency?: number }) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Reviewers', {
      selfSignUpEnabled: false, signInAliases: { email: true },
      passwordPolicy: { minLength: 14, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: Mfa.REQUIRED, mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.PLUS,
      accountRecovery: AccountRecovery.EMAIL_ONLY, removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [role, description] of [['viewer', 'Reads flags'], ['reviewer', 'Decides flags'], ['admin', 'Administers the monitor']]) {
      new CfnUserPoolGroup(this, `Group-${role}`, { userPoolId: this.userPool.userPoolId, groupName: role, description: description! });
    }
    this.client = this.userPool.addClient('Client', { authFlows: { userSrp: true }, accessTokenValidity: Duration.hours(1), idTokenValidity: Duration.hours(1), preventUserExistenceErrors: true });
    const secret = new Secret(this, 'Secret', { description: 'Signs CSRF tokens and pseudonyms of the review page', encryptionKey: props.key, generateSecretString: { passwordLength: 64, excludePunctuation: true } });
    acknowledge(secret, { 'AwsSolutions-SMG4': 'The secret is a signing key for CSRF tokens and pseudonyms; rotating it only invalidates open forms and changes pseudonyms, so it is rotated by redeploying, not by a rotation Lambda.' });

    this.api = new HttpApi(this, 'Api', { description: 'ITT Monitor review API and page', createDefaultStage: true });
    const reviewUrl = props.reviewUrl ?? this.api.apiEndpoint;
    this.fn = new IttmonFunction(this, 'Function', {
      name: 'review-api', key: props.key, timeout: Duration.seconds(15), memorySize: 512,
      description: 'Serves the review API and page',
      environment: { TABLE_NAME: props.table.tableName, CONFIG_BUCKET: props.configBucket.bucketName, REVIEW_URL: reviewUrl, REVIEW_SECRET_ARN: secret.secretArn, ITTMON_PSEUDONYMISE: String(props.pseudonymise ?? false) },
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

    const authorizer = new HttpJwtAuthorizer('Cognito', this.userPool.userPoolProviderUrl, { jwtAudience: [this.client.userPoolClientId] });
    this.api.addRoutes({ path: '/{proxy+}', integration: new HttpLambdaIntegration('Review', this.fn), authorizer });
    this.api.addRoutes({ path: '/', integration: new HttpLambdaIntegration('ReviewRoot', this.fn), authorizer });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_YEAR, encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
    const stage = this.api.defaultStage!.node.defaultChild as CfnStage;
    stage.accessLogSettings = { destinationArn: accessLogs.logGroupArn, format: JSON.stringify({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', user: '$context.authorizer.claims.email', method: '$context.httpMethod', path: '$context.path', status: '$context.status', latency: '$context.responseLatency' }) };
    stage.defaultRouteSettings = { throttlingBurstLimit: 50, throttlingRateLimit: 20 };
    new CfnOutput(scope, 'ReviewApiUrl', { value: this.api.apiEndpoint, description: 'The review API and page' });
    new CfnOutput(scope, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Add reviewers here (groups viewer, reviewer, admin)' });
    new CfnOutput(scope, 'UserPoolClientId', { value: this.client.userPoolClientId });
  }
}
