import { appendFile } from 'node:fs/promises';
import type { BusEvent, Publisher } from './events.ts';

/** The local stand-in for the bus: one JSON object per line, in the shape EventBridge delivers. */
export class JsonLinesPublisher implements Publisher {
  constructor(private readonly path: string) {}

  async publish(events: BusEvent[]): Promise<void> {
    if (!events.length) return;
    await appendFile(this.path, events.map((e) => `${JSON.stringify({ source: e.source, 'detail-type': e.detailType, time: e.time, detail: e.detail })}\n`).join(''));
  }
}
