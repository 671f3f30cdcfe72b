import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStackSettings } from '../../infra/settings.ts';
import { repoRoot } from '#test/helpers.ts';

/** The settings file the repository ships (cdk.json names it), with e-mail addresses. */
export const shippedSettings = () => parseStackSettings(readFileSync(join(repoRoot, 'ittmon.stack.yaml'), 'utf8'));
/** Settings with every kind of source: same-account SSE-KMS, cross-account by role and by bucket policy, data buckets. */
export const SOURCES_YAML = `
stackName: NfuMonitor
account: "111122223333"
region: us-east-1
logSources:
  - { bucket: acme-s3-logs, prefix: AWSLogs/, format: s3-access, kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555" }
  - { bucket: acme-trail, account: "444455556666", kmsKeyArn: "arn:aws:kms:us-east-1:444455556666:key/66666666-7777-8888-9999-000000000000" }
  - { bucket: partner-logs, prefix: github/, account: "777788889999", access: bucket-policy }
logGroups: [/aws/fsx/windows/audit]
dataBuckets:
  - { bucket: nfu-aero-research }
  - { bucket: nfu-shared, prefix: projects/ }
notifications: { emails: [export-control@northfield.edu, soc@northfield.edu] }
concurrency: { ingest: 20, stream: 3, review: 4 }
`;
/** No esbuild bundling: these apps test the templates; monitor-stack.test.ts bundles as `npm run synth` does. */
export const noBundling = { 'aws:cdk:bundling-stacks': [] };
