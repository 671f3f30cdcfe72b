import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FunctionName, LocalDeployment } from '#test/aws/deployment.ts';
import { allowedByLogDeliveryAcl, evaluate, identityGrants, largeObjectRequests, platformRequests, requestsFor, serviceFlows, servicePrincipalGrants, stateMachineRequests, uses, type AccessRequest, type Grant, type Verdict } from '#test/aws/iam.ts';
import type { DeployedStack } from '#test/aws/stack-model.ts';
import { JUSTIFIED } from './justified.ts';

export interface PermissionOptions {
  /**
   * Whose grants the least-privilege check covers: `all` (default) the stack's roles and service
   * principals; `functions` only the roles of the functions named (and the source accounts' read
   * roles) and the service principals, for a stack whose other roles another test file covers.
   */
  grants?: 'all' | 'functions';
  /**
   * Grants of these functions that another test file runs from the bundle, in a stack built by the
   * same construct (`grant key` → that file): reported as used there, and stale like a justification.
   */
  runElsewhere?: Record<string, string>;
}

/**
 * The policy tests of one deployment, run after its bundle tests in the same file: every AWS call
 * the bundles made there (recorded once, not run again) and every modelled platform and service
 * flow, evaluated by iam-simulate against the synthesized template; then every grant that none
 * of them uses must be justified in test/policy/justified.ts. `functions`: the functions whose
 * calls must have been recorded.
 */
