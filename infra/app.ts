import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { SourceName } from '#shared/model/index.ts';
import { MonitorStack } from './monitor-stack.ts';
import { acknowledgeStackFindings } from './nag.ts';

/** Builds the CDK app; `npm run synth` and the infra tests use the same function. */
export function buildApp(app = new App()): { app: App; stack: MonitorStack } {
  const context = (name: string) => app.node.tryGetContext(name) as string | undefined;
  const list = (name: string) => context(name)?.split(',').map((s) => s.trim()).filter(Boolean);
  const stack = new MonitorStack(app, context('stackName') ?? 'ITTMonitor', {
    // logBuckets: "bucket/prefix=format,other-bucket" (prefix and format optional); crossAccountBuckets: names of those in other accounts
    ...(list('logBuckets') ? { logSources: list('logBuckets')!.map((entry) => {
      const [path, source] = entry.split('=');
      const [bucketName, ...prefix] = path!.split('/');
      return { bucketName: bucketName!, ...(list('crossAccountBuckets')?.includes(bucketName!) ? { crossAccount: true } : {}), ...(prefix.length ? { prefix: `${prefix.join('/').replace(/\/$/, '')}/` } : {}), ...(source ? { source: source as SourceName } : {}) };
    }) } : {}),
    ...(list('logGroups') ? { logGroups: list('logGroups')! } : {}),
    ...(context('notifyEmail') ? { notifyEmail: context('notifyEmail')! } : {}),
    ...(context('pseudonymise') === 'true' ? { pseudonymise: true } : {}),
  });
  acknowledgeStackFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (process.argv[1]?.endsWith('app.ts')) buildApp().app.synth();
