// One Task state that invokes a worker: a timeout, retries with backoff and jitter on transient
// Lambda and AWS errors, and (for read-only steps) on Lambda.Unknown. Mutating steps never retry
// blindly on Lambda.Unknown: the change may have happened.

import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { WorkerName } from '../tasks/index.ts';
import type { Deps } from './deps.ts';
import { TASK_TIMEOUT_SECONDS } from './timing.ts';

export const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

export interface InvokeProps {
  readonly comment: string;
  readonly payload: Record<string, unknown>;
  /** Where the result goes; null discards it, '$' replaces the input. */
  readonly resultPath: string | null;
  /** Read-only steps may also be retried on Lambda.Unknown (out of memory, function timeout). */
  readonly readOnly: boolean;
  /** Reshapes the result before ResultPath places it. */
  readonly resultSelector?: Record<string, unknown>;
}

export function addRetries(task: sfn.TaskStateBase, readOnly: boolean): void {
  task.addRetry({
    errors: LAMBDA_TRANSIENT,
    interval: Duration.seconds(2),
    maxAttempts: 6,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  task.addRetry({
    errors: ['TransientAwsError'],
    interval: Duration.seconds(2),
    maxAttempts: 5,
    backoffRate: 2,
    maxDelay: Duration.seconds(30),
    jitterStrategy: sfn.JitterType.FULL,
  });
  if (readOnly) {
    task.addRetry({
      errors: ['Lambda.Unknown'],
      interval: Duration.seconds(5),
      maxAttempts: 2,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
  }
}

export function invokeWorker(
  scope: Construct,
  stateName: string,
  deps: Deps,
  worker: WorkerName,
  props: InvokeProps,
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, stateName, {
    stateName,
    comment: props.comment,
    lambdaFunction: deps.worker(worker),
    payload: sfn.TaskInput.fromObject(props.payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    // '$' (replace the input) is the default and is left out: the local engine mishandles an explicit '$'.
    ...(props.resultPath !== '$' && {
      resultPath: props.resultPath === null ? sfn.JsonPath.DISCARD : props.resultPath,
    }),
    ...(props.resultSelector && { resultSelector: props.resultSelector }),
    taskTimeout: sfn.Timeout.duration(Duration.seconds(TASK_TIMEOUT_SECONDS)),
  });
  addRetries(task, props.readOnly);
  return task;
}
