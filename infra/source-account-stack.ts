import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AccountPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './constructs/grants.ts';
import { ingestQueueName, readRoleName } from './constructs/log-ingestion.ts';
import type { LogSourceSettings } from './settings.ts';

export interface SourceAccountStackProps extends StackProps {
  /** The monitor's account, region and stack name (from the settings file). */
  monitor: { account: string; region: string; stackName: string };
  /** The log buckets of this account that the monitor reads. */
  sources: LogSourceSettings[];
}

/**
 * Deployed in a source account (`cdk deploy STACK-source-ACCOUNT` with that account's credentials):
 * - for buckets read through a role (`access: assume-role`, the default), the role the monitor's
 *   ingest function assumes, trusted only by that function's role, reading only the named prefixes
 *   and decrypting only through S3;
 * - the S3 notifications of the buckets to the monitor's ingest queue.
 * Failure impact: the monitor cannot read this account's logs; notifications wait in nothing (S3
 * does not retry a refused notification), so re-send them after a fix (README "Replay").
 */
export class SourceAccountStack extends Stack {
  readonly role?: Role;

  constructor(scope: Construct, id: string, props: SourceAccountStackProps) {
    super(scope, id, props);
    const { monitor } = props;
    const queue = Queue.fromQueueArn(this, 'IngestQueue', `arn:${Aws.PARTITION}:sqs:${monitor.region}:${monitor.account}:${ingestQueueName(monitor.stackName)}`);
    const viaRole = props.sources.filter((s) => (s.access ?? 'assume-role') === 'assume-role');
    if (viaRole.length) {
      this.role = new Role(this, 'ReadRole', {
        roleName: readRoleName(monitor.stackName),
        description: `Lets ITT Monitor ${monitor.stackName} (account ${monitor.account}) read access logs`,
        maxSessionDuration: Duration.hours(1),
        assumedBy: new AccountPrincipal(monitor.account).withConditions({ ArnEquals: { 'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${monitor.account}:role/${monitor.stackName}-ingest-object-${monitor.region}` } }),
      });
      for (const s of viaRole) {
        this.role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:${Aws.PARTITION}:s3:::${s.bucket}/${s.prefix}*`] }));
        acknowledge(this.role, { [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${s.bucket}/${s.prefix}*]`]: `The monitor reads the log objects under ${s.prefix || 'the root'} of ${s.bucket}.` });
        if (s.kmsKeyArn) this.role.addToPolicy(new PolicyStatement({ actions: ['kms:Decrypt'], resources: [s.kmsKeyArn], conditions: { StringEquals: { 'kms:ViaService': `s3.${s.kmsKeyArn.split(':')[3]}.amazonaws.com` } } }));
      }
      new CfnOutput(this, 'ReadRoleArn', { value: this.role.roleArn, description: 'The role the monitor\'s ingest function assumes to read this account\'s logs' });
    }
    for (const [i, s] of props.sources.entries()) {
      Bucket.fromBucketName(this, `Bucket${i}`, s.bucket).addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(queue), ...(s.prefix ? [{ prefix: s.prefix }] : []));
    }
    // CDK's own handler that writes the buckets' notification configuration.
    const handler = this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (handler) acknowledge(handler, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': 'CDK\'s handler that writes the buckets\' S3 notification configuration only writes its own logs with it.',
      'AwsSolutions-IAM5[Resource::*]': 'CDK\'s notification handler calls s3:PutBucketNotification, which it grants on * (the buckets are imported by name).',
    });
  }
}
