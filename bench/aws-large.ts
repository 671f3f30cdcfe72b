/**
 * A Lambda runtime stand-in for one object, in its own process (so its peak RSS is the handler's):
 * invokes the ingest handler with the S3 notification, then with every continuation it sends
 * itself, each invocation with its own simulated time limit; objects handed off run in the
 * large-object task. Prints one JSON line.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSEvent } from 'aws-lambda';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** SQS and Step Functions on loopback (AWS JSON protocol): what the handler sends is kept here. */
async function jsonService(reply: (target: string, body: Record<string, unknown>) => unknown) {
  const server = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => { b += c; });
    req.on('end', () => { res.setHeader('content-type', 'application/x-amz-json-1.1'); res.end(JSON.stringify(reply(String(req.headers['x-amz-target'] ?? ''), JSON.parse(b || '{}')) ?? {})); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const [bucket, key, etag, size, invocationSeconds] = process.argv.slice(2);
const queue: string[] = [];
const handed: string[] = [];
const stub = await jsonService((target, body) => {
  if (target === 'AmazonSQS.SendMessage') { queue.push(String(body.MessageBody)); return { MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(String(body.MessageBody)).digest('hex') }; }
  if (target === 'AWSStepFunctions.StartExecution') { handed.push(String(body.input)); return { executionArn: 'arn', startDate: 1 }; }
  return {};
});
Object.assign(process.env, { AWS_ENDPOINT_URL_SQS: stub.endpoint, AWS_ENDPOINT_URL_SFN: stub.endpoint, QUEUE_URL: `${stub.endpoint}/1/q` });
const { handler } = await import('../functions/ingest-object/handler.ts');
const { runTask } = await import('../functions/ingest-large/task.ts');
const message = (body: string): SQSEvent => ({ Records: [{ messageId: randomUUID(), receiptHandle: 'r', body, attributes: {} as never, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:1:q', awsRegion: 'us-east-1' }] });
const notification = JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', eventTime: new Date().toISOString(), s3: { bucket: { name: bucket }, object: { key, eTag: etag, size: Number(size) } } }] });
let peak = 0;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
const t = performance.now();
let invocations = 0;
for (let body: string | undefined = notification; body; body = queue.shift()) {
  const ends = Date.now() + Number(invocationSeconds) * 1000;
  const context = { getRemainingTimeInMillis: () => ends - Date.now(), functionName: 'bench', awsRequestId: randomUUID() } as unknown as Context;
  const res = await handler(message(body), context);
  if (res.batchItemFailures.length) throw new Error(`invocation ${invocations} failed`);
  invocations++;
}
let task = 0;
for (const input of handed) {
  const t0 = performance.now();
  await runTask((JSON.parse(input) as { ref: never }).ref);
  task += (performance.now() - t0) / 1000;
}
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
await stub.close();
console.log(JSON.stringify({ invocations, handedOff: handed.length, seconds: (performance.now() - t) / 1000, taskSeconds: task, peakRssMB: Math.round(peak / 1048576), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
