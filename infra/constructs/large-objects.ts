import { Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { GatewayVpcEndpointAwsService, FlowLogDestination, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Cluster, ContainerImage, ContainerInsights, CpuArchitecture, FargatePlatformVersion, FargateTaskDefinition, LogDrivers, OperatingSystemFamily } from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement, ServicePrincipal, type IRole, type Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, IntegrationPattern, JitterType, JsonPath, LogLevel, StateMachine, TaskInput, Timeout } from 'aws-cdk-lib/aws-stepfunctions';
import { EcsFargateLaunchTarget, EcsRunTask, SqsSendMessage } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ROOT, type IttmonFunction } from './function.ts';
import { acknowledge, allow } from './grants.ts';

export interface LargeObjectsProps {
  key: IKey;
  table: ITable;
  configBucket: IBucket;
  quarantine: IBucket;
  reviewUrl: string;
  /** The ingest function: it hands objects over, and the task runs with its role (the same reads and writes). */
  ingest: IttmonFunction;
  /** Where an object goes when the task failed after its retries (the ingest DLQ: one place to redrive). */
  deadLetters: IQueue;
  /** Compressed objects above this many bytes skip the function (default 2 GiB). */
  maxCompressedBytes?: number;
}

/**
 * Objects one 15-minute invocation cannot read — compressed ones too big or too slow, which
 * cannot be resumed in the middle — go whole to a Step Functions state machine that runs one
 * ECS Fargate task per object: the same core (functions/ingest-large), no time limit, streaming
 * in flat memory. Plain objects never come here: the function resumes them with byte Ranges.
 * Failure impact: the object's flags wait; the task is retried twice, then the object goes to the
 * ingest DLQ as a message that, redriven, starts it again. Nothing is lost; re-running is idempotent.
 */
export class LargeObjects extends Construct {
  readonly stateMachine: StateMachine;
  readonly cluster: Cluster;

  constructor(scope: Construct, id: string, props: LargeObjectsProps) {
    super(scope, id);
    // Public subnets without NAT: the task reaches S3 and DynamoDB through gateway endpoints, and
    // ECR, CloudWatch Logs and Step Functions through its public address (no inbound rule).
    const flowLogs = new LogGroup(this, 'FlowLogs', { encryptionKey: props.key, retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'tasks', subnetType: SubnetType.PUBLIC }],
      gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 }, DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
      flowLogs: { all: { destination: FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
    this.cluster = new Cluster(this, 'Cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });

    const role = props.ingest.role as Role;
    const taskRole = trustEcsTasks(role);
    const task = new FargateTaskDefinition(this, 'Task', { cpu: 2048, memoryLimitMiB: 4096, taskRole, runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX } });
    const logs = new LogGroup(this, 'TaskLogs', { encryptionKey: props.key, retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    const container = task.addContainer('ingest', {
      image: ContainerImage.fromAsset(ROOT, { file: 'functions/ingest-large/Dockerfile', platform: Platform.LINUX_ARM64, exclude: ['node_modules', 'cdk.out', '.git', '.ittmon', 'bench', 'test', 'docs', 'examples', 'cli', 'infra', '*.md'] }),
      logging: LogDrivers.awsLogs({ streamPrefix: 'large', logGroup: logs }),
      environment: { TABLE_NAME: props.table.tableName, CONFIG_BUCKET: props.configBucket.bucketName, QUARANTINE_BUCKET: props.quarantine.bucketName, REVIEW_URL: props.reviewUrl, POWERTOOLS_SERVICE_NAME: 'ittmon-ingest-large' },
    });

    const run = new EcsRunTask(this, 'Read the object', {
      integrationPattern: IntegrationPattern.RUN_JOB, cluster: this.cluster, taskDefinition: task, assignPublicIp: true,
      subnets: { subnetType: SubnetType.PUBLIC }, launchTarget: new EcsFargateLaunchTarget({ platformVersion: FargatePlatformVersion.LATEST }),
      containerOverrides: [{ containerDefinition: container, environment: [{ name: 'ITTMON_OBJECT', value: JsonPath.jsonToString(JsonPath.objectAt('$.ref')) }] }],
      resultPath: JsonPath.DISCARD, taskTimeout: Timeout.duration(Duration.hours(12)),
    });
    run.addRetry({ errors: ['States.ALL'], maxAttempts: 2, interval: Duration.minutes(1), backoffRate: 4, jitterStrategy: JitterType.FULL });
    const giveUp = new SqsSendMessage(this, 'Keep it in the DLQ', { queue: props.deadLetters, messageBody: TaskInput.fromObject({ continuation: { ref: JsonPath.objectAt('$.ref') }, error: JsonPath.objectAt('$.error') }) });
    run.addCatch(giveUp, { resultPath: '$.error' });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(run), timeout: Duration.hours(24), tracingEnabled: true,
      logs: { destination: new LogGroup(this, 'StateMachineLogs', { encryptionKey: props.key, retention: RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN }), level: LogLevel.ALL },
    });

    props.ingest.addEnvironment('LARGE_OBJECT_STATE_MACHINE', this.stateMachine.stateMachineArn);
    props.ingest.addEnvironment('ITTMON_LAMBDA_MAX_COMPRESSED_BYTES', String(props.maxCompressedBytes ?? 2 ** 31));
    allow(props.ingest, ['states:StartExecution'], [this.stateMachine.stateMachineArn]);
    acknowledge(task, { 'AwsSolutions-ECS2': 'The environment holds resource names and a URL, no secrets.' });
    const taskId = Stack.of(this).getLogicalId(task.node.defaultChild as CfnElement);
    const part = (i: number, inner?: number) => (inner === undefined
      ? `{"Fn::Select":[${i},{"Fn::Split":[":",{"Ref":"${taskId}"}]}]}`
      : `{"Fn::Select":[${inner},{"Fn::Split":["/",{"Fn::Select":[${i},{"Fn::Split":[":",{"Ref":"${taskId}"}]}]}]}]}`);
    acknowledge(this, {
      'AwsSolutions-IAM5[Resource::*]': 'Step Functions logs delivery and X-Ray, and ECR GetAuthorizationToken for pulling the image, support no resource-level permissions.',
      [`AwsSolutions-IAM5[Resource::arn:${part(1)}:${part(2)}:${part(3)}:${part(4)}:${part(5, 0)}/${part(5, 1)}:*]`]: 'Runs any revision of the large-object task definition (a new image makes a new revision).',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': 'Sends failed objects to the KMS-encrypted ingest DLQ; limited to the monitor\'s key.',
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': 'Sends failed objects to the KMS-encrypted ingest DLQ; limited to the monitor\'s key.',
    });
  }
}

/** The ingest role, trusted by ECS tasks as well: the task does exactly what the function does. */
function trustEcsTasks(role: Role): IRole {
  role.assumeRolePolicy?.addStatements(new PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new ServicePrincipal('ecs-tasks.amazonaws.com')] }));
  return role;
}
