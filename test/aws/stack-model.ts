import { createHash } from 'node:crypto';
import type { CfnResource, CfnTemplate } from './assembly.ts';

/** The pretend deployment: one account and region, no AWS involved. */
export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const STACK = 'ITTMonitor';

type Attrs = Record<string, string>;
export interface DeployedResource { id: string; type: string; props: Record<string, any>; ref: string; attrs: Attrs; arn?: string }

const fakeId = (id: string, n = 10) => createHash('sha256').update(id).digest('hex').slice(0, n);
const named = (r: CfnResource, prop: string, fallback: string) => (typeof r.Properties?.[prop] === 'string' ? r.Properties[prop] as string : fallback);

/**
 * What CloudFormation would return for a resource: its Ref and attributes, in the shapes the AWS
 * documentation gives (bucket name, queue URL, topic ARN, …). Names not set in the template are
 * generated the way CloudFormation does: stack name, logical id, a suffix.
 */
function physical(id: string, r: CfnResource, account: string, stackName: string): { ref: string; attrs: Attrs } {
  const p = `arn:aws`;
  const gen = `${stackName}-${id}-${fakeId(id, 12).toUpperCase()}`;
  switch (r.Type) {
    case 'AWS::S3::Bucket': {
      const name = named(r, 'BucketName', `${stackName}-${id}-${fakeId(id, 8)}`.toLowerCase().slice(0, 63));
      return { ref: name, attrs: { Arn: `${p}:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${REGION}.amazonaws.com` } };
    }
    case 'AWS::DynamoDB::Table': {
      const name = named(r, 'TableName', gen);
      const arn = `${p}:dynamodb:${REGION}:${account}:table/${name}`;
      return { ref: name, attrs: { Arn: arn, StreamArn: `${arn}/stream/2026-11-29T00:00:00.000` } };
    }
    case 'AWS::SQS::Queue': {
      const name = named(r, 'QueueName', gen);
      const url = `https://sqs.${REGION}.amazonaws.com/${account}/${name}`;
      return { ref: url, attrs: { Arn: `${p}:sqs:${REGION}:${account}:${name}`, QueueName: name, QueueUrl: url } };
    }
    case 'AWS::SNS::Topic': {
      const name = named(r, 'TopicName', gen);
      const arn = `${p}:sns:${REGION}:${account}:${name}`;
      return { ref: arn, attrs: { TopicArn: arn, TopicName: name } };
    }
    case 'AWS::KMS::Key': {
      const keyId = `${fakeId(id, 8)}-1111-2222-3333-${fakeId(`${id}k`, 12)}`;
      return { ref: keyId, attrs: { Arn: `${p}:kms:${REGION}:${account}:key/${keyId}`, KeyId: keyId } };
    }
    case 'AWS::Events::EventBus': {
      const name = named(r, 'Name', gen);
      return { ref: name, attrs: { Arn: `${p}:events:${REGION}:${account}:event-bus/${name}`, Name: name } };
    }
    case 'AWS::Events::Rule': {
      const name = named(r, 'Name', gen);
      const bus = typeof r.Properties?.EventBusName === 'string' && r.Properties.EventBusName !== 'default' ? `${r.Properties.EventBusName}/` : '';
      return { ref: name, attrs: { Arn: `${p}:events:${REGION}:${account}:rule/${bus}${name}` } };
    }
    case 'AWS::SecretsManager::Secret': {
      const name = named(r, 'Name', `${id}-${fakeId(id, 12)}`);
      return { ref: `${p}:secretsmanager:${REGION}:${account}:secret:${name}-AbCdEf`, attrs: { Id: name } };
    }
    // The large-object task's network: ids only, nothing the policy tests evaluate.
    case 'AWS::EC2::VPC': return { ref: `vpc-${fakeId(id, 17)}`, attrs: { CidrBlock: '10.0.0.0/16', DefaultSecurityGroup: `sg-${fakeId(`${id}d`, 17)}` } };
    case 'AWS::EC2::Subnet': return { ref: `subnet-${fakeId(id, 17)}`, attrs: { SubnetId: `subnet-${fakeId(id, 17)}`, AvailabilityZone: `${REGION}a` } };
    case 'AWS::EC2::SecurityGroup': return { ref: `sg-${fakeId(id, 17)}`, attrs: { GroupId: `sg-${fakeId(id, 17)}`, VpcId: 'vpc-0' } };
    case 'AWS::EC2::RouteTable': return { ref: `rtb-${fakeId(id, 17)}`, attrs: { RouteTableId: `rtb-${fakeId(id, 17)}` } };
    case 'AWS::EC2::InternetGateway': return { ref: `igw-${fakeId(id, 17)}`, attrs: { InternetGatewayId: `igw-${fakeId(id, 17)}` } };
    case 'AWS::ECS::Cluster': { const name = named(r, 'ClusterName', gen); return { ref: name, attrs: { Arn: `${p}:ecs:${REGION}:${account}:cluster/${name}` } }; }
    case 'AWS::ECS::TaskDefinition': { const arn = `${p}:ecs:${REGION}:${account}:task-definition/${named(r, 'Family', id)}:1`; return { ref: arn, attrs: { TaskDefinitionArn: arn } }; }
    case 'AWS::Logs::LogGroup': {
      const name = named(r, 'LogGroupName', gen);
      return { ref: name, attrs: { Arn: `${p}:logs:${REGION}:${account}:log-group:${name}:*` } };
    }
    case 'AWS::IAM::Role': {
      const name = named(r, 'RoleName', gen.slice(0, 64));
      return { ref: name, attrs: { Arn: `${p}:iam::${account}:role/${name}`, RoleId: `AROA${fakeId(id, 16).toUpperCase()}` } };
    }
    case 'AWS::IAM::ManagedPolicy': {
      const name = named(r, 'ManagedPolicyName', gen);
      const arn = `${p}:iam::${account}:policy/${name}`;
      return { ref: arn, attrs: { PolicyArn: arn } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      // Ref is the ARN (CloudFormation's return value), Name the name; grants split the name from the ARN.
      const name = named(r, 'StateMachineName', gen.slice(0, 80));
      const arn = `${p}:states:${REGION}:${account}:stateMachine:${name}`;
      return { ref: arn, attrs: { Arn: arn, Name: name } };
    }
    case 'AWS::Lambda::Function': {
      const name = named(r, 'FunctionName', gen.slice(0, 64));
      return { ref: name, attrs: { Arn: `${p}:lambda:${REGION}:${account}:function:${name}` } };
    }
    case 'AWS::ApiGatewayV2::Api': {
      const apiId = fakeId(id, 10);
      return { ref: apiId, attrs: { ApiId: apiId, ApiEndpoint: `https://${apiId}.execute-api.${REGION}.amazonaws.com` } };
    }
    case 'AWS::Cognito::UserPool': {
      const poolId = `${REGION}_${fakeId(id, 9)}`;
      return { ref: poolId, attrs: { Arn: `${p}:cognito-idp:${REGION}:${account}:userpool/${poolId}`, ProviderName: `cognito-idp.${REGION}.amazonaws.com/${poolId}`, ProviderURL: `https://cognito-idp.${REGION}.amazonaws.com/${poolId}`, UserPoolId: poolId } };
    }
    case 'AWS::CloudWatch::Alarm': {
      const name = named(r, 'AlarmName', gen);
      return { ref: name, attrs: { Arn: `${p}:cloudwatch:${REGION}:${account}:alarm:${name}` } };
    }
    case 'AWS::CloudTrail::Trail': {
      const name = named(r, 'TrailName', gen);
      return { ref: name, attrs: { Arn: `${p}:cloudtrail:${REGION}:${account}:trail/${name}` } };
    }
    default: {
      const service = r.Type.split('::')[1]!.toLowerCase();
      return { ref: gen, attrs: { Arn: `${p}:${service}:${REGION}:${account}:${id}` } };
    }
  }
}

/**
 * Resolves CloudFormation's intrinsic functions as CloudFormation does at deploy time, for the
 * ones CDK emits (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split). (cfn-resolver-lib
 * was tried: it turns any one-key object whose value is a list into that list, e.g.
 * `{ QueueConfigurations: [...] }`, so policy documents and notification settings came out wrong.)
 */
function evaluate(value: unknown, refs: Record<string, string>, attrs: Record<string, Attrs>): any {
  const ev = (v: unknown): any => evaluate(v, refs, attrs);
  const ref = (name: string): string => {
    if (!(name in refs)) throw new Error(`Ref to ${name}, which the template does not define`);
    return refs[name]!;
  };
  const att = (id: string, name: string) => {
    const value = attrs[id]?.[name];
    if (value === undefined) throw new Error(`Fn::GetAtt ${id}.${name}: the policy tests do not model this attribute (stack-model.ts physical())`);
    return value;
  };
  if (Array.isArray(value)) return value.map(ev);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [fn, arg] = entries[0]! as [string, any];
    switch (fn) {
      case 'Ref': return ref(arg);
      case 'Fn::GetAtt': { const [id, name] = typeof arg === 'string' ? arg.split(/\.(.*)/) : arg; return att(id, name); }
      case 'Fn::Join': return (ev(arg[1]) as unknown[]).join(arg[0]);
      case 'Fn::Select': return ev(arg[1])[Number(ev(arg[0]))];
      case 'Fn::Split': return String(ev(arg[1])).split(arg[0]);
      case 'Fn::GetAZs': return [`${REGION}a`, `${REGION}b`, `${REGION}c`]; // the VPC of the large-object task
      case 'Fn::Sub': {
        const [text, vars] = typeof arg === 'string' ? [arg, {}] : [arg[0] as string, ev(arg[1]) as Record<string, string>];
        return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => (name in vars ? vars[name]! : name.includes('.') ? att(name.split('.')[0]!, name.split('.').slice(1).join('.')) : ref(name)));
      }
      default:
        if (fn.startsWith('Fn::') || fn === 'Condition') throw new Error(`${fn} is not modelled by the policy tests`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, ev(v)]));
}

