import { Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Least privilege, spelled out: named actions only (no `*` actions on data). */
export function allow(grantee: IGrantable, actions: string[], resources: string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources }));
}

export const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:Query'];
/** Review: flags read, decisions written (audit entry put, flag updated); nothing deleted. */
export const TABLE_REVIEW = [...TABLE_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
/**
 * Ingest: evidence put, flags folded (put), the in-flight note of a fold cleared and evidence marked
 * applied (update), an object's old evidence deleted when its content changed. Audit items: denied.
 */
export const TABLE_INGEST = [...TABLE_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
/** Stream ingest: as ingest, but a CloudWatch Logs batch is stored once under its own key, so nothing is deleted. */
export const TABLE_STREAM = [...TABLE_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

/**
 * Table access, and the audit trail append-only at the IAM level: audit entries live in their own
 * partitions (`AUDIT#{flagId}`), and an explicit deny on `dynamodb:LeadingKeys` stops this role from
 * updating or deleting them, whatever else it is granted. IAM has no condition on sort keys and none
 * that tells a PutItem that creates from one that overwrites: the store writes audit entries with
 * `attribute_not_exists`, and the publisher alarms on any audit item that changes (AuditChanged).
 */
export function allowTable(grantee: IGrantable, table: ITable, actions: string[], queryIndexes = false): void {
  allow(grantee, actions, [table.tableArn]);
  // Only the review queries indexes (queue, by dataset, by person); item actions on an index ARN grant nothing.
  if (queryIndexes) allow(grantee, ['dynamodb:Query'], [`${table.tableArn}/index/*`]);
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({
    effect: Effect.DENY,
    actions: AUDIT_REWRITE,
    resources: [table.tableArn],
    conditions: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
  }));
}
export const AUDIT_REWRITE = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLUpdate', 'dynamodb:PartiQLDelete'];

/** The data key as S3, DynamoDB, SQS and Secrets Manager use it on the caller's behalf: decrypt, and generate data keys to write. */
export function allowKey(grantee: IGrantable, key: IKey, write: boolean): void {
  key.grant(grantee, 'kms:Decrypt', ...(write ? ['kms:GenerateDataKey'] : []));
}

/** How cdk-nag names a resource's ARN in a finding id: `<LogicalId.Arn>`. */
export function arnToken(resource: IConstruct): string {
  const cfn = resource.node.defaultChild as CfnElement;
  return `<${Stack.of(resource).getLogicalId(cfn)}.Arn>`;
}

/** Acknowledges cdk-nag findings on a construct, each with its reason. */
export function acknowledge(scope: IConstruct, findings: Record<string, string>): void {
  for (const [id, reason] of Object.entries(findings)) Validations.of(scope).acknowledge({ id, reason });
}
