import type { Stack } from 'aws-cdk-lib';
import { acknowledge } from './constructs/grants.ts';

/** Findings acknowledged for the whole stack, each with the reason it is acceptable. */
export function acknowledgeStackFindings(stack: Stack): void {
  acknowledge(stack, {});
}
