// What a state machine definition needs from the app: a Lambda function per worker, the state
// machines of the procedures it runs nested, and the names of the shared resources. The
// definitions know nothing else of the infrastructure.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Catalogue } from '../tasks/schemas/catalogue.ts';
import type { Worker } from '../tasks/worker.ts';
import type { ProcedureSpec } from './procedure.ts';
import type { Timing } from './timing.ts';

export interface Deps {
  /** The procedure whose machine is being built (its name, as notices and reasons say it). */
  readonly procedure: string;
  /** The Lambda function that runs a worker (one per worker, whichever procedures use it). */
  worker(worker: Worker): lambda.IFunction;
  /** The state machine of another procedure, to run as a nested execution. */
  stateMachine(procedure: ProcedureSpec): sfn.IStateMachine;
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
