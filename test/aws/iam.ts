import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { WireCall } from './loopback.ts';
import { ACCOUNT, REGION, type DeployedResource, type DeployedStack } from './stack-model.ts';

/**
 * One request AWS would authorize: who asks (a function's role session or a service principal),
 * for which action on which resource, with which request context; and why it happens.
 */
export interface AccessRequest {
  /** The function (logical id) or service principal asking. */
  who: string;
  principal: string;
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  because: string;
}

/**
 * What the policy tests know beyond the monitor's template: the source-account stacks (deployed in
 * their accounts), and the log buckets the settings name that no stack creates, with their account,
 * SSE-KMS key and that key's policy as its owner would write it.
 */
export interface Outside {
  stacks: DeployedStack[];
  buckets: Record<string, { account: string; keyArn?: string }>;
  keyPolicies: Record<string, any>;
  /** The policies of those buckets, by bucket name, as their owners write them (`access: bucket-policy`). */
  bucketPolicies: Record<string, any>;
}
export const NOTHING_OUTSIDE: Outside = { stacks: [], buckets: {}, keyPolicies: {}, bucketPolicies: {} };

/** The account of a principal (role session or role ARN). */
const accountOf = (arn: string) => arn.split(':')[4] || ACCOUNT;

/** AWS managed policies the template attaches, by ARN: their documents as AWS publishes them. */
const MANAGED: Record<string, unknown> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }] },
};

export interface FunctionIdentity { fn: DeployedResource; role: DeployedResource; sessionArn: string }

/**
 * The role a function runs as, and its session ARN (Lambda assumes the role with the function's name
 * as session name); for an ECS task definition, its task role (ECS names the session by the task id).
 */
export function identityOf(stack: DeployedStack, fnId: string): FunctionIdentity {
  const fn = stack.resources[fnId]!;
  const task = fn.type === 'AWS::ECS::TaskDefinition';
  const roleArn = task ? fn.props.TaskRoleArn : fn.props.Role;
  const role = Object.values(stack.resources).find((r) => r.type === 'AWS::IAM::Role' && r.arn === roleArn);
  if (!role) throw new Error(`${fnId}'s role ${roleArn} is not in the template`);
  return { fn, role, sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.ref}/${task ? '0123456789abcdef0123456789abcdef' : fn.ref}` };
}

/** Every identity policy of a role: inline, AWS::IAM::Policy and AWS::IAM::ManagedPolicy attached to it, and AWS managed ones. */
export function identityPolicies(stack: DeployedStack, role: DeployedResource): { name: string; policy: any }[] {
  const out: { name: string; policy: any }[] = [];
  for (const p of (role.props.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]) out.push({ name: p.PolicyName, policy: p.PolicyDocument });
  for (const r of Object.values(stack.resources)) {
    if (r.type === 'AWS::IAM::Policy' && (r.props.Roles ?? []).includes(role.ref)) out.push({ name: r.id, policy: r.props.PolicyDocument });
    if (r.type === 'AWS::IAM::ManagedPolicy' && (r.props.Roles ?? []).includes(role.ref)) out.push({ name: r.id, policy: r.props.PolicyDocument });
  }
  for (const arn of (role.props.ManagedPolicyArns ?? []) as string[]) {
    const own = Object.values(stack.resources).find((r) => r.type === 'AWS::IAM::ManagedPolicy' && r.ref === arn);
    if (own) { if (!out.some((o) => o.name === own.id)) out.push({ name: own.id, policy: own.props.PolicyDocument }); continue; }
    if (!MANAGED[arn]) throw new Error(`the managed policy ${arn} is not known to the policy tests: add its document to MANAGED`);
    out.push({ name: arn, policy: MANAGED[arn] });
  }
  return out;
}

/** The resource policy AWS evaluates with a request on `arn`: key, bucket, queue, topic, secret, bus policy, or a role's trust policy. */
export function resourcePolicyFor(stack: DeployedStack, arn: string): any | undefined {
  const owner = stack.byArn(arn);
  if (!owner) return undefined;
  const statements = (type: string, match: (r: DeployedResource) => boolean) => {
    const docs = stack.ofType(type).filter(match).map((p) => p.props.PolicyDocument ?? p.props.ResourcePolicy ?? p.props.Policy);
    return docs.length ? { Version: '2012-10-17', Statement: docs.flatMap((d) => [d.Statement].flat()) } : undefined;
  };
  switch (owner.type) {
    case 'AWS::KMS::Key': return owner.props.KeyPolicy;
    case 'AWS::S3::Bucket': return statements('AWS::S3::BucketPolicy', (p) => p.props.Bucket === owner.ref);
    case 'AWS::SQS::Queue': return statements('AWS::SQS::QueuePolicy', (p) => (p.props.Queues ?? []).includes(owner.ref));
    case 'AWS::SNS::Topic': return statements('AWS::SNS::TopicPolicy', (p) => (p.props.Topics ?? []).includes(owner.ref));
    case 'AWS::SecretsManager::Secret': return statements('AWS::SecretsManager::ResourcePolicy', (p) => p.props.SecretId === owner.ref);
    case 'AWS::Events::EventBus': return statements('AWS::Events::EventBusPolicy', (p) => p.props.EventBusName === owner.ref);
    case 'AWS::IAM::Role': return owner.props.AssumeRolePolicyDocument;
    default: return undefined;
  }
}

const keyArnOf = (stack: DeployedStack, keyRef: unknown): string | undefined => {
  if (typeof keyRef !== 'string' || !keyRef) return undefined;
  if (keyRef.startsWith('arn:')) return keyRef;
  return stack.ofType('AWS::KMS::Key').find((k) => k.ref === keyRef)?.arn;
};
const kms = (who: string, principal: string, keyArn: string, actions: string[], service: string, encryptionContext: Record<string, string>, because: string): AccessRequest[] =>
  actions.map((action) => ({ who, principal, action, resource: keyArn, because, context: { 'kms:ViaService': `${service}.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT, ...Object.fromEntries(Object.entries(encryptionContext).map(([k, v]) => [`kms:EncryptionContext:${k}`, v])) } }));

