import { parseArgs } from 'node:util';
import { allPages, STATUSES, type FlagStatus, type StoredFlag } from '#shared/store/index.ts';
import { formatFlags } from './format.ts';
import { EXIT, UsageError, type Io } from './io.ts';
import { DEFAULT_STORE, LocalSession } from './store.ts';

export const FLAGS_USAGE = 'ittmon flags [--store DIR] [--status S] [--json] [--objects]';

/** `ittmon flags`: the stored flags, highest severity and newest first. */
export async function flags(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { store: { type: 'string' }, status: { type: 'string' }, json: { type: 'boolean' }, objects: { type: 'boolean' } } });
  const status = values.status as FlagStatus | undefined;
  if (status && !STATUSES.includes(status)) throw new UsageError(`--status takes one of ${STATUSES.join(', ')}, not "${status}"`);
  const session = await LocalSession.open(values.store ?? DEFAULT_STORE, io.cwd, { create: false });
  try {
    if (values.objects) {
      // Where every record of every object went: records = events + skipped + rejected.
      const objects = await session.store.allObjectCounts();
      for (const o of objects) {
        if (values.json) io.out(`${JSON.stringify(o)}\n`);
        else io.out(`${o.records} records = ${o.events} events + ${o.skipped} skipped + ${o.rejected} rejected; ${o.flags} flag${o.flags === 1 ? '' : 's'}${o.tagLookupsDenied ? `; ${o.tagLookupsDenied} tag lookup(s) denied` : ''}${o.tagLookupsSkipped ? `; ${o.tagLookupsSkipped} tag lookup(s) outside dataBuckets` : ''}  ${o.object}\n`);
      }
      io.err(`${objects.length} object${objects.length === 1 ? '' : 's'} in ${values.store ?? DEFAULT_STORE}\n`);
      return EXIT.ok;
    }
    const list: StoredFlag[] = [];
    for (const s of status ? [status] : STATUSES) {
      list.push(...await allPages((cursor) => session.store.queryFlags({ status: s, limit: 200, ...(cursor ? { cursor } : {}) })));
    }
    if (values.json) for (const f of list) io.out(`${JSON.stringify(f)}\n`);
    else io.out(formatFlags(list));
    io.err(`${list.length} flag${list.length === 1 ? '' : 's'}${status ? ` ${status.replace('_', ' ')}` : ''} in ${values.store ?? DEFAULT_STORE}\n`);
    return EXIT.ok;
  } finally {
    await session.close();
  }
}
