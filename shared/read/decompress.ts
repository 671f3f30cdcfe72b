import { createGunzip, gunzipSync } from 'node:zlib';
import { Readable, pipeline } from 'node:stream';

export const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Yields the bytes of a stream, gunzipped when it starts with the gzip magic number. */
export async function* maybeGunzip(chunks: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<Buffer> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = Buffer.from(first.value);
  const all = (async function* () {
    yield head;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield Buffer.from(r.value);
  })();
  if (!isGzip(head)) {
    yield* all;
    return;
  }
  // Concatenated gzip members (as S3 and Firehose write them) are read as one stream; a truncated
  // stream throws after the last complete line, so what was read is still counted.
  const gunzip = createGunzip();
  pipeline(Readable.from(all), gunzip, () => {});
  yield* gunzip as AsyncIterable<Buffer>;
}

/** Decodes a base64 payload that may be gzipped (CloudWatch Logs, Kinesis, Firehose records). */
export function decodeBase64Payload(data: string, maxBytes = 64 << 20): string {
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length === 0) throw new Error('empty payload');
  return (isGzip(bytes) ? gunzipSync(bytes, { maxOutputLength: maxBytes }) : bytes).toString('utf8');
}

/**
 * Whether a stream is gzip, by its first bytes (the magic number, never the object's name), and
 * the same stream to read from the start.
 */
export async function sniffGzip(chunks: AsyncIterable<Buffer | Uint8Array>): Promise<{ compressed: boolean; body: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < 2) {
    const r = await iterator.next();
    if (r.done) { done = true; break; }
    head.push(Buffer.from(r.value));
    size += r.value.length;
  }
  const body = (async function* () {
    yield* head;
    if (done) return;
    try {
      for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield Buffer.from(r.value);
    } finally {
      await iterator.return?.();
    }
  })();
  return { compressed: isGzip(Buffer.concat(head)), body };
}
