import type { Stack } from 'aws-cdk-lib';
import { acknowledge } from './constructs/grants.ts';

/** Findings on constructs CDK adds at the stack level, each acknowledged on that construct only. */
export function acknowledgeStackFindings(stack: Stack): void {
  const notifications = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (notifications) acknowledge(notifications, {
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]': 'CDK\'s handler that writes the log buckets\' S3 notification configuration; the managed policy only lets it write its own logs.',
  });
}