/** The KMS key of an encrypted resource of the stack, if it is a customer managed key. */
function keyOf(stack: DeployedStack, r: DeployedResource | undefined): string | undefined {
  if (!r) return undefined;
  switch (r.type) {
    case 'AWS::S3::Bucket': {
      const rule = r.props.BucketEncryption?.ServerSideEncryptionConfiguration?.[0];
      return rule?.ServerSideEncryptionByDefault?.SSEAlgorithm?.startsWith('aws:kms') ? keyArnOf(stack, rule.ServerSideEncryptionByDefault.KMSMasterKeyID) : undefined;
    }
    case 'AWS::DynamoDB::Table': return r.props.SSESpecification?.SSEEnabled ? keyArnOf(stack, r.props.SSESpecification.KMSMasterKeyId) : undefined;
    case 'AWS::SQS::Queue': return keyArnOf(stack, r.props.KmsMasterKeyId);
    case 'AWS::SNS::Topic': return keyArnOf(stack, r.props.KmsMasterKeyId);
    case 'AWS::SecretsManager::Secret': return keyArnOf(stack, r.props.KmsKeyId);
    default: return undefined;
  }
}

const queueArnFromUrl = (url: string) => { const [, account, name] = new URL(url).pathname.split('/'); return `arn:aws:sqs:${REGION}:${account}:${name}`; };
const busArn = (nameOrArn: string) => (nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${nameOrArn}`);

/**
 * What IAM authorizes for one recorded request: the API action mapped to its IAM action(s) and
 * resource ARN(s) as the Service Authorization Reference lists them, plus the KMS calls the
 * service makes on the caller's behalf for encrypted resources (SSE-KMS objects, table, queue, secret).
 */
export function requestsFor(stack: DeployedStack, call: WireCall, outside: Outside = NOTHING_OUTSIDE): AccessRequest[] {
  const { fn, sessionArn } = identityOf(stack, call.caller);
  // A request signed with a role's session from sts:AssumeRole comes from that role (the read role of a source account).
  const assumed = call.session?.startsWith('session-for:') ? call.session.slice('session-for:'.length) : undefined;
  const assumedRole = assumed ? outside.stacks.flatMap((st) => st.ofType('AWS::IAM::Role')).find((r) => r.arn === assumed) : undefined;
  if (assumed && !assumedRole) throw new Error(`${call.path} was signed by a session of ${assumed}, a role no stack of the app defines`);
  const who = assumedRole ? `${assumedRole.id} (${accountOf(assumed!)})` : fn.id;
  const principal = assumed ? assumed.replace(/^arn:aws:iam::(\d+):role\/(.+)$/, 'arn:aws:sts::$1:assumed-role/$2/ittmon-ingest') : sessionArn;
  const req = (action: string, resource: string, because: string, context: Record<string, string | string[]> = {}): AccessRequest => ({ who, principal, action, resource, because, context });
  const out: AccessRequest[] = [];
  if (call.service === 'sts') {
    if (call.body?.Action !== 'AssumeRole') throw new Error(`STS ${String(call.body?.Action)} has no IAM mapping in the policy tests`);
    out.push(req('sts:AssumeRole', String(call.body.RoleArn), `AssumeRole ${String(call.body.RoleArn)}`));
    return out;
  }
  if (call.service === 's3') {
    const [bucket = '', ...rest] = call.path.replace(/^\//, '').split('/');
    const key = rest.join('/');
    const bucketArn = `arn:aws:s3:::${bucket}`;
    const q = call.query;
    const api = `${call.method} ${key ? 'object' : 'bucket'}${'tagging' in q ? '?tagging' : 'versions' in q ? '?versions' : ''}`;
    const action = ({ 'GET object': 'versionId' in q ? 's3:GetObjectVersion' : 's3:GetObject', 'HEAD object': 'versionId' in q ? 's3:GetObjectVersion' : 's3:GetObject', 'GET object?tagging': 's3:GetObjectTagging', 'PUT object': 's3:PutObject', 'PUT object?tagging': 's3:PutObjectTagging', 'DELETE object': 's3:DeleteObject', 'GET bucket': 's3:ListBucket', 'GET bucket?versions': 's3:ListBucketVersions', 'HEAD bucket': 's3:ListBucket' } as Record<string, string>)[api];
    if (!action) throw new Error(`S3 request ${api} ${call.path} has no IAM mapping in the policy tests`);
    const resource = key ? `${bucketArn}/${key}` : bucketArn;
    const external = outside.buckets[bucket];
    out.push(req(action, resource, `${call.method} s3://${bucket}/${key}`, { 's3:ResourceAccount': external?.account ?? ACCOUNT }));
    if (external?.keyArn && call.method !== 'HEAD' && /GetObject$|GetObjectVersion$/.test(action)) {
      // SSE-KMS of a log bucket the stack does not create: S3 decrypts with the reader's permission.
      out.push({ who, principal, action: 'kms:Decrypt', resource: external.keyArn, because: `SSE-KMS of s3://${bucket}/${key}`, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:CallerAccount': accountOf(principal), 'kms:EncryptionContext:aws:s3:arn': resource } });
    }
    const owner = stack.byArn(bucketArn);
    const keyArn = keyOf(stack, owner);
    if (keyArn && call.method !== 'HEAD' && /GetObject$|GetObjectVersion$|PutObject$/.test(action)) {
      const context = { 'aws:s3:arn': owner!.props.BucketEncryption.ServerSideEncryptionConfiguration[0].BucketKeyEnabled ? bucketArn : resource };
      out.push(...kms(who, sessionArn, keyArn, [action === 's3:PutObject' ? 'kms:GenerateDataKey' : 'kms:Decrypt'], 's3', context, `SSE-KMS of s3://${bucket}/${key}`));
    }
    return out;
  }
  const [prefix, op] = (call.target ?? '').split('.');
  if (call.service === 'dynamodb') {
    const tableArn = (name: string) => stack.ofType('AWS::DynamoDB::Table').find((t) => t.ref === name)?.arn ?? `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
    const b = call.body ?? {};
    // dynamodb:LeadingKeys: the partition key value(s) of the items the request names.
    const pkName = (table: string) => (stack.ofType('AWS::DynamoDB::Table').find((t) => t.ref === table)?.props.KeySchema as { AttributeName: string; KeyType: string }[] | undefined)?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? 'pk';
    const leading = (table: string, item: Record<string, { S?: string }> | undefined) => (item?.[pkName(table)]?.S !== undefined ? [item[pkName(table)]!.S!] : undefined);
    const items: { action: string; table: string; index?: string; keys?: string[] }[] = [];
    const item = (action: string, table: string, key: Record<string, { S?: string }> | undefined) => items.push({ action, table, ...(leading(table, key) ? { keys: leading(table, key)! } : {}) });
    if (op === 'TransactWriteItems') for (const i of b.TransactItems) { const [kind, v] = Object.entries(i)[0] as [string, { TableName: string; Key?: any; Item?: any }]; item(`dynamodb:${kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`}`, v.TableName, v.Key ?? v.Item); }
    else if (op === 'TransactGetItems') for (const i of b.TransactItems) item('dynamodb:GetItem', i.Get.TableName, i.Get.Key);
    else if (op === 'BatchGetItem' || op === 'BatchWriteItem') for (const t of Object.keys(b.RequestItems)) items.push({ action: `dynamodb:${op}`, table: t });
    else if (op === 'Query' || op === 'Scan') items.push({ action: `dynamodb:${op}`, table: b.TableName, ...(b.IndexName ? { index: b.IndexName } : {}) });
    else item(`dynamodb:${op}`, b.TableName, b.Key ?? b.Item);
    for (const i of items) {
      const arn = tableArn(i.table);
      out.push(req(i.action, i.index ? `${arn}/index/${i.index}` : arn, `${op} on ${i.table}${i.index ? ` (${i.index})` : ''}${i.keys ? ` ${i.keys.join(',')}` : ''}`, i.keys ? { 'dynamodb:LeadingKeys': i.keys } : {}));
      const keyArn = keyOf(stack, stack.byArn(arn));
      // DynamoDB decrypts the table key with the caller's permission (kms:Decrypt via DynamoDB).
      if (keyArn) out.push(...kms(who, sessionArn, keyArn, ['kms:Decrypt'], 'dynamodb', { 'aws:dynamodb:tableName': i.table, 'aws:dynamodb:subscriberId': ACCOUNT }, `table key of ${i.table}`));
    }
    return dedupe(out);
  }
  const b = call.body ?? {};
  if (prefix === 'AmazonSQS') {
    const arn = queueArnFromUrl(String(b.QueueUrl));
    out.push(req(`sqs:${op}`, arn, `${op} to ${b.QueueUrl}`));
    const keyArn = keyOf(stack, stack.byArn(arn));
    if (keyArn && /^SendMessage/.test(op!)) out.push(...kms(who, sessionArn, keyArn, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', { 'aws:sqs:arn': arn }, `SSE-KMS of ${arn}`));
    if (keyArn && op === 'ReceiveMessage') out.push(...kms(who, sessionArn, keyArn, ['kms:Decrypt'], 'sqs', { 'aws:sqs:arn': arn }, `SSE-KMS of ${arn}`));
    return out;
  }
  if (prefix === 'AWSStepFunctions') {
    // The resource each action is authorized on (Service Authorization Reference, AWS Step Functions).
    const resource = ({ StartExecution: b.stateMachineArn, ListExecutions: b.stateMachineArn, DescribeExecution: b.executionArn, ListMapRuns: b.executionArn, DescribeMapRun: b.mapRunArn } as Record<string, unknown>)[op!];
    if (typeof resource !== 'string') throw new Error(`Step Functions ${op} has no IAM mapping in the policy tests`);
    out.push(req(`states:${op}`, resource, `${op} ${resource}`));
    return out;
  }
  if (prefix === 'AWSEvents' && op === 'PutEvents') {
    // The bus's customer managed key is used by EventBridge itself (see serviceFlows), not by the caller.
    for (const e of b.Entries as { EventBusName?: string; Source: string; DetailType: string }[]) out.push(req('events:PutEvents', busArn(e.EventBusName ?? 'default'), `PutEvents ${e.DetailType}`, { 'events:source': e.Source, 'events:detail-type': e.DetailType }));
    return dedupe(out);
  }
  if (prefix === 'secretsmanager') {
    // A secret is authorized on its full ARN, which ends in a dash and six random characters. Given by
    // name, it is the name's; an ARN whose name ends in a dash and six characters is taken as full
    // (so a partial ARN of a name like ittmon/gitlab-stream names no secret), otherwise as partial.
    const id = String(b.SecretId);
    const arn = !id.startsWith('arn:') ? `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf` : stack.byArn(id) || /-[A-Za-z0-9]{6}$/.test(id) ? id : `${id}-AbCdEf`;
    out.push(req(`secretsmanager:${op}`, arn, `${op} ${arn}`));
    const keyArn = keyOf(stack, stack.byArn(arn));
    if (keyArn && op === 'GetSecretValue') out.push(...kms(who, sessionArn, keyArn, ['kms:Decrypt'], 'secretsmanager', { SecretARN: arn }, `secret ${arn}`));
    return out;
  }
  throw new Error(`request ${call.target ?? call.path} has no IAM mapping in the policy tests`);
}

function dedupe(requests: AccessRequest[]): AccessRequest[] {
  const seen = new Set<string>();
  return requests.filter((r) => { const k = JSON.stringify([r.who, r.action, r.resource, r.context]); if (seen.has(k)) return false; seen.add(k); return true; });
}

/**
 * What the Lambda service does with each function's role, from the template's configuration:
 * writing its logs, sending traces, polling its event source, delivering failures to its DLQ.
 */
export function platformRequests(stack: DeployedStack): AccessRequest[] {
  const out: AccessRequest[] = [];
  for (const fn of stack.ofType('AWS::Lambda::Function')) {
    const { sessionArn } = identityOf(stack, fn.id);
    const req = (action: string, resource: string, because: string, context: Record<string, string | string[]> = {}) => out.push({ who: fn.id, principal: sessionArn, action, resource, because, context });
    const group = (fn.props.LoggingConfig?.LogGroup as string | undefined) ?? `/aws/lambda/${fn.ref}`;
    for (const a of ['logs:CreateLogStream', 'logs:PutLogEvents']) req(a, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:log-stream:2026/11/29/[$LATEST]0123`, `Lambda writes the function's logs to ${group}`);
    if (fn.props.TracingConfig?.Mode === 'Active') for (const a of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) req(a, '*', 'active tracing');
    for (const m of stack.ofType('AWS::Lambda::EventSourceMapping').filter((m) => m.props.FunctionName === fn.ref)) {
      const source = String(m.props.EventSourceArn);
      if (source.startsWith('arn:aws:sqs:')) {
        for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility']) req(a, source, 'the SQS event source mapping polls the queue (and backs off failed messages)');
        const keyArn = keyOf(stack, stack.byArn(source));
        if (keyArn) out.push(...kms(fn.id, sessionArn, keyArn, ['kms:Decrypt'], 'sqs', { 'aws:sqs:arn': source }, 'the event source mapping reads the encrypted queue'));
      } else if (source.includes(':dynamodb:')) {
        for (const a of ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator']) req(a, source, 'the stream event source mapping reads the table stream');
        req('dynamodb:ListStreams', '*', 'the stream event source mapping lists streams');
        const table = stack.byArn(source.replace(/\/stream\/.*$/, ''));
        const keyArn = keyOf(stack, table);
        if (keyArn) out.push(...kms(fn.id, sessionArn, keyArn, ['kms:Decrypt'], 'dynamodb', { 'aws:dynamodb:tableName': table!.ref, 'aws:dynamodb:subscriberId': ACCOUNT }, 'stream records of the encrypted table'));
      }
      const failure = m.props.DestinationConfig?.OnFailure?.Destination as string | undefined;
      if (failure) destination(failure, 'the event source mapping sends the records of a failed batch');
    }
    const invokeConfig = stack.ofType('AWS::Lambda::EventInvokeConfig').find((c) => c.props.FunctionName === fn.ref);
    const onFailure = invokeConfig?.props.DestinationConfig?.OnFailure?.Destination as string | undefined;
    if (onFailure) destination(onFailure, 'asynchronous invocation sends a failed event');
    function destination(arn: string, because: string) {
      if (!arn.startsWith('arn:aws:sqs:')) throw new Error(`destination ${arn}: only SQS destinations are modelled`);
      req('sqs:SendMessage', arn, because);
      const keyArn = keyOf(stack, stack.byArn(arn));
      if (keyArn) out.push(...kms(fn.id, sessionArn, keyArn, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', { 'aws:sqs:arn': arn }, `${because} to the encrypted DLQ`));
    }
  }
  return out;
}

/**
 * iam-simulate (0.1.173) drops `kms:EncryptionContext:<key>` from a request's context: its check of
 * variable condition keys knows only `prefix/<variable>` keys. The same key and value are carried
 * under `aws:RequestTag/kms:EncryptionContext:<key>`, a variable key it keeps, in the request and in
 * every policy condition alike, so that operators and values are evaluated unchanged.
 */
function carryEncryptionContext(simulation: Simulation): Simulation {
  const rename = (k: string) => (/^kms:EncryptionContext:/i.test(k) ? `aws:RequestTag/${k}` : k);
  const policy = (doc: any) => doc && { ...doc, Statement: [doc.Statement].flat().map((st: any) => (st.Condition ? { ...st, Condition: Object.fromEntries(Object.entries(st.Condition as Record<string, Record<string, unknown>>).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys).map(([k, v]) => [rename(k), v]))])) } : st)) };
  return {
    ...simulation,
    request: { ...simulation.request, contextVariables: Object.fromEntries(Object.entries(simulation.request.contextVariables).map(([k, v]) => [rename(k), v])) },
    identityPolicies: simulation.identityPolicies.map((p) => ({ ...p, policy: policy(p.policy) })),
    ...(simulation.resourcePolicy ? { resourcePolicy: policy(simulation.resourcePolicy) } : {}),
  };
}

export interface Verdict { request: AccessRequest; allowed: boolean; detail: string }

/** Evaluates a request against the principal's identity policies and the resource's policy, with iam-simulate. */
export async function evaluate(stack: DeployedStack, request: AccessRequest, identity?: { name: string; policy: any }[], resourcePolicyOverride?: any, outside: Outside = NOTHING_OUTSIDE): Promise<Verdict> {
  const isService = request.principal.endsWith('.amazonaws.com');
  const roleArn = isService ? undefined : request.principal.replace(/^arn:aws:sts::(\d+):assumed-role\/([^/]+)\/.*$/, 'arn:aws:iam::$1:role/$2');
  const home = [stack, ...outside.stacks].find((st) => st.ofType('AWS::IAM::Role').some((r) => r.arn === roleArn));
  const policies = identity ?? (roleArn ? identityPolicies(home!, home!.ofType('AWS::IAM::Role').find((r) => r.arn === roleArn)!) : []);
  const resourcePolicy = resourcePolicyOverride === undefined ? outsidePolicy(stack, request.resource, outside) : resourcePolicyOverride;
  const s3Bucket = request.resource.startsWith('arn:aws:s3:::') ? request.resource.slice('arn:aws:s3:::'.length).split('/')[0]! : undefined;
  const resourceAccount = s3Bucket !== undefined ? outside.buckets[s3Bucket]?.account ?? ACCOUNT : request.resource === '*' ? ACCOUNT : request.resource.split(':')[4] || ACCOUNT;
  const simulation: Simulation = {
    request: {
      principal: request.principal, action: request.action,
      resource: { resource: request.resource, accountId: resourceAccount },
      contextVariables: {
        'aws:SecureTransport': 'true', 'aws:CurrentTime': '2026-11-29T09:00:00Z', 'aws:RequestedRegion': REGION,
        ...(isService ? {} : { 'aws:PrincipalArn': roleArn!, 'aws:PrincipalAccount': accountOf(roleArn!), 'aws:PrincipalType': 'AssumedRole' }),
        ...request.context,
      },
    },
    identityPolicies: policies, serviceControlPolicies: [], resourceControlPolicies: [],
    ...(resourcePolicy ? { resourcePolicy } : {}),
  };
  const res = await runSimulation(carryEncryptionContext(simulation), {});
  if (res.resultType === 'error') throw new Error(`iam-simulate rejected ${request.action} on ${request.resource}: ${JSON.stringify(res.errors)}`);
  const overall = res.resultType === 'single' ? res.overallResult : res.overallResult;
  return { request, allowed: overall === 'Allowed', detail: overall };
}

/** The resource policy of a resource of the stack, of a source-account stack, or of a key outside both (as its owner wrote it). */
function outsidePolicy(stack: DeployedStack, arn: string, outside: Outside): any | undefined {
  for (const st of [stack, ...outside.stacks]) if (st.byArn(arn)) return resourcePolicyFor(st, arn);
  if (arn.startsWith('arn:aws:s3:::')) return outside.bucketPolicies[arn.slice('arn:aws:s3:::'.length).split('/')[0]!];
  return outside.keyPolicies[arn];
}

/** A representative bucket and trail of the organisation that deliver into the created log bucket. */
export const ORG_BUCKET_ARN = 'arn:aws:s3:::nfu-aero-research';
export const ORG_TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/nfu-trail`;

/**
 * The service-principal flows the architecture relies on, each as the requests the service makes
 * (principal, action, resource, and the context it sends), from the template's configuration.
 */
export function serviceFlows(stack: DeployedStack, outside: Outside = NOTHING_OUTSIDE): AccessRequest[] {
  const out: AccessRequest[] = [];
  const flow = (principal: string, action: string, resource: string, because: string, context: Record<string, string | string[]>) => out.push({ who: principal, principal, action, resource, because, context: { 'aws:SourceAccount': ACCOUNT, ...context } });
  const keyUse = (principal: string, keyArn: string | undefined, actions: string[], because: string, context: Record<string, string>) => { if (keyArn) for (const a of actions) flow(principal, a, keyArn, because, { 'kms:CallerAccount': ACCOUNT, ...context }); };
  // CloudWatch Logs encrypts every log group that names a key (function logs, API access logs).
  const logs = `logs.${REGION}.amazonaws.com`;
  for (const g of stack.ofType('AWS::Logs::LogGroup')) {
    const keyArn = keyArnOf(stack, g.props.KmsKeyId);
    const groupArn = g.attrs.Arn!.replace(/:\*$/, '');
    keyUse(logs, keyArn, ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'], `CloudWatch Logs encrypts log group ${g.ref}`, { 'kms:EncryptionContext:aws:logs:arn': groupArn, 'aws:SourceArn': groupArn });
  }
  // CloudWatch alarms publish to their SNS actions (and use the topic's key).
  for (const alarm of stack.ofType('AWS::CloudWatch::Alarm')) {
    for (const action of [...(alarm.props.AlarmActions ?? []), ...(alarm.props.OKActions ?? []), ...(alarm.props.InsufficientDataActions ?? [])] as string[]) {
      const topic = stack.byArn(action);
      if (topic?.type !== 'AWS::SNS::Topic') continue;
      flow('cloudwatch.amazonaws.com', 'sns:Publish', topic.arn!, `alarm ${alarm.ref} notifies`, { 'aws:SourceArn': alarm.arn! });
      keyUse('cloudwatch.amazonaws.com', keyOf(stack, topic), ['kms:GenerateDataKey', 'kms:Decrypt'], `alarm ${alarm.ref} publishes to the encrypted topic`, { 'aws:SourceArn': alarm.arn!, 'kms:ViaService': `sns.${REGION}.amazonaws.com` });
    }
  }
  // EventBridge: rules deliver to SNS targets; an encrypted bus uses its key for every event.
  for (const rule of stack.ofType('AWS::Events::Rule')) {
    for (const target of (rule.props.Targets ?? []) as { Arn: string; DeadLetterConfig?: { Arn: string } }[]) {
      const dlq = target.DeadLetterConfig?.Arn;
      if (dlq) {
        // An event the target refused goes to the target's dead-letter queue.
        flow('events.amazonaws.com', 'sqs:SendMessage', dlq, `rule ${rule.ref} dead-letters an undeliverable event`, { 'aws:SourceArn': rule.arn! });
        keyUse('events.amazonaws.com', keyOf(stack, stack.byArn(dlq)), ['kms:GenerateDataKey', 'kms:Decrypt'], `rule ${rule.ref} dead-letters to the encrypted queue`, { 'aws:SourceArn': rule.arn!, 'kms:ViaService': `sqs.${REGION}.amazonaws.com`, 'kms:EncryptionContext:aws:sqs:arn': dlq });
      }
      const topic = stack.byArn(target.Arn);
      if (topic?.type !== 'AWS::SNS::Topic') continue;
      flow('events.amazonaws.com', 'sns:Publish', topic.arn!, `rule ${rule.ref} delivers`, { 'aws:SourceArn': rule.arn! });
      keyUse('events.amazonaws.com', keyOf(stack, topic), ['kms:GenerateDataKey', 'kms:Decrypt'], `rule ${rule.ref} publishes to the encrypted topic`, { 'aws:SourceArn': rule.arn!, 'kms:ViaService': `sns.${REGION}.amazonaws.com` });
    }
  }
  for (const bus of stack.ofType('AWS::Events::EventBus')) {
    keyUse('events.amazonaws.com', keyArnOf(stack, bus.props.KmsKeyIdentifier), ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'], `EventBridge encrypts events on bus ${bus.ref}`, { 'aws:SourceArn': bus.arn!, 'kms:EncryptionContext:aws:events:event-bus:arn': bus.arn! });
  }
  // S3 event notifications to SQS: the stack's own (Custom::S3BucketNotifications) and other accounts' buckets let in by the queue policy.
  const notify = (bucketArn: string, queueArn: string, sourceAccount: string, because: string) => {
    flow('s3.amazonaws.com', 'sqs:SendMessage', queueArn, because, { 'aws:SourceArn': bucketArn, 'aws:SourceAccount': sourceAccount });
    keyUse('s3.amazonaws.com', keyOf(stack, stack.byArn(queueArn)), ['kms:GenerateDataKey', 'kms:Decrypt'], `${because} (encrypted queue)`, { 'aws:SourceArn': bucketArn, 'aws:SourceAccount': sourceAccount, 'kms:EncryptionContext:aws:sqs:arn': queueArn });
  };
  for (const n of stack.ofType('Custom::S3BucketNotifications')) {
    for (const q of (n.props.NotificationConfiguration?.QueueConfigurations ?? []) as { QueueArn: string }[]) notify(`arn:aws:s3:::${n.props.BucketName}`, q.QueueArn, ACCOUNT, `s3://${n.props.BucketName} notifies the queue`);
  }
  // Another account's buckets notify the queue as that account's stack configures them, from that account.
  for (const st of outside.stacks) {
    for (const n of st.ofType('Custom::S3BucketNotifications')) {
      for (const q of (n.props.NotificationConfiguration?.QueueConfigurations ?? []) as { QueueArn: string }[]) notify(`arn:aws:s3:::${n.props.BucketName}`, q.QueueArn, st.account, `s3://${n.props.BucketName} (account ${st.account}) notifies the queue`);
    }
  }
  // S3 server access logging and CloudTrail deliver into log buckets.
  for (const b of stack.ofType('AWS::S3::Bucket')) {
    const lc = b.props.LoggingConfiguration as { DestinationBucketName?: string; LogFilePrefix?: string } | undefined;
    if (lc?.DestinationBucketName) flow('logging.s3.amazonaws.com', 's3:PutObject', `arn:aws:s3:::${lc.DestinationBucketName}/${lc.LogFilePrefix ?? ''}2026-11-29-09-00-00-0123456789ABCDEF`, `server access logs of ${b.ref}`, { 'aws:SourceArn': b.arn! });
  }
  // The log bucket the stack creates (output LogsBucketName) when the settings name no log source.
  const logsBucket = stack.resolved.Outputs?.LogsBucketName?.Value;
  for (const n of stack.ofType('Custom::S3BucketNotifications')) {
    const created = stack.ofType('AWS::S3::Bucket').find((b) => b.ref === n.props.BucketName && b.ref === logsBucket);
    if (!created) continue;
    flow('logging.s3.amazonaws.com', 's3:PutObject', `${created.arn}/AWSLogs/nfu-aero-research/2026-11-29-09-00-00-0123456789ABCDEF`, 'the organisation\'s S3 server access logs delivered to the created log bucket', { 'aws:SourceArn': ORG_BUCKET_ARN });
    flow('cloudtrail.amazonaws.com', 's3:GetBucketAcl', created.arn!, 'CloudTrail checks the created log bucket', { 'aws:SourceArn': ORG_TRAIL_ARN });
    flow('cloudtrail.amazonaws.com', 's3:PutObject', `${created.arn}/AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/11/29/${ACCOUNT}_CloudTrail_${REGION}_20261129T0900Z_abc.json.gz`, 'CloudTrail delivers to the created log bucket', { 'aws:SourceArn': ORG_TRAIL_ARN, 's3:x-amz-acl': 'bucket-owner-full-control' });
  }
  return out;
}

