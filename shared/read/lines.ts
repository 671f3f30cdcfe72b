/**
 * Splits a byte stream into lines without ever holding more than one line (up to maxLineBytes)
 * in memory. A longer line is not buffered: it is reported by its length so it can be rejected.
 */
export interface Line {
  text: string;
  line: number;
  /** Bytes of the stream consumed through this line's newline: where to resume after it. */
  end: number;
  tooLong?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 1 << 20; // 1 MiB: far above any real log record

const NEWLINE = 0x0a;

/** Where a stream begins: bytes and lines already done (resuming from a checkpoint). */
export interface Position { bytes: number; line: number }

/**
 * The lines of each chunk as one batch (few awaits per record). `start` says where the stream
 * begins; `skipBytes` discards that many bytes first (a gzip stream cannot be entered in the middle,
 * so it is read from the start and the part already done is skipped).
 */
export async function* splitLineBatches(chunks: AsyncIterable<Buffer | Uint8Array>, maxLineBytes = DEFAULT_MAX_LINE_BYTES, start: Position = { bytes: 0, line: 0 }, skipBytes = 0): AsyncGenerator<Line[]> {
  const decoder = new TextDecoder('utf-8'); // invalid UTF-8 becomes U+FFFD: the record is still counted
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = 0; // bytes of the current line beyond the cap (not kept)
  let line = start.line;
  let offset = start.bytes;
  let toSkip = skipBytes;
  const finish = (lineBytes: number): Line => {
    line += 1;
    offset += lineBytes;
    if (overflow > 0) {
      const result = { text: '', line, end: offset, tooLong: size + overflow };
      parts = []; size = 0; overflow = 0;
      return result;
    }
    let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    parts = []; size = 0;
    return { text: decoder.decode(buf), line, end: offset };
  };
  const take = (piece: Buffer) => {
    if (overflow > 0 || size + piece.length > maxLineBytes) { overflow += piece.length; return; }
    parts.push(piece); size += piece.length;
  };
  let pending = 0; // bytes of the current, unfinished line
  for await (const raw of chunks) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (toSkip > 0) {
      const skipped = Math.min(toSkip, chunk.length);
      chunk = chunk.subarray(skipped);
      toSkip -= skipped;
      if (!chunk.length) continue;
    }
    const batch: Line[] = [];
    let begin = 0;
    for (let nl = chunk.indexOf(NEWLINE, begin); nl !== -1; nl = chunk.indexOf(NEWLINE, begin)) {
      take(chunk.subarray(begin, nl));
      batch.push(finish(pending + nl - begin + 1));
      pending = 0;
      begin = nl + 1;
    }
    if (begin < chunk.length) {
      take(Buffer.from(chunk.subarray(begin))); // copy: the chunk may be reused
      pending += chunk.length - begin;
    }
    if (batch.length) yield batch;
  }
  if (size > 0 || overflow > 0) yield [finish(pending)];
}

/** One line at a time (for callers that do not need batches). */
export async function* splitLines(chunks: AsyncIterable<Buffer | Uint8Array>, maxLineBytes = DEFAULT_MAX_LINE_BYTES, start?: Position, skipBytes = 0): AsyncGenerator<Line> {
  for await (const batch of splitLineBatches(chunks, maxLineBytes, start, skipBytes)) yield* batch;
}