export function describePermissions(name: string, deployment: () => LocalDeployment, functions: string[], options: PermissionOptions = {}): void {
  const justified: Record<string, string> = { ...JUSTIFIED, ...Object.fromEntries(Object.entries(options.runElsewhere ?? {}).map(([k, file]) => [k, `run from the bundle by ${file} (the same construct grants it there)`])) };
  // Inside a describe: its beforeAll runs after the bundle tests before it in the file.
  describe(`permissions of the ${name} stack`, () => {
    let d: LocalDeployment;
    let stack: DeployedStack;
    let recorded: AccessRequest[];
    let platform: AccessRequest[];
    let flows: AccessRequest[];
    let replay: AccessRequest[];
    let large: AccessRequest[];

    beforeAll(() => {
      d = deployment();
      stack = d.stack;
      recorded = d.aws.recorder.calls.filter((c) => c.caller !== 'test').flatMap((c) => requestsFor(stack, c, d.outside));
      platform = platformRequests(stack);
      flows = serviceFlows(stack, d.outside);
      replay = stateMachineRequests(stack);
      large = largeObjectRequests(stack);
    });

    /** A readable name for an ARN pattern: the logical id (without CDK's hash) of the resource it names. */
    function label(pattern: string): string {
      if (pattern === '*') return '*';
      const owner = Object.values(stack.resources).filter((r) => r.arn && (pattern === r.arn || pattern.startsWith(`${r.arn}/`) || pattern.startsWith(`${r.arn}:`))).sort((a, b) => b.arn!.length - a.arn!.length)[0];
      const name = (id: string) => id.replace(/[0-9A-F]{8}$/, '');
      return owner ? `${name(owner.id)}${pattern.slice(owner.arn!.length)}` : pattern.replace(/111122223333/g, '${Account}').replace(/us-east-1/g, '${Region}');
    }
    // A function by its folder in functions/ (a collector with its source: collect-box), anything else by its logical id.
    const who = (id: string) => {
      if (stack.resources[id]?.type !== 'AWS::Lambda::Function') return id.replace(/[0-9A-F]{8}$/, '').replace(/[0-9a-f]{32}/, '');
      const vars = stack.resources[id]!.props.Environment?.Variables ?? {};
      return `${(vars.POWERTOOLS_SERVICE_NAME ?? id).replace(/^ittmon-/, '')}${vars.COLLECTOR_SOURCE ? `-${vars.COLLECTOR_SOURCE}` : ''}`;
    };
    const line = (v: Verdict) => `${who(v.request.who)} ${v.request.action} ${label(v.request.resource)} — ${v.request.because} (${v.detail})`;

    async function verdicts(requests: AccessRequest[]): Promise<Verdict[]> {
      const out: Verdict[] = [];
      for (const r of requests) out.push(allowedByLogDeliveryAcl(stack, r) ? { request: r, allowed: true, detail: 'ACL' } : await evaluate(stack, r, undefined, undefined, d.outside));
      return out;
    }
    const missing = async (requests: AccessRequest[]) => (await verdicts(requests)).filter((v) => !v.allowed).map(line);

    describe('what the functions do is allowed (identity policy AND resource policy, by iam-simulate)', () => {
      it('recorded the calls of every function (made by the bundle tests above)', () => {
        // Besides the functions: the read roles of source accounts, whose sessions the ingest function assumed.
        const callers = new Set(recorded.filter((r) => stack.resources[r.who]).map((r) => who(r.who)));
        expect([...callers].sort()).toEqual([...functions].sort());
      });
      it('every AWS call the bundles made, with the KMS use it implies', async () => {
        expect(await missing(recorded)).toEqual([]);
      });
      it('what Lambda does with each role: logs, traces, event sources, failure destinations', async () => {
        expect(await missing(platform)).toEqual([]);
      });
      it('what the large-object state machine does (run the Fargate task, follow it, dead-letter a failure), and the task\'s ECS agent and flow log', async () => {
        expect(large.length).toBeGreaterThan(0);
        expect(await missing(large)).toEqual([]);
      });
      it('what the replay state machine does: list the log bucket, send each object to the encrypted ingest queue', async () => {
        expect(replay.length).toBeGreaterThan(0);
        expect(await missing(replay)).toEqual([]);
      });
    });

    describe('what AWS services do on the stack\'s behalf is allowed (resource policies, by iam-simulate)', () => {
      const of = (principal: RegExp, action: RegExp) => () => flows.filter((f) => principal.test(f.principal) && action.test(f.action));
      const cases: [string, () => AccessRequest[]][] = [
        ['CloudWatch Logs onto the encrypted log groups (key policy, aws:logs:arn context)', of(/^logs\./, /^kms:/)],
        ['CloudWatch alarms onto the encrypted topic (topic and key policy)', of(/^cloudwatch\./, /./)],
        ['S3 notifications onto the encrypted queue (queue and key policy)', of(/^s3\.amazonaws/, /./)],
        ['EventBridge onto the topic and its own encrypted bus (topic and key policy)', of(/^events\./, /./)],
        ['S3 server access logging into the log buckets (bucket policy or log-delivery ACL)', of(/^logging\.s3\./, /./)],
        ['CloudTrail into the created log bucket (bucket policy)', of(/^cloudtrail\./, /./)],
      ];
      for (const [name, requests] of cases) {
        it(name, async () => {
          // CloudTrail delivers into the stack only when it creates the log bucket (no logSources).
          if (/^CloudTrail/.test(name) && !stack.resolved.Outputs?.LogsBucketName) return void expect(requests()).toEqual([]);
          expect(requests().length).toBeGreaterThan(0);
          expect(await missing(requests())).toEqual([]);
        });
      }
    });

    describe('least privilege', () => {
      it('every granted permission is used by a call or flow, or justified in test/policy/justified.ts', async () => {
        const all = [...recorded, ...platform, ...flows, ...replay, ...large];
        const unused: string[] = [];
        const roles = new Set(options.grants === 'functions' ? functions.map((f) => d.function(f as FunctionName).props.Role as string) : []);
        const inScope = (g: Grant & { roleArn: string }) => options.grants !== 'functions' || roles.has(g.roleArn);
        const grants: Grant[] = [...identityGrants(stack).filter(inScope), ...d.outside.stacks.flatMap((st) => identityGrants(st).filter((g) => readRole(st, g.roleArn))), ...servicePrincipalGrants(stack)];
        for (const g of grants) {
          const mine = g.principal ? all.filter((r) => r.principal === g.principal) : all.filter((r) => !r.principal.endsWith('.amazonaws.com') && identityOwner(r) === g.grantee);
          let used = false;
          for (const r of mine) if ((used = await uses(stack, g, r, d.outside))) break;
          if (!used) unused.push(`${who(grantee(g))} ${g.action} ${label(g.resource)}`);
        }
        const keys = [...new Set(unused)].sort();
        const unjustified = keys.filter((k) => !justified[k]);
        // A justification is stale when its grant is covered here and used (or gone).
        const covered = new Set(grants.map((g) => who(grantee(g))));
        const stale = Object.keys(justified).filter((k) => (options.grants !== 'functions' || covered.has(k.split(' ')[0]!)) && !keys.includes(k));
        const report = [
          `# ITT Monitor policy report: ${name} (${new Date().toISOString()})`,
          `requests evaluated: ${recorded.length} recorded, ${platform.length} Lambda platform, ${flows.length} service flows, ${replay.length} replay, ${large.length} large-object`,
          '', `## Granted but unused: ${keys.length} (${unjustified.length} unjustified)`,
          ...keys.map((k) => `- ${k}${justified[k] ? ` — justified: ${justified[k]}` : ' — UNJUSTIFIED'}`),
          '', `## Stale justifications: ${stale.length}`, ...stale.map((k) => `- ${k}`),
        ].join('\n');
        const file = join(tmpdir(), `ittmon-policy-report-${name}.md`);
        writeFileSync(file, `${report}\n`);
        console.log(`policy report: ${file}\n${report}`);
        expect(unjustified).toEqual([]);
        expect(stale).toEqual([]);
      }, 120_000);
    });

    /** The role (logical id) whose session made a request. */
    function identityOwner(r: AccessRequest): string | undefined {
      const name = /assumed-role\/([^/]+)\//.exec(r.principal)?.[1];
      return [stack, ...d.outside.stacks].flatMap((st) => st.ofType('AWS::IAM::Role')).find((x) => x.ref === name)?.id;
    }
    /** The function a role belongs to, for the report; the role itself when no function uses it. */
    function grantee(g: Grant): string {
      if (g.principal) return g.principal;
      const role = stack.resources[g.grantee];
      if (!role) return g.grantee; // a source account's read role
      return stack.ofType('AWS::Lambda::Function').find((f) => f.props.Role === role.arn)?.id ?? g.grantee;
    }
  });
}

/** A role of a source-account stack that another account's principal assumes (the read role), not one of CDK's own. */
function readRole(stack: DeployedStack, roleArn: string): boolean {
  const role = stack.ofType('AWS::IAM::Role').find((r) => r.arn === roleArn);
  return [role?.props.AssumeRolePolicyDocument?.Statement].flat().some((s: any) => s?.Principal?.AWS);
}
