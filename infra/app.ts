import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MonitorStack } from './monitor-stack.ts';
import { acknowledgeStackFindings } from './nag.ts';
import { loadStackSettings, SettingsError, type StackSettings } from './settings.ts';
import { SourceAccountStack } from './source-account-stack.ts';

/**
 * Builds the CDK app from the stack settings (the file cdk.json names in context `settingsFile`,
 * or the given settings); `npm run synth` and the infra tests use the same function. For each
 * other account that holds log buckets, a stack `{stackName}-source-{account}` to deploy there.
 */
export function buildApp(app = new App(), given?: StackSettings): { app: App; stack: MonitorStack; sources: SourceAccountStack[] } {
  const settings = given ?? loadStackSettings(String(app.node.tryGetContext('settingsFile') ?? 'ittmon.stack.yaml'));
  const env = settings.account && settings.region ? { env: { account: settings.account, region: settings.region } } : {};
  const stack = new MonitorStack(app, settings.stackName, { settings, ...env });
  const others = new Map<string, StackSettings['logSources']>();
  for (const s of settings.logSources) if (s.account && s.account !== settings.account) others.set(s.account, [...(others.get(s.account) ?? []), s]);
  const sources = [...others].map(([account, list]) => new SourceAccountStack(app, `${settings.stackName}-source-${account}`, {
    env: { account, region: settings.region! }, description: `ITT Monitor ${settings.stackName}: log access from account ${account}`,
    monitor: { account: settings.account!, region: settings.region!, stackName: settings.stackName }, sources: list,
  }));
  acknowledgeStackFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, sources };
}

if (process.argv[1]?.endsWith('app.ts')) {
  try {
    buildApp().app.synth();
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
