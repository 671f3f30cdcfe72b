/**
 * A look at the first bytes of a (gunzipped) stream before it is split into lines: UTF-16 text
 * (PowerShell and Event Viewer exports) is turned into UTF-8, and a binary file is named once,
 * as binary, instead of as dozens of lines in an unknown format.
 */
export type Sniffed =
  | { binary?: undefined; text: AsyncIterable<Buffer> }
  | { binary: string; size: () => Promise<number> };

const HEAD_BYTES = 8192;

/** Magic numbers of files people drop in a log folder by mistake, with what to do instead. */
const MAGIC: [number[], string][] = [
  [[0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00], 'a Windows .evtx file: export it as XML (wevtutil qe LOG /f:xml, or Event Viewer "Save as XML") or as Winlogbeat JSON'],
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive: unzip it and scan the files inside'],
  [[0x42, 0x5a, 0x68], 'bzip2-compressed: only gzip is read; decompress it first'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz-compressed: only gzip is read; decompress it first'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed: only gzip is read; decompress it first'],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], 'a 7-Zip archive: extract it and scan the files inside'],
  [[0x50, 0x41, 0x52, 0x31], 'a Parquet file (CloudTrail Lake or Athena export?): export the records as JSON instead'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document, not a log'],
];

const startsWith = (head: Buffer, magic: number[]) => magic.every((b, i) => head[i] === b);

/** Control bytes that no text log holds (NUL and the C0 range except tab, LF, CR, FF, ESC). */
function looksBinary(head: Buffer): boolean {
  let control = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!;
    if (b === 0) return true;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) control += 1;
  }
  return control > head.length / 10;
}

export async function sniff(stream: AsyncIterable<Buffer>): Promise<Sniffed> {
  const iterator = stream[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < HEAD_BYTES) {
    const r = await iterator.next();
    if (r.done) { done = true; break; }
    parts.push(r.value);
    size += r.value.length;
  }
  const head = Buffer.concat(parts, size);
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield r.value;
  };
  const utf16 = head[0] === 0xff && head[1] === 0xfe ? 'utf-16le' : head[0] === 0xfe && head[1] === 0xff ? 'utf-16be' : undefined;
  if (utf16) return { text: transcode(rest(), utf16) };
  const magic = MAGIC.find(([m]) => startsWith(head, m));
  if (magic || looksBinary(head)) {
    return {
      binary: magic?.[1] ?? 'not text, so not a log this tool reads (S3 access logs, JSON, XML or syslog text)',
      size: async () => {
        let total = 0;
        for await (const chunk of rest()) total += chunk.length;
        return total;
      },
    };
  }
  return { text: rest() };
}

async function* transcode(chunks: AsyncIterable<Buffer>, encoding: 'utf-16le' | 'utf-16be'): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder(encoding); // drops the byte-order mark
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    if (text) yield Buffer.from(text, 'utf8');
  }
  const tail = decoder.decode();
  if (tail) yield Buffer.from(tail, 'utf8');
}
