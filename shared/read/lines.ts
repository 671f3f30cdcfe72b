/**
 * Splits a byte stream into lines without ever holding more than one line (up to maxLineBytes)
 * in memory. A longer line is not buffered: it is reported by its length so it can be rejected.
 */
export interface Line { text: string; line: number; tooLong?: number }

export const DEFAULT_MAX_LINE_BYTES = 1 << 20; // 1 MiB: far above any real log record

const NEWLINE = 0x0a;

/** Where reading stands: bytes consumed through the end of the last line yielded, and its number. */
export interface Position { bytes: number; line: number }

/**
 * `position` (optional) is kept up to date, and its starting values say where the stream begins
 * (resuming from a checkpoint); `skipBytes` discards that many bytes first (a gzip stream cannot
 * be entered in the middle, so it is read from the start and the part already done is skipped).
 */
export async function* splitLines(chunks: AsyncIterable<Buffer | Uint8Array>, maxLineBytes = DEFAULT_MAX_LINE_BYTES, position: Position = { bytes: 0, line: 0 }, skipBytes = 0): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8'); // invalid UTF-8 becomes U+FFFD: the record is still counted
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = 0; // bytes of the current line beyond the cap (not kept)
  let line = position.line;
  let toSkip = skipBytes;
  let pending = 0; // bytes of the current line so far, newline excluded
  const finish = (): Line => {
    line += 1;
    position.bytes += pending;
    position.line = line;
    pending = 0;
    if (overflow > 0) {
      const result = { text: '', line, tooLong: size + overflow };
      parts = []; size = 0; overflow = 0;
      return result;
    }
    let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    parts = []; size = 0;
    return { text: decoder.decode(buf), line };
  };
  const take = (piece: Buffer) => {
    if (overflow > 0 || size + piece.length > maxLineBytes) { overflow += piece.length; return; }
    parts.push(piece); size += piece.length;
  };
  for await (const raw of chunks) {
    let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    if (toSkip > 0) {
      const skipped = Math.min(toSkip, chunk.length);
      chunk = chunk.subarray(skipped);
      toSkip -= skipped;
      if (!chunk.length) continue;
    }
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      take(chunk.subarray(start, nl));
      pending += nl - start + 1;
      yield finish();
      start = nl + 1;
    }
    if (start < chunk.length) {
      take(Buffer.from(chunk.subarray(start))); // copy: the chunk may be reused
      pending += chunk.length - start;
    }
  }
  if (size > 0 || overflow > 0) yield finish();
}
