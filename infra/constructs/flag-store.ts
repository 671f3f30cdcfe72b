import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE } from '#shared/store/table.ts';

/**
 * The flag table — flags, evidence per source object, audit entries, checkpoints — defined from
 * shared/store/table.ts, the same definition the local store creates (no drift).
 * Failure impact: ingestion and review stop and SQS/stream retries hold the work; nothing is lost
 * while within retention. PITR restores up to 35 days back; deletion protection is on.
 */
export class FlagStore extends Construct {
  readonly table: Table;
  constructor(scope: Construct, id: string, key: IKey) {
    super(scope, id);
    const s = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new Table(this, 'Table', {
      partitionKey: s(TABLE.partitionKey), sortKey: s(TABLE.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.ttlAttribute,
      stream: StreamViewType[TABLE.stream],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [indexName, i] of Object.entries(TABLE.indexes)) {
      this.table.addGlobalSecondaryIndex({ indexName, partitionKey: s(i.partitionKey), sortKey: s(i.sortKey), projectionType: ProjectionType.ALL });
    }
  }
}