/**
 * S3 server access logs may also be allowed by the target's ACL (the log delivery group's
 * WRITE, CloudFormation `AccessControl: LogDeliveryWrite`) while ACLs are enabled; IAM policy
 * simulation does not see ACLs, so this is the one grant decided here.
 */
export function allowedByLogDeliveryAcl(stack: DeployedStack, request: AccessRequest): boolean {
  if (request.principal !== 'logging.s3.amazonaws.com' || request.action !== 's3:PutObject') return false;
  const target = stack.byArn(request.resource);
  return target?.props.AccessControl === 'LogDeliveryWrite' && target.props.OwnershipControls?.Rules?.[0]?.ObjectOwnership !== 'BucketOwnerEnforced';
}

/** One grant: an action pattern on a resource pattern, in a statement of a principal's identity policy or of a resource policy. */
export interface Grant { grantee: string; policy: string; statement: any; action: string; resource: string; principal?: string }

/** Every Allow of every role's identity policies, split into (action, resource) pairs. */
export function identityGrants(stack: DeployedStack): (Grant & { roleArn: string })[] {
  const out: (Grant & { roleArn: string })[] = [];
  for (const role of stack.ofType('AWS::IAM::Role')) {
    for (const { name, policy } of identityPolicies(stack, role)) {
      for (const s of [policy.Statement].flat() as any[]) {
        if (s.Effect !== 'Allow') continue;
        for (const action of [s.Action].flat()) for (const resource of [s.Resource].flat()) out.push({ grantee: role.id, roleArn: role.arn!, policy: name, statement: s, action, resource });
      }
    }
  }
  return out;
}

