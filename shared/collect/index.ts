import { boxCollector } from './box.ts';
import type { Credentials } from './credentials.ts';
import { gdriveCollector } from './gdrive.ts';
import { githubCollector } from './github.ts';
import { gitlabCollector } from './gitlab.ts';
import type { HttpOptions } from './http.ts';
import { m365Collector } from './m365.ts';
import type { Collector, CollectorSource } from './types.ts';

export * from './types.ts';
export { collect, pageKey, type CheckpointStore, type PageSink, type CollectResult } from './run.ts';
export { credentialsFromEnv, parseCredentials, CredentialsError, type Credentials } from './credentials.ts';

/** The collector of a source, signed in with its credentials. */
export function collectorFor<S extends CollectorSource>(source: S, creds: Credentials[S], http: Partial<HttpOptions> = {}): Collector {
  switch (source) {
    case 'm365': return m365Collector(creds as Credentials['m365'], http);
    case 'gdrive': return gdriveCollector(creds as Credentials['gdrive'], http);
    case 'box': return boxCollector(creds as Credentials['box'], http);
    case 'github': return githubCollector(creds as Credentials['github'], http);
    case 'gitlab': return gitlabCollector(creds as Credentials['gitlab'], http);
    default: throw new Error(`no collector for ${String(source)}`);
  }
}
