import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

interface Execution {
  executionArn: string; stateMachineArn: string; name: string; input: string; status: string;
  startDate: number; stopDate?: number; error?: string; cause?: string;
  mapRun?: { mapRunArn: string; startDate: number; items: Record<string, number> };
}

/**
 * A loopback AWS Step Functions that speaks the documented AWS JSON 1.0 protocol (POST /,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`, epoch-second timestamps, `{"__type", "message"}`
 * errors with HTTP 400). It knows the state machines it is given. A started execution runs the
 * replay's Distributed Map as far as listing goes: its map run counts the objects under the
 * input's bucket and prefix (through `s3`) as pending; `settle` moves them on.
 */
export async function sfnLoopback(opts: { stateMachines: string[]; s3?: S3Client; deny?: string[] }) {
  const executions = new Map<string, Execution>();
  const calls: { target: string; body: Record<string, any> }[] = [];
  const read = (req: IncomingMessage) => new Promise<string>((r) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => r(b)); });
  const fail = (type: string, message: string) => ({ status: 400, body: { __type: `com.amazonaws.swf.service.v2.model#${type}`, message } });
  const seconds = () => Date.now() / 1000;

  async function listed(input: string): Promise<number> {
    const { bucket, prefix } = JSON.parse(input) as { bucket: string; prefix?: string };
    let count = 0;
    let token: string | undefined;
    do {
      const page = await opts.s3!.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
      count += page.Contents?.length ?? 0;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return count;
  }

  async function handle(op: string, b: Record<string, any>): Promise<{ status: number; body: unknown }> {
    if (opts.deny?.includes(op)) return fail('AccessDeniedException', `User: arn:aws:sts::123456789012:assumed-role/dev/tester is not authorized to perform: states:${op}`);
    const execution = (arn: string) => executions.get(arn);
    switch (op) {
      case 'StartExecution': {
        if (!opts.stateMachines.includes(b.stateMachineArn)) return fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${b.stateMachineArn}'`);
        const name = b.name ?? randomUUID();
        const executionArn = `${String(b.stateMachineArn).replace(':stateMachine:', ':execution:')}:${name}`;
        const prior = executions.get(executionArn);
        // As documented: the same name and input as a *running* execution returns it; otherwise the name is taken.
        if (prior && (prior.input !== (b.input ?? '{}') || prior.status !== 'RUNNING')) return fail('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
        if (prior) return { status: 200, body: { executionArn, startDate: prior.startDate } };
        const e: Execution = { executionArn, stateMachineArn: b.stateMachineArn, name, input: b.input ?? '{}', status: 'RUNNING', startDate: seconds() };
        // Only the replay's input names a bucket to list (the large-object state machine's names one object).
        if (opts.s3 && typeof (JSON.parse(e.input) as { bucket?: unknown }).bucket === 'string') {
          const total = await listed(e.input);
          const id = randomUUID();
          e.mapRun = { mapRunArn: `${String(b.stateMachineArn).replace(':stateMachine:', ':mapRun:')}/EachObject:${id}`, startDate: seconds(), items: { pending: total, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0, total, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0 } };
        }
        executions.set(executionArn, e);
        return { status: 200, body: { executionArn, startDate: e.startDate } };
      }
      case 'DescribeExecution': {
        const e = execution(b.executionArn);
        if (!e) return fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${b.executionArn}'`);
        const { mapRun: _, ...rest } = e;
        return { status: 200, body: rest };
      }
      case 'ListExecutions': {
        if (!opts.stateMachines.includes(b.stateMachineArn)) return fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${b.stateMachineArn}'`);
        const list = [...executions.values()].filter((e) => e.stateMachineArn === b.stateMachineArn).sort((x, y) => y.startDate - x.startDate).slice(0, b.maxResults || 100);
        return { status: 200, body: { executions: list.map(({ executionArn, stateMachineArn, name, status, startDate, stopDate }) => ({ executionArn, stateMachineArn, name, status, startDate, ...(stopDate ? { stopDate } : {}) })) } };
      }
      case 'ListMapRuns': {
        const e = execution(b.executionArn);
        if (!e) return fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${b.executionArn}'`);
        return { status: 200, body: { mapRuns: e.mapRun ? [{ executionArn: e.executionArn, mapRunArn: e.mapRun.mapRunArn, stateMachineArn: e.stateMachineArn, startDate: e.mapRun.startDate }] : [] } };
      }
      case 'DescribeMapRun': {
        const e = [...executions.values()].find((x) => x.mapRun?.mapRunArn === b.mapRunArn);
        if (!e) return fail('ResourceNotFound', `Map Run Does Not Exist: '${b.mapRunArn}'`);
        const items = e.mapRun!.items;
        return { status: 200, body: { mapRunArn: b.mapRunArn, executionArn: e.executionArn, status: e.status === 'RUNNING' ? 'RUNNING' : e.status, startDate: e.mapRun!.startDate, maxConcurrency: 10, toleratedFailurePercentage: 1, toleratedFailureCount: 0, itemCounts: items, executionCounts: items } };
      }
      default:
        return { status: 400, body: { __type: 'UnknownOperationException', message: `not served here: ${op}` } };
    }
  }

  const server: Server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = JSON.parse((await read(req)) || '{}');
    calls.push({ target, body });
    const [service, op] = target.split('.');
    const reply = req.method === 'POST' && service === 'AWSStepFunctions' && req.headers['content-type'] === 'application/x-amz-json-1.0'
      ? await handle(op ?? '', body)
      : { status: 400, body: { __type: 'UnknownOperationException', message: `expected POST with AWSStepFunctions.* and application/x-amz-json-1.0, got ${target}` } };
    res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    calls, executions,
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Items move on: `failed` of them fail, the rest succeed, and the execution ends as `status`. */
    settle(executionArn: string, failed = 0, status = 'SUCCEEDED') {
      const e = executions.get(executionArn)!;
      const items = e.mapRun!.items;
      Object.assign(items, { pending: 0, running: 0, failed, succeeded: items.total! - failed });
      Object.assign(e, { status, stopDate: seconds() });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
export type SfnLoopback = Awaited<ReturnType<typeof sfnLoopback>>;
