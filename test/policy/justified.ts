/**
 * Permissions the stack grants that no recorded call or modelled flow uses, each with the reason it
 * stays. Keys are `grantee action resource` as the policy report prints them (grantee: the function
 * or service principal; resource: logical ids without CDK's hash). The policy test fails on a grant
 * that is unused and not here, and on an entry here that no longer matches an unused grant.
 */
const CDK_DLQ = 'CDK\'s SqsDestination/SqsDlq grant (queue.grantSendMessages) for the function\'s encrypted on-failure queue: Lambda needs only sqs:SendMessage with kms:GenerateDataKey and kms:Decrypt, but CDK grants the set; narrowing it means replacing CDK\'s destination construct.';
const CDK_S3_NOTIFY = 'CDK\'s SqsDestination for S3 notifications adds these to the queue and key policies for s3.amazonaws.com (limited by aws:SourceArn to the notifying bucket); S3 itself needs only sqs:SendMessage, kms:GenerateDataKey and kms:Decrypt.';
const CDK_NOTIFICATIONS_HANDLER = 'CDK\'s own custom resource (Custom::S3BucketNotifications) that sets the bucket notification at deploy time; it is not a monitor function and runs only during cdk deploy.';

const SFN_LOGS = 'Step Functions delivers its execution logs through CloudWatch Logs vended delivery, which needs these actions on * (AWS: "IAM policies for logging to CloudWatch Logs"); CDK adds them for the state machine\'s log group.';
const SFN_XRAY = 'Active tracing of the state machine: X-Ray supports no resource-level permissions.';
const SFN_CHILDREN = 'The Distributed Map starts, describes, stops and redrives its own child executions; CDK grants these on the state machine and its executions.';


export const JUSTIFIED: Record<string, string> = {
  'LargeObjectsStateMachineRole logs:CreateLogDelivery *': SFN_LOGS,
  'LargeObjectsStateMachineRole logs:DeleteLogDelivery *': SFN_LOGS,
  'LargeObjectsStateMachineRole logs:DescribeLogGroups *': SFN_LOGS,
  'LargeObjectsStateMachineRole logs:DescribeResourcePolicies *': SFN_LOGS,
  'LargeObjectsStateMachineRole logs:GetLogDelivery *': SFN_LOGS,
  'LargeObjectsStateMachineRole logs:ListLogDeliveries *': SFN_LOGS,
  'LargeObjectsStateMachineRole logs:PutResourcePolicy *': SFN_LOGS,
  'LargeObjectsStateMachineRole logs:UpdateLogDelivery *': SFN_LOGS,
  'LargeObjectsStateMachineRole xray:GetSamplingRules *': SFN_XRAY,
  'LargeObjectsStateMachineRole xray:GetSamplingTargets *': SFN_XRAY,
  'LargeObjectsStateMachineRole xray:PutTelemetryRecords *': SFN_XRAY,
  'LargeObjectsStateMachineRole xray:PutTraceSegments *': SFN_XRAY,
  'BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691 logs:CreateLogGroup *': CDK_NOTIFICATIONS_HANDLER,
  'BucketNotificationsHandler050a0587b7544547bf325f094a3db8347ECC3691 s3:PutBucketNotification IngestionLogs': CDK_NOTIFICATIONS_HANDLER,
  'ingest-object sqs:GetQueueUrl IngestionQueue': 'CDK\'s SqsEventSource grant (queue.grantConsumeMessages); the event source mapping uses ReceiveMessage, DeleteMessage, ChangeMessageVisibility and GetQueueAttributes.',
  'ingest-stream kms:Encrypt DataKey': CDK_DLQ,
  'ingest-stream kms:ReEncrypt* DataKey': CDK_DLQ,
  'ingest-stream sqs:GetQueueAttributes StreamsDeadLetters': CDK_DLQ,
  'ingest-stream sqs:GetQueueUrl StreamsDeadLetters': CDK_DLQ,
  'publish kms:Encrypt DataKey': CDK_DLQ,
  'publish kms:ReEncrypt* DataKey': CDK_DLQ,
  'publish sqs:GetQueueAttributes PublisherDeadLetters': CDK_DLQ,
  'publish sqs:GetQueueUrl PublisherDeadLetters': CDK_DLQ,
  'publish kms:DescribeKey DataKey': 'CDK\'s DynamoEventSource grant for reading the stream of a table with a customer managed key (table.grantStreamRead adds kms:DescribeKey with kms:Decrypt).',
  'logs.us-east-1.amazonaws.com kms:GenerateDataKeyWithoutPlaintext *': 'The CloudWatch Logs key policy documented by AWS grants kms:GenerateDataKey*; the statement names both variants explicitly, limited to this account\'s log groups by kms:EncryptionContext:aws:logs:arn.',
  's3.amazonaws.com kms:Encrypt *': CDK_S3_NOTIFY,
  's3.amazonaws.com kms:ReEncrypt* *': CDK_S3_NOTIFY,
  's3.amazonaws.com sqs:GetQueueAttributes IngestionQueue': CDK_S3_NOTIFY,
  's3.amazonaws.com sqs:GetQueueUrl IngestionQueue': CDK_S3_NOTIFY,
  'ReplayStateMachineRole logs:CreateLogDelivery *': SFN_LOGS,
  'ReplayStateMachineRole logs:DeleteLogDelivery *': SFN_LOGS,
  'ReplayStateMachineRole logs:DescribeLogGroups *': SFN_LOGS,
  'ReplayStateMachineRole logs:DescribeResourcePolicies *': SFN_LOGS,
  'ReplayStateMachineRole logs:GetLogDelivery *': SFN_LOGS,
  'ReplayStateMachineRole logs:ListLogDeliveries *': SFN_LOGS,
  'ReplayStateMachineRole logs:PutResourcePolicy *': SFN_LOGS,
  'ReplayStateMachineRole logs:UpdateLogDelivery *': SFN_LOGS,
  'ReplayStateMachineRole xray:GetSamplingRules *': SFN_XRAY,
  'ReplayStateMachineRole xray:GetSamplingTargets *': SFN_XRAY,
  'ReplayStateMachineRole xray:PutTelemetryRecords *': SFN_XRAY,
  'ReplayStateMachineRole xray:PutTraceSegments *': SFN_XRAY,
  'ReplayStateMachineRole states:StartExecution ReplayStateMachine': SFN_CHILDREN,
  'ReplayStateMachineRole states:DescribeExecution arn:aws:states:${Region}:${Account}:execution:ITTMonitor-ReplayStateMachine47B38F6F-04245348EC4C:*': SFN_CHILDREN,
  'ReplayStateMachineRole states:StopExecution arn:aws:states:${Region}:${Account}:execution:ITTMonitor-ReplayStateMachine47B38F6F-04245348EC4C:*': SFN_CHILDREN,
  'ReplayStateMachineRole states:RedriveExecution arn:aws:states:${Region}:${Account}:execution:ITTMonitor-ReplayStateMachine47B38F6F-04245348EC4C/*:*': SFN_CHILDREN,
};
