// What a state machine definition needs from the app: the worker functions by name and the
// names of the shared resources. The definitions know nothing else of the infrastructure.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { WorkerName } from '../tasks/index.ts';
import type { Catalogue } from '../tasks/schemas.ts';
import type { Timing } from './timing.ts';

export interface Deps {
  worker(name: WorkerName): lambda.IFunction;
  /** DynamoDB table of locks, approvals and known-good records. */
  readonly table: string;
  /** SNS topic for start, approval, success, rollback and failure notices. */
  readonly topicArn: string;
  /** Resolved by the first step of every procedure; embedded in the definition. */
  readonly catalogue: Catalogue;
  readonly timing: Timing;
  /** Longest a run of this machine may take (its timeout); its lock expires after it even if the run dies without its Catch. */
  readonly maxRunSeconds: number;
}
