import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge } from './grants.ts';
import { LAMBDA_BUNDLING, LAMBDA_NODE_OPTIONS } from '../bundling.ts';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const GEO_DB = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');

export interface IttmonFunctionProps extends Omit<NodejsFunctionProps, 'entry' | 'runtime' | 'architecture'> {
  /** The folder under functions/ with handler.ts. */
  name: string;
  key: IKey;
  logRetention?: RetentionDays;
  /** Copy the bundled geo-IP database beside the code. */
  geo?: boolean;
}

/**
 * A function of the monitor: Node.js 22 on arm64, bundled and minified by esbuild from
 * functions/{name}/handler.ts, with its own encrypted log group of bounded retention.
 */
export class IttmonFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: IttmonFunctionProps) {
    const { name, key, logRetention, geo, environment, bundling, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: logRetention ?? RetentionDays.ONE_YEAR, encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    super(scope, id, {
      entry: join(ROOT, 'functions', name, 'handler.ts'),
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: `ittmon-${name}`,
        ...(LAMBDA_NODE_OPTIONS ? { NODE_OPTIONS: LAMBDA_NODE_OPTIONS } : {}),
        ...(geo ? { ITTMON_GEO_DB: '/var/task/geo.mmdb' } : {}),
        ...environment,
      },
      // As infra/bundling.ts says, for the CDK's esbuild command line.
      bundling: {
        minify: LAMBDA_BUNDLING.minify,
        logLevel: LogLevel.WARNING,
        sourceMap: LAMBDA_BUNDLING.sourcemap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        target: LAMBDA_BUNDLING.target,
        format: OutputFormat.ESM,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        externalModules: [...LAMBDA_BUNDLING.external],
        banner: LAMBDA_BUNDLING.banner,
        ...(geo ? { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: (_in: string, out: string) => [`cp "${GEO_DB}" "${out}/geo.mmdb"`] } } : {}),
        ...bundling,
      },
      ...rest,
    });
    // Without AWSLambdaBasicExecutionRole (logs:CreateLogGroup, CreateLogStream, PutLogEvents on every
    // log group): the function writes its own log group only.
    (this.role!.node.defaultChild as CfnRole).managedPolicyArns = [];
    logGroup.grantWrite(this);
    acknowledge(this, {
      'AwsSolutions-IAM5[Resource::*]': 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
      'AwsSolutions-L1': 'Node.js 22 is the runtime this code is built, bundled and tested for; a newer one is adopted after testing.',
    });
  }
}
