import type { Origin } from '#shared/model/index.ts';
import { decodeBase64Payload } from './decompress.ts';

export type JsonObject = Record<string, unknown>;
/** A record as it comes off the wire: a text line or a JSON object. */
export type RawRecord = string | JsonObject;

export type ReadItem =
  | { kind: 'record'; record: RawRecord; origin: Origin }
  | { kind: 'skip' | 'reject'; reason: string; origin: Origin; raw?: string };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_DEPTH = 4;

/**
 * Takes the transport wrappers off a JSON value, whatever source is inside: arrays and API pages,
 * CloudTrail's `{"Records":[…]}`, CloudWatch Logs subscriptions (`awslogs.data`, DATA_MESSAGE,
 * CONTROL_MESSAGE), Kinesis and Firehose records, EventBridge events. One mechanism for every source.
 */
export function* unwrap(value: unknown, origin: Origin, depth = 0): Generator<ReadItem> {
  if (depth > MAX_DEPTH) {
    yield { kind: 'reject', reason: 'envelopes nested too deep', origin };
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* unwrap(value[i], origin, depth + 1);
    return;
  }
  if (!isObject(value)) {
    yield { kind: 'reject', reason: `a JSON ${value === null ? 'null' : typeof value} is not a log record`, origin, raw: JSON.stringify(value)?.slice(0, 200) };
    return;
  }
  const wrapped = pageItems(value);
  if (wrapped) {
    for (let i = 0; i < wrapped.length; i++) yield* unwrap(wrapped[i], origin, depth + 1);
    return;
  }
  const payload = encodedPayload(value);
  if (payload !== undefined) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(decodeBase64Payload(payload));
    } catch (e) {
      yield { kind: 'reject', reason: `encoded payload is not base64 (gzip) JSON: ${(e as Error).message}`, origin };
      return;
    }
    yield* unwrap(decoded, origin, depth + 1);
    return;
  }
  const bridged = eventBridgeDetail(value);
  if (bridged) {
    if (bridged.carries) yield* unwrap(bridged.detail, origin, depth + 1);
    else yield { kind: 'skip', reason: `EventBridge event, not an access record: "${bridged.type}" from ${bridged.source}`, origin };
    return;
  }
  if (value.messageType === 'CONTROL_MESSAGE') {
    yield { kind: 'skip', reason: 'CloudWatch Logs control message', origin };
    return;
  }
  if (value.messageType === 'DATA_MESSAGE' && Array.isArray(value.logEvents)) {
    for (let i = 0; i < value.logEvents.length; i++) {
      const message = (value.logEvents[i] as JsonObject | undefined)?.message;
      if (typeof message !== 'string') {
        yield { kind: 'reject', reason: 'CloudWatch Logs event without a message', origin };
        continue;
      }
      const text = message.replace(/\s+$/, '');
      if (text.startsWith('{')) {
        try {
          yield* unwrap(JSON.parse(text), origin, depth + 1);
          continue;
        } catch { /* not JSON after all: a text line */ }
      }
      yield { kind: 'record', record: text, origin };
    }
    return;
  }
  yield { kind: 'record', record: value, origin };
}

/** Arrays that hold records: CloudTrail `Records`, API pages (`entries`, `items`, `records`, `data`). */
function pageItems(value: JsonObject): unknown[] | undefined {
  for (const key of ['Records', 'entries', 'items', 'records']) {
    const items = value[key];
    if (Array.isArray(items) && Object.keys(value).every((k) => k === key || PAGE_METADATA.has(k))) return items;
  }
  return undefined;
}
const PAGE_METADATA = new Set(['chunk_size', 'next_stream_position', 'next_marker', 'limit', 'kind', 'etag', 'nextPageToken', 'invocationId', 'deliveryStreamArn', 'region', 'sourceKinesisStreamArn']);

/**
 * An EventBridge event (as a rule, archive or Firehose delivers it): the CloudTrail record sits in
 * `detail` for the "… via CloudTrail" detail types; other events are not access records.
 */
function eventBridgeDetail(value: JsonObject): { carries: boolean; detail: JsonObject; type: string; source: string } | undefined {
  const type = value['detail-type'];
  if (typeof type !== 'string' || !isObject(value.detail) || typeof value.source !== 'string') return undefined;
  return { carries: / via CloudTrail$/.test(type), detail: value.detail, type, source: value.source };
}

/** base64 data of a CloudWatch Logs subscription event, a Kinesis record or a Firehose record. */
function encodedPayload(value: JsonObject): string | undefined {
  const awslogs = value.awslogs;
  if (isObject(awslogs) && typeof awslogs.data === 'string') return awslogs.data;
  const kinesis = value.kinesis;
  if (isObject(kinesis) && typeof kinesis.data === 'string') return kinesis.data;
  if (typeof value.recordId === 'string' && typeof value.data === 'string') return value.data;
  return undefined;
}
