import { event, skip, reject, type Action, type Actor, type Resource } from '#shared/model/index.ts';
import type { LogSource } from '../types.ts';
import type { JsonObject } from '#shared/read/envelopes.ts';
import { basename, cleanIp, defineSource, isEmail, isObject, isoTime, str, withIp } from '../common.ts';
import type { SourceSettings } from '../settings.ts';

/** Microsoft 365 unified audit log, SharePoint and OneDrive file operations (Management Activity API). */
const READS: Record<string, Action> = {
  FileDownloaded: 'download', FileSyncDownloadedFull: 'sync', FileSyncDownloadedPartial: 'sync',
  FileAccessed: 'view', FileAccessedExtended: 'view', FilePreviewed: 'preview', FileCopied: 'copy',
  AnonymousLinkUsed: 'view', SecureLinkUsed: 'view', CompanyLinkUsed: 'view',
};
const LABEL_EVENTS = new Set(['FileSensitivityLabelApplied', 'FileSensitivityLabelChanged', 'FileSensitivityLabelRemoved']);
const WORKLOADS = new Set(['SharePoint', 'OneDrive']);

/** `name_domain.com#EXT#@tenant.onmicrosoft.com` → `name@domain.com`. */
function guestEmail(upn: string): string | undefined {
  const local = upn.split('#EXT#')[0]!;
  const at = local.lastIndexOf('_');
  return at > 0 ? `${local.slice(0, at)}@${local.slice(at + 1)}` : undefined;
}

/**
 * SharePoint claims encoding (`i:0#.f|membership|user@example.com`, `i:05.t|adfs|user@example.com`,
 * `i:0#.w|ACME\\lwei`): the identity after the provider.
 */
const CLAIM = /^[ic]:0[^|]*\|(?:([^|]*)\|)?(.+)$/;

function actorOf(r: JsonObject): Actor {
  const user = str(r.UserId) ?? '';
  if (!user || user.startsWith('urn:spo:anon')) return { candidates: [], anonymous: true };
  if (user === 'app@sharepoint' || user.startsWith('SHAREPOINT\\system') || user === 'SHAREPOINT\\system') return { candidates: [`m365:${user}`], service: true };
  // A guest who signed in with a one-time passcode: `urn:spo:guest#user@example.com`.
  const guest = user.startsWith('urn:spo:guest#') ? user.slice('urn:spo:guest#'.length) : undefined;
  // Stryker disable next-line ConditionalExpression: a guest's urn:spo:guest# UserId never matches the claims pattern anyway
  const claim = guest === undefined ? CLAIM.exec(user) : null;
  const identity = guest ?? claim?.[2] ?? user;
  if (identity.includes('#EXT#') || guest !== undefined) {
    const email = identity.includes('#EXT#') ? guestEmail(identity) : isEmail(identity) ? identity : undefined;
    return { candidates: [`m365:${user}`, ...(email ? [`email:${email}`] : [])], external: true, display: email ?? user };
  }
  const candidates = [`m365:${user}`];
  if (isEmail(identity)) candidates.push(`email:${identity}`);
  if (claim && identity.includes('\\')) candidates.push(`windows:${identity}`);
  return { candidates, display: claim ? identity : user };
}

export function m365(settings: SourceSettings['m365'] = {}): LogSource {
  const labelName = (id: string) => settings.labels?.[id] ?? settings.labels?.[id.toLowerCase()] ?? id;
  return defineSource({
    name: 'm365',
    detect: (r) => typeof r === 'object' && typeof r.Operation === 'string' && 'CreationTime' in r && ('Workload' in r || 'RecordType' in r),
    parse(r, origin) {
      if (typeof r !== 'object') return reject('Microsoft 365 audit records are JSON objects');
      const operation = str(r.Operation)!;
      if (!READS[operation] && !LABEL_EVENTS.has(operation)) return skip(`not a read: ${operation}`); // decided before any parsing
      const id = str(r.Id);
      const time = isoTime(r.CreationTime); // no zone: UTC
      if (!id || !time) return reject('Microsoft 365 audit record needs Id and CreationTime');
      const workload = str(r.Workload);
      if (workload && !WORKLOADS.has(workload)) return skip(`not SharePoint or OneDrive: ${workload}`);
      if (str(r.ResultStatus)?.toLowerCase() === 'failed') return skip(`request failed: ${operation}`);
      const uri = str(r.ObjectId) ?? (str(r.SiteUrl) && str(r.SourceRelativeUrl) && str(r.SourceFileName) ? `${str(r.SiteUrl)!.replace(/\/$/, '')}/${str(r.SourceRelativeUrl)}/${str(r.SourceFileName)}` : undefined);
      if (!uri) return reject(`${operation} without ObjectId`);
      const name = str(r.SourceFileName) ?? basename(uri);
      const ip = cleanIp(r.ClientIP);
      const actor = actorOf(r);
      if (LABEL_EVENTS.has(operation)) {
        const data = isObject(r.SensitivityLabelEventData) ? r.SensitivityLabelEventData : {};
        const label = str(data.SensitivityLabelId) ?? str(r.SensitivityLabelId);
        const labels = operation === 'FileSensitivityLabelRemoved' || !label ? [] : [labelName(label)];
        return event(withIp({ id, source: 'm365', time, actor, origin, action: 'label', release: false, labelChange: 'replace', resource: { uri, name, labels } }, ip));
      }
      const action = READS[operation]!; // every other operation was skipped above
      const label = str(r.SensitivityLabelId);
      const resource: Resource = { uri, name };
      if (label) resource.labels = [labelName(label)];
      return event(withIp({ id, source: 'm365', time, actor, origin, action, release: true, resource }, ip));
    },
  });
}
