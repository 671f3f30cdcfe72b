import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MonitorStack } from './monitor-stack.ts';
import { acknowledgeStackFindings } from './nag.ts';

/** Builds the CDK app; `npm run synth` and the infra tests use the same function. */
export function buildApp(app = new App()): { app: App; stack: MonitorStack } {
  const context = (name: string) => app.node.tryGetContext(name) as string | undefined;
  const list = (name: string) => context(name)?.split(',').map((s) => s.trim()).filter(Boolean);
  const stack = new MonitorStack(app, context('stackName') ?? 'ITTMonitor', {
    ...(list('logBuckets') ? { logSources: list('logBuckets')!.map((b) => { const [bucketName, prefix] = b.split('/', 2); return { bucketName: bucketName!, ...(prefix ? { prefix: `${prefix}/` } : {}) }; }) } : {}),
    ...(list('logGroups') ? { logGroups: list('logGroups')! } : {}),
    ...(context('notifyEmail') ? { notifyEmail: context('notifyEmail')! } : {}),
    ...(context('pseudonymise') === 'true' ? { pseudonymise: true } : {}),
  });
  acknowledgeStackFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (process.argv[1]?.endsWith('app.ts')) buildApp().app.synth();