/** The template as deployed into ACCOUNT/REGION: every Ref, Fn::GetAtt, Fn::Join, Fn::Sub resolved (by cfn-resolver-lib). */
export class DeployedStack {
  readonly resources: Record<string, DeployedResource> = {};
  readonly resolved: CfnTemplate;

  /** `account`, `stackName`: where it is deployed (a source-account stack goes to that account). */
  constructor(readonly template: CfnTemplate, readonly account = ACCOUNT, readonly stackName = STACK) {
    const pseudo = { 'AWS::AccountId': account, 'AWS::Region': REGION, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': stackName, 'AWS::StackId': `arn:aws:cloudformation:${REGION}:${account}:stack/${stackName}/0`, 'AWS::NoValue': '' };
    // Names may themselves be intrinsics (derived from the stack name): resolve, then name again.
    let current = template;
    let refs: Record<string, string> = {};
    let attrs: Record<string, Attrs> = {};
    for (let pass = 0; pass < 2; pass++) {
      refs = { ...pseudo };
      attrs = {};
      for (const [id, r] of Object.entries(current.Resources)) {
        const ph = physical(id, r, account, stackName);
        refs[id] = ph.ref;
        attrs[id] = ph.attrs;
      }
      current = { ...template, Resources: evaluate(template.Resources, refs, attrs), Outputs: evaluate(template.Outputs ?? {}, refs, attrs) };
    }
    this.resolved = current;
    for (const [id, r] of Object.entries(current.Resources)) {
      this.resources[id] = { id, type: r.Type, props: r.Properties ?? {}, ref: refs[id]!, attrs: attrs[id]!, arn: attrs[id]!.Arn ?? attrs[id]!.TopicArn ?? (r.Type === 'AWS::SecretsManager::Secret' ? refs[id] : undefined) };
    }
  }

  ofType(type: string): DeployedResource[] {
    return Object.values(this.resources).filter((r) => r.type === type);
  }

  /** The resource an ARN names (the bucket for an object ARN, the table for an index ARN). */
  byArn(arn: string): DeployedResource | undefined {
    return Object.values(this.resources).find((r) => r.arn && (arn === r.arn || arn.startsWith(`${r.arn}/`)));
  }
}
