import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { ReplayCounts, ReplayProgress, ReplayRequest, ReplayRun } from '#shared/ingest/replay.ts';

/**
 * The replay state machine (infra/constructs/replay.ts) through the Step Functions API: start a
 * replay, read its state and its map run's item counts. Calls: states:StartExecution,
 * ListExecutions, DescribeExecution, ListMapRuns, DescribeMapRun; s3:ListBucket to count a window.
 */

/**
 * The Step Functions commands, loaded on first use: the review API's cold start does not load them
 * until the replay panel is opened. The CLI's build splits a dynamic import of the SDK's CommonJS
 * into a chunk that exposes the module as `default` only; Node's own import gives the names.
 */
const sfnApi = async () => {
  const sdk = await import('@aws-sdk/client-sfn');
  return 'ListExecutionsCommand' in sdk ? sdk : (sdk as unknown as { default: typeof sdk }).default;
};

/** Objects under a prefix (what the map lists), and those modified in [since, until) (what the ingest reads). */
export async function listWindow(s3: S3Client, bucket: string, prefix: string, since: string, until: string) {
  const from = Date.parse(since);
  const to = Date.parse(until);
  let listed = 0;
  let objects = 0;
  let bytes = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      listed++;
      const at = o.LastModified?.getTime() ?? NaN;
      if (at >= from && at < to) { objects++; bytes += o.Size ?? 0; }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { listed, objects, bytes };
}

/** An execution name Step Functions accepts (1–80 of letters, digits, - and _), unique by the time. */
export function replayName(request: ReplayRequest, at: Date): string {
  const kind = request.lookBack ? 'lookback' : 'backfill';
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const where = `${request.bucket}-${request.prefix}`.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${kind}-${stamp}-${where}`.slice(0, 80).replace(/-+$/, '');
}

/** Starts one replay; a name already used with the same input returns that execution (Step Functions is idempotent on it). */
export async function startReplay(sfn: SFNClient, stateMachineArn: string, request: ReplayRequest, at = new Date(), name = replayName(request, at)): Promise<{ executionArn: string; startedAt: string }> {
  const { StartExecutionCommand } = await sfnApi();
  const res = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(request) }));
  return { executionArn: res.executionArn!, startedAt: (res.startDate ?? at).toISOString() };
}

const COUNTS: (keyof ReplayCounts)[] = ['total', 'succeeded', 'failed', 'pending', 'running', 'timedOut', 'aborted'];

function requestOf(input: string | undefined): Partial<ReplayRequest> | undefined {
  try {
    const v = JSON.parse(input ?? '') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Partial<ReplayRequest>) : undefined;
  } catch {
    return undefined;
  }
}

/** One execution: its state, its input, and the item counts of its map run (summed, should it have several). */
export async function describeReplay(sfn: SFNClient, executionArn: string): Promise<ReplayRun> {
  const { DescribeExecutionCommand, DescribeMapRunCommand, ListMapRunsCommand } = await sfnApi();
  const e = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const runs = (await sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns ?? [];
  let items: ReplayCounts | undefined;
  for (const run of runs) {
    const counts = (await sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn! }))).itemCounts;
    if (!counts) continue;
    items ??= { total: 0, succeeded: 0, failed: 0, pending: 0, running: 0, timedOut: 0, aborted: 0 };
    for (const k of COUNTS) items[k] += Number(counts[k] ?? 0);
  }
  const request = requestOf(e.input);
  return {
    executionArn, name: e.name ?? executionArn.split(':').at(-1)!, status: e.status ?? 'UNKNOWN',
    startedAt: (e.startDate ?? new Date(0)).toISOString(),
    ...(e.stopDate ? { stoppedAt: e.stopDate.toISOString() } : {}),
    ...(request ? { request } : {}), ...(items ? { items } : {}),
    ...(e.error ? { error: [e.error, e.cause].filter(Boolean).join(': ') } : {}),
  };
}

/** The most recent executions of the replay state machine, newest first. */
export async function recentReplays(sfn: SFNClient, stateMachineArn: string, max = 10): Promise<ReplayRun[]> {
  const { ListExecutionsCommand } = await sfnApi();
  const list = (await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: max }))).executions ?? [];
  return Promise.all(list.map((e) => describeReplay(sfn, e.executionArn!)));
}

/** The review page's replay panel in AWS. */
export const stepFunctionsProgress = (sfn: SFNClient, stateMachineArn: string, max = 10): ReplayProgress => ({ recent: () => recentReplays(sfn, stateMachineArn, max) });
