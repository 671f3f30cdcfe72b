import type { Origin } from '#shared/model/index.ts';
import { maybeGunzip } from './decompress.ts';
import { unwrap, type ReadItem } from './envelopes.ts';
import { splitLineBatches } from './lines.ts';

export interface ReadOptions {
  /** The largest line or JSON document kept in memory; CloudTrail writes a whole file as one line. */
  maxRecordBytes?: number;
  /**
   * Resume from a checkpoint: the bytes and lines already done. The stream starts there (an S3
   * range request), or with `skip` at the beginning, those bytes being skipped (gzip).
   */
  start?: { bytes: number; line: number; skip?: boolean };
  /** Asked between lines of text and JSON-lines files: stop here, to resume later from `progress`. */
  stop?: () => boolean;
  /** Filled in: where reading ended (bytes of the decompressed stream, lines), and whether it stopped early. */
  progress?: { bytes: number; line: number; stopped: boolean };
}
export const DEFAULT_MAX_RECORD_BYTES = 128 << 20;

const preview = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/**
 * Bytes → records: gunzip, split lines, then per file either text lines, JSON lines, one JSON
 * document, or XML events, with envelopes taken off. Every record read comes out as exactly one
 * item; bad input becomes a `reject` item with the reason, never an exception. Items come in
 * batches (one per chunk read) so that a record costs no await of its own.
 */
