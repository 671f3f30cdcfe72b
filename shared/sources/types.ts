import type { Origin, ParseOutcome, SourceName } from '#shared/model/index.ts';
import type { RawRecord } from '#shared/read/envelopes.ts';

/** One log source: a cheap sniff and a parser of one record. Parsers never throw. */
export interface LogSource {
  readonly name: SourceName;
  /** Does this record look like this source's? Called on every record: keep it cheap. */
  detect(record: RawRecord): boolean;
  parse(record: RawRecord, origin: Origin): ParseOutcome;
}