/** Every Allow to a service principal in the stack's resource policies (key, bucket, queue, topic), split into actions. */
export function servicePrincipalGrants(stack: DeployedStack): Grant[] {
  const out: Grant[] = [];
  const docs: [DeployedResource, any][] = [
    ...stack.ofType('AWS::KMS::Key').map((k) => [k, k.props.KeyPolicy] as [DeployedResource, any]),
    ...['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'].flatMap((t) => stack.ofType(t).map((p) => [p, p.props.PolicyDocument] as [DeployedResource, any])),
  ];
  for (const [owner, doc] of docs) {
    for (const s of [doc.Statement].flat() as any[]) {
      if (s.Effect !== 'Allow' || !s.Principal?.Service) continue;
      for (const principal of [s.Principal.Service].flat()) for (const action of [s.Action].flat()) for (const resource of [s.Resource].flat()) out.push({ grantee: principal, principal, policy: owner.id, statement: s, action, resource });
    }
  }
  return out;
}

/** Whether a request uses a grant: the grant's statement alone (narrowed to the pair) allows it, by iam-simulate. */
export async function uses(stack: DeployedStack, grant: Grant, request: AccessRequest, outside: Outside = NOTHING_OUTSIDE): Promise<boolean> {
  const statement = { ...grant.statement, Action: grant.action, Resource: grant.resource };
  if (grant.principal) {
    if (request.principal !== grant.principal) return false;
    const v = await evaluate(stack, request, [], { Version: '2012-10-17', Statement: [statement] }, outside);
    return v.allowed;
  }
  // KMS trusts the account's IAM policies only if the key policy says so: give the key that trust, and nothing else.
  const trust = request.resource.startsWith('arn:aws:kms:') ? { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountOf(request.resource)}:root` }, Action: 'kms:*', Resource: '*' }] } : undefined;
  // Across accounts the resource's own policy must allow too (a role's trust policy for sts:AssumeRole, a
  // bucket's or key's policy written by its owner): keep it there.
  const bucket = request.resource.startsWith('arn:aws:s3:::') ? request.resource.slice('arn:aws:s3:::'.length).split('/')[0]! : undefined;
  const resourceAccount = bucket !== undefined ? outside.buckets[bucket]?.account ?? ACCOUNT : accountOf(request.resource);
  const crossAccount = request.resource !== '*' && resourceAccount !== accountOf(request.principal);
  const v = await evaluate(stack, request, [{ name: 'grant', policy: { Version: '2012-10-17', Statement: [statement] } }], crossAccount ? undefined : trust ?? null, outside);
  return v.allowed;
}

/**
 * What a replay (backfill or look-back) does with the state machine's role: the Distributed Map
 * lists a log bucket and each item sends a message to the ingest queue. The buckets are those that
 * notify that queue: the ones a replay is for.
 */
export function stateMachineRequests(stack: DeployedStack): AccessRequest[] {
  const out: AccessRequest[] = [];
  // The replay is the state machine whose Distributed Map lists S3 (listObjectsV2).
  for (const sm of stack.ofType('AWS::StepFunctions::StateMachine').filter((m) => JSON.stringify(m.props.DefinitionString ?? '').includes('s3:listObjectsV2'))) {
    const role = Object.values(stack.resources).find((r) => r.type === 'AWS::IAM::Role' && r.arn === sm.props.RoleArn);
    if (!role) throw new Error(`${sm.id}'s role is not in the template`);
    const sessionArn = `arn:aws:sts::${ACCOUNT}:assumed-role/${role.ref}/states-execution`;
    const req = (action: string, resource: string, because: string, context: Record<string, string | string[]> = {}) => out.push({ who: role.id, principal: sessionArn, action, resource, because, context });
    for (const n of stack.ofType('Custom::S3BucketNotifications')) {
      for (const q of (n.props.NotificationConfiguration?.QueueConfigurations ?? []) as { QueueArn: string }[]) {
        req('s3:ListBucket', `arn:aws:s3:::${n.props.BucketName}`, `the replay lists the log bucket ${n.props.BucketName}`, { 's3:prefix': 'AWSLogs/' });
        req('sqs:SendMessage', q.QueueArn, 'the replay sends each listed object to the ingest queue');
        const keyArn = keyOf(stack, stack.byArn(q.QueueArn));
        if (keyArn) out.push(...kms(role.id, sessionArn, keyArn, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', { 'aws:sqs:arn': q.QueueArn }, 'the replay sends to the encrypted queue'));
      }
    }
  }
  return out;
}

/**
 * What running an object through the large-object state machine asks of IAM, from the template:
 * the state machine's role runs the Fargate task with the ECS `.sync` integration (RunTask on the
 * task definition, PassRole of the task's two roles, the managed rule through which it learns the
 * task stopped, DescribeTasks/StopTask) and, when the task failed its retries, sends the object to
 * the encrypted dead-letter queue; the ECS agent pulls the image and writes the container's logs
 * with the task execution role; VPC Flow Logs write the network's flow log with its role.
 * (The task's own calls are its task role's: the ingest role, exercised by the ingest function.)
 */
export function largeObjectRequests(stack: DeployedStack): AccessRequest[] {
  const out: AccessRequest[] = [];
  const session = (roleArn: string, name: string) => {
    const role = stack.ofType('AWS::IAM::Role').find((r) => r.arn === roleArn);
    if (!role) throw new Error(`role ${roleArn} is not in the template`);
    return { who: role.id, principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.ref}/${name}` };
  };
  for (const sm of stack.ofType('AWS::StepFunctions::StateMachine').filter((m) => String(m.props.DefinitionString).includes('ecs:runTask.sync'))) {
    const definition = JSON.parse(String(sm.props.DefinitionString)) as { States: Record<string, { Resource?: string; Parameters?: Record<string, any> }> };
    const { who, principal } = session(sm.props.RoleArn, 'states-execution');
    const req = (action: string, resource: string, because: string, context: Record<string, string | string[]> = {}) => out.push({ who, principal, action, resource, because, context });
    for (const state of Object.values(definition.States)) {
      if (state.Resource?.endsWith(':states:::ecs:runTask.sync')) {
        const task = stack.ofType('AWS::ECS::TaskDefinition').find((t) => t.props.Family === state.Parameters!.TaskDefinition);
        if (!task) throw new Error(`the state machine runs task definition ${state.Parameters!.TaskDefinition}, which the template does not define`);
        const cluster = String(state.Parameters!.Cluster);
        req('ecs:RunTask', task.ref, 'the state machine runs the large-object task', { 'ecs:cluster': cluster });
        for (const role of [task.props.TaskRoleArn, task.props.ExecutionRoleArn] as string[]) req('iam:PassRole', role, 'RunTask passes the task\'s roles to ECS', { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' });
        const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster.split('/').pop()}/0123456789abcdef0123456789abcdef`;
        for (const a of ['ecs:DescribeTasks', 'ecs:StopTask']) req(a, taskArn, 'the .sync integration follows (and on timeout stops) the task', { 'ecs:cluster': cluster });
        const rule = `arn:aws:events:${REGION}:${ACCOUNT}:rule/StepFunctionsGetEventsForECSTaskRule`;
        for (const a of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) req(a, rule, 'the .sync integration learns of the task\'s end through its managed rule');
        // The ECS agent, with the task execution role: pull the image, write the container's logs.
        const agent = session(task.props.ExecutionRoleArn, '0123456789abcdef0123456789abcdef');
        const image = String(task.props.ContainerDefinitions[0].Image);
        const repo = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/.exec(image);
        if (!repo) throw new Error(`image ${image} is not in an ECR repository`);
        const byAgent = (action: string, resource: string, because: string) => out.push({ ...agent, action, resource, because, context: {} });
        byAgent('ecr:GetAuthorizationToken', '*', 'the ECS agent signs in to ECR');
        for (const a of ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage']) byAgent(a, `arn:aws:ecr:${repo[2]}:${repo[1]}:repository/${repo[3]}`, 'the ECS agent pulls the task\'s image');
        for (const c of task.props.ContainerDefinitions as { LogConfiguration?: { Options: Record<string, string> } }[]) {
          const group = c.LogConfiguration?.Options['awslogs-group'];
          if (group) for (const a of ['logs:CreateLogStream', 'logs:PutLogEvents']) byAgent(a, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${group}:log-stream:${c.LogConfiguration!.Options['awslogs-stream-prefix']}/ingest/0123`, 'the awslogs driver writes the container\'s logs');
        }
      } else if (state.Resource?.endsWith(':states:::sqs:sendMessage')) {
        const url = String(state.Parameters!.QueueUrl);
        const queue = stack.ofType('AWS::SQS::Queue').find((q) => q.ref === url);
        if (!queue) throw new Error(`the state machine sends to ${url}, which the template does not define`);
        req('sqs:SendMessage', queue.arn!, 'an object the task failed to read after its retries goes to the dead-letter queue');
        const keyArn = keyOf(stack, queue);
        if (keyArn) out.push(...kms(who, principal, keyArn, ['kms:GenerateDataKey', 'kms:Decrypt'], 'sqs', { 'aws:sqs:arn': queue.arn! }, 'to the encrypted dead-letter queue'));
      }
    }
  }
  // VPC Flow Logs deliver to CloudWatch Logs with the role each flow log names.
  for (const f of stack.ofType('AWS::EC2::FlowLog').filter((x) => x.props.LogDestinationType === 'cloud-watch-logs')) {
    const { who, principal } = session(f.props.DeliverLogsPermissionArn, 'flow-logs');
    const group = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${f.props.LogGroupName}`;
    for (const a of ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams']) out.push({ who, principal, action: a, resource: `${group}:log-stream:eni-0123456789abcdef0-all`, because: 'VPC Flow Logs write the network\'s flow log', context: {} });
  }
  return out;
}
