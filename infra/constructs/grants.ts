import { Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Least privilege, spelled out: named actions only (no `*` actions on data). */
export function allow(grantee: IGrantable, actions: string[], resources: string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources }));
}

export const TABLE_READ = ['dynamodb:GetItem', 'dynamodb:Query'];
export const TABLE_WRITE = [...TABLE_READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

export function allowTable(grantee: IGrantable, table: ITable, actions: string[]): void {
  allow(grantee, actions, [table.tableArn, `${table.tableArn}/index/*`]);
}

export function allowKey(grantee: IGrantable, key: IKey, write: boolean): void {
  key.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey', ...(write ? ['kms:GenerateDataKey'] : []));
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
