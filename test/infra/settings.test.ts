import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStackSettings, parseStackSettings, SettingsError } from '../../infra/settings.ts';
import { repoRoot } from '#test/helpers.ts';

describe('the stack settings file', () => {
  it('the shipped ittmon.stack.yaml is valid and cdk.json names it', async () => {
    const cdk = (await import('../../cdk.json', { with: { type: 'json' } })).default as { context: { settingsFile: string } };
    expect(cdk.context.settingsFile).toBe('ittmon.stack.yaml');
    expect(loadStackSettings(cdk.context.settingsFile, repoRoot)).toMatchObject({ stackName: 'ITTMonitor', logSources: [], notifications: { emails: [] }, concurrency: { ingest: 10, stream: 5, review: 5 } });
  });
  it('refuses settings without notifications: leaving them out must not silently remove the e-mails', () => {
    expect(() => parseStackSettings('stackName: A\n')).toThrow(/ittmon\.stack\.yaml: notifications: /);
  });
  it('names the file, line and field of a wrong value, with what is expected', () => {
    const text = ['notifications:', '  emails: [export-control@northfield.edu]', 'logSources:', '  - bucket: acme-logs', '  - bucket: acme-trail', '    account: 44445555', '    kmsKeyArn: alias/trail'].join('\n');
    const err = (() => { try { parseStackSettings(text, 'prod.stack.yaml'); } catch (e) { return e as Error; } })()!;
    expect(err).toBeInstanceOf(SettingsError);
    expect(err.message).toMatch(/prod\.stack\.yaml:6: logSources\[1\]\.account: expected a 12-digit AWS account id/);
    expect(err.message).toMatch(/prod\.stack\.yaml:7: logSources\[1\]\.kmsKeyArn: expected a KMS key ARN/);
    expect(() => parseStackSettings('notifications: { emails: [] }\nlogSources:\n  - { bucket: acme-trail, account: 444455556666 }\n')).toThrow(/ittmon\.stack\.yaml: account: a log source is in another account: give the monitor's own account too/);
  });
  it('names an unknown field and the fields allowed there', () => {
    expect(() => parseStackSettings('notifications: { emails: [] }\nconcurrency:\n  ingest: 10\n  reviews: 3\n')).toThrow(/:4: concurrency: Unrecognized key: "reviews" \(known here: ingest, stream, review\)/);
  });
  it('checks bounds: the SQS event source takes 2 to 1000', () => {
    expect(() => parseStackSettings('notifications: { emails: [] }\nconcurrency: { ingest: 1 }\n')).toThrow(/concurrency\.ingest: Too small/);
  });
  it('`npm run synth` with a wrong settings file stops with that message and no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ittmon-settings-'));
    writeFileSync(join(dir, 'bad.yaml'), 'notifications: { emails: [not-an-address] }\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'infra/app.ts')], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ settingsFile: join(dir, 'bad.yaml'), 'aws:cdk:bundling-stacks': [] }), CDK_OUTDIR: join(dir, 'out') } });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/bad\.yaml:1: notifications\.emails\[0\]: expected an e-mail address/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
