import { createHash, randomUUID } from 'node:crypto';
import { request, type Server } from 'node:http';
import { bufferingServer } from './http.ts';
import type { AddressInfo } from 'node:net';

interface Version { versionId: string; body: Buffer; etag: string; lastModified: Date }

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * S3 object versioning in front of s3rver (which has none), as a versioned bucket answers on the
 * wire: each PUT gets an `x-amz-version-id`; GET and HEAD name the current version; GET
 * `?versionId=` returns that version; GET `?versions` is ListObjectVersions (ListVersionsResult
 * XML, newest first). Everything else passes to s3rver unchanged.
 */
export async function versionedS3(upstream: string) {
  const target = new URL(upstream);
  const versions = new Map<string, Version[]>(); // "bucket/key" → newest first
  const forward = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Buffer, onOk?: () => Record<string, string>) => {
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      const extra = (ur.statusCode ?? 500) < 300 && onOk ? onOk() : {};
      res.writeHead(ur.statusCode ?? 502, { ...ur.headers, ...extra });
      ur.pipe(res);
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    up.end(body);
  };
  const server: Server = bufferingServer((req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    const [bucket, ...rest] = url.pathname.slice(1).split('/');
    const key = decodeURIComponent(rest.join('/'));
    const id = `${bucket}/${key}`;
    if (req.method === 'GET' && !key && url.searchParams.has('versions')) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const rows = [...versions].filter(([k]) => k.startsWith(`${bucket}/${prefix}`)).sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([k, vs]) => vs.map((v, i) => `<Version><Key>${xml(k.slice(bucket!.length + 1))}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${i === 0}</IsLatest><LastModified>${v.lastModified.toISOString()}</LastModified><ETag>"${v.etag}"</ETag><Size>${v.body.length}</Size><StorageClass>STANDARD</StorageClass></Version>`));
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xml(prefix)}</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${rows.join('')}</ListVersionsResult>`);
      return;
    }
    if (req.method === 'PUT' && key && [...url.searchParams.keys()].every((k) => k === 'x-id')) {
      forward(req, res, body, () => {
        const v = { versionId: randomUUID().replace(/-/g, ''), body, etag: createHash('md5').update(body).digest('hex'), lastModified: new Date() };
        versions.set(id, [v, ...(versions.get(id) ?? [])]);
        return { 'x-amz-version-id': v.versionId };
      });
      return;
    }
    const versionId = url.searchParams.get('versionId');
    if ((req.method === 'GET' || req.method === 'HEAD') && key && versionId) {
      const v = versions.get(id)?.find((x) => x.versionId === versionId);
      if (!v) {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchVersion</Code><Message>The specified version does not exist.</Message><Key>${xml(key)}</Key><VersionId>${xml(versionId)}</VersionId></Error>`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': v.body.length, etag: `"${v.etag}"`, 'last-modified': v.lastModified.toUTCString(), 'x-amz-version-id': v.versionId });
      res.end(req.method === 'HEAD' ? undefined : v.body);
      return;
    }
    forward(req, res, body, (): Record<string, string> => (key && versions.has(id) ? { 'x-amz-version-id': versions.get(id)![0]!.versionId } : {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** The versions of an object, newest first. */
    versionsOf: (bucket: string, key: string) => (versions.get(`${bucket}/${key}`) ?? []).map((v) => v.versionId),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
