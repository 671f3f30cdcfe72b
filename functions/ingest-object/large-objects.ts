import { createHash } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { evidenceEtag, type LargeObjectRoute, type ObjectRef } from '#shared/ingest/index.ts';

/**
 * Hands an object to the large-object state machine (a Fargate task running the same core, no
 * time limit). The execution is named after the object version, so a redelivered message starts
 * nothing new: Step Functions answers a running twin with the same execution, a finished one with
 * ExecutionAlreadyExists (its failures went to the ingest DLQ).
 */
export class StepFunctionsRoute implements LargeObjectRoute {
  constructor(private readonly sfn: SFNClient, private readonly stateMachineArn: string, readonly maxCompressedBytes: number) {}

  async handOff(ref: ObjectRef, why: string): Promise<void> {
    const name = `obj-${createHash('sha256').update(`${ref.bucket}/${ref.key}#${evidenceEtag(ref.etag, ref.lookBack)}`).digest('hex').slice(0, 64)}`;
    try {
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify({ ref, why }) }));
    } catch (e) {
      if ((e as { name?: string }).name !== 'ExecutionAlreadyExists') throw e;
    }
  }
}