export async function* readRecordBatches(chunks: AsyncIterable<Buffer | Uint8Array>, file: string, options: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let mode: 'unknown' | 'text' | 'jsonl' | 'document' | 'xml' = 'unknown';
  let xml: string[] | undefined; // the event being gathered, in xml mode
  let xmlStart = 0;
  let inComment = false;
  let doc: string[] = [];
  let docBytes = 0;
  let docStart = 0;
  let docTooBig = false;
  const start = options.start ?? { bytes: 0, line: 0 };
  const progress = options.progress ?? { bytes: 0, line: 0, stopped: false };
  Object.assign(progress, { bytes: start.bytes, line: start.line, stopped: false });
  let lastLine = start.line;
  let out: ReadItem[] = [];
  const push = (item: ReadItem) => { out.push(item); };
  /** The records of one JSON value, numbered by their position in it. */
  const pushJson = (value: unknown, origin: Origin) => {
    let index = 0;
    for (const item of unwrap(value, origin)) out.push({ ...item, origin: { file, line: origin.line, index: index++ } });
  };
  const sniff = { binary: false };
  try {
    for await (const lines of splitLineBatches(start.bytes === 0 ? stopAtBinary(maybeGunzip(chunks), sniff) : maybeGunzip(chunks), max, start, start.skip ? start.bytes : 0)) {
      for (const { text, line, end, tooLong } of lines) {
        // At least one line per call, so that a resumed chunk always moves forward.
        if (mode !== 'document' && !xml && line > start.line + 1 && options.stop?.()) {
          progress.stopped = true; // this line is read again on resume: progress stays before it
          if (out.length) yield out;
          return;
        }
        progress.bytes = end;
        progress.line = line;
        lastLine = line;
        if (mode === 'document') {
          if (tooLong !== undefined || docBytes + text.length > max) docTooBig = true;
          else { doc.push(text); docBytes += text.length + 1; }
          continue;
        }
        const origin: Origin = { file, line };
        if (tooLong !== undefined) {
          push({ kind: 'reject', reason: `line of ${tooLong} bytes is over the ${max}-byte limit`, origin });
          continue;
        }
        const trimmed = text.trim();
        if (trimmed === '') continue;
        if (mode === 'unknown') {
          if (trimmed.startsWith('{') || trimmed.startsWith('[')) mode = parseJson(trimmed) === undefined ? 'document' : 'jsonl';
          else if (trimmed.startsWith('//') || trimmed.startsWith('/*')) mode = 'document';
          else if (/^(- )?</.test(trimmed)) mode = 'xml';
          else mode = 'text';
          if (mode === 'document') {
            docStart = line; doc = [text]; docBytes = text.length + 1;
            continue;
          }
        }
        if (mode === 'text') {
          push({ kind: 'record', record: text, origin });
          continue;
        }
        if (mode === 'xml') {
          // XML files of Windows events: one record per <Event>…</Event>, over as many lines as it takes.
          if (inComment || (!xml && trimmed.startsWith('<!--'))) {
            inComment = !trimmed.includes('-->');
            continue;
          }
          if (!xml) {
            if (!/<Event[\s>]/.test(trimmed)) continue; // declaration, <Events> wrapper
            xml = [];
            xmlStart = line;
          }
          xml.push(trimmed);
          if (trimmed.includes('</Event>')) {
            push({ kind: 'record', record: xml.join('\n'), origin: { file, line: xmlStart } });
            xml = undefined;
          } else if (xml.length > 10_000) {
            push({ kind: 'reject', reason: 'an <Event> element without its </Event> after 10,000 lines', origin: { file, line: xmlStart } });
            xml = undefined;
          }
          continue;
        }
        const value = parseJson(trimmed);
        if (value === undefined) push({ kind: 'reject', reason: `not valid JSON in a JSON-lines file: ${jsonError(trimmed)}`, origin, raw: preview(text) });
        else pushJson(value, origin);
      }
      if (out.length) {
        yield out;
        out = [];
      }
    }
  } catch (e) {
    push({ kind: 'reject', reason: `unreadable after line ${lastLine}: ${(e as Error).message} (truncated or corrupt file?)`, origin: { file, line: lastLine + 1 } });
  }
  // A binary file is one rejected record, not one per "line" of its bytes.
  if (sniff.binary) push({ kind: 'reject', reason: 'binary file, not a text log (a NUL byte in its first 8 KB; a UTF-16 export must be converted to UTF-8)', origin: { file, line: 1 } });
  if (mode === 'xml' && xml) push({ kind: 'reject', reason: 'the file ends inside an <Event> element (truncated?)', origin: { file, line: xmlStart }, raw: preview(xml.join('\n')) });
  if (mode === 'document') readDocument();
  if (out.length) yield out;

  function readDocument() {
    const origin: Origin = { file, line: docStart };
    if (docTooBig) {
      push({ kind: 'reject', reason: `JSON document over the ${max}-byte limit: split it or write JSON lines`, origin });
      return;
    }
    const text = doc.join('\n');
    doc = [];
    const value = parseJson(text);
    if (value === undefined && looksLikeJsonLines(text)) {
      // A JSON-lines file whose first line is broken: reject that line, keep the rest.
      let line = docStart;
      for (const part of text.split('\n')) {
        const lineOrigin: Origin = { file, line: line++ };
        const trimmed = part.trim();
        if (trimmed === '') continue;
        const v = parseJson(trimmed);
        if (v === undefined) push({ kind: 'reject', reason: `not valid JSON in a JSON-lines file: ${jsonError(trimmed)}`, origin: lineOrigin, raw: preview(part) });
        else pushJson(v, lineOrigin);
      }
      return;
    }
    if (value === undefined) {
      const hint = /^\s*\/\//m.test(text) || /,\s*[}\]]/.test(text) ? ' — it has comments or trailing commas, as printed documentation examples do; real log files are strict JSON' : '';
      push({ kind: 'reject', reason: `not valid JSON: ${jsonError(text)}${hint}`, origin, raw: preview(text) });
      return;
    }
    pushJson(value, origin);
  }
}

/** One item at a time (for callers that do not need batches). */
export async function* readRecords(chunks: AsyncIterable<Buffer | Uint8Array>, file: string, options: ReadOptions = {}): AsyncGenerator<ReadItem> {
  for await (const batch of readRecordBatches(chunks, file, options)) yield* batch;
}

function looksLikeJsonLines(text: string): boolean {
  const lines = text.split('\n', 50).slice(1).filter((l) => l.trim() !== '');
  return lines.length > 0 && lines.every((l) => { const t = l.trim(); return !t.startsWith('{') || parseJson(t) !== undefined; }) && lines.some((l) => parseJson(l.trim()) !== undefined && l.trim().startsWith('{'));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
}

/** Passes text through; stops before the first chunk when the first 8 KB hold a NUL byte (the test git and grep use). */
async function* stopAtBinary(chunks: AsyncIterable<Buffer>, sniff: { binary: boolean }): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of chunks) {
    if (seen < 8192) {
      if (chunk.subarray(0, 8192 - seen).includes(0)) {
        sniff.binary = true;
        return;
      }
      seen += chunk.length;
    }
    yield chunk;
  }
}
