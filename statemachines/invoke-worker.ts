// One Task state that invokes a worker: a timeout, and retries with backoff and full jitter on
// transient Lambda and AWS errors (and, for read-only steps, when the function died: timed out, out
// of memory, Lambda.Unknown).

import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Duration } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import { errorName, TransientAwsError } from '../tasks/errors.ts';
import type { Worker } from '../tasks/worker.ts';
import type { Deps } from './procedure.ts';
import { TASK_TIMEOUT_SECONDS } from './timing.ts';

/**
 * How a function's own failure reaches Step Functions when the function could not answer: it timed
 * out, ran out of memory, or died without an error type. Whatever it did before is unknown: a
 * read-only step is retried, a mutating one never (the change may have happened).
 */
export const LAMBDA_DIED = ['Lambda.Unknown', 'Sandbox.Timedout', 'Runtime.OutOfMemory'];

export const LAMBDA_TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
];

/**
 * How a step may be retried:
 * - 'change': a mutating step; never retried when the function died (the change may have happened);
 * - 'read': a read-only step; also retried when the function died (LAMBDA_DIED);
 * - 'poll': one round of a poll loop; fewer retries, because the next round checks again and
 *   every retried attempt costs history events in a loop that may run hundreds of rounds.
 */
export type RetryKind = 'change' | 'read' | 'poll';

export interface InvokeProps {
  readonly comment: string;
  readonly payload: Record<string, unknown>;
  /** Where the result goes; null discards it, '$' replaces the input. */
  readonly resultPath: string | null;
  readonly retry: RetryKind;
  /** Reshapes the result before ResultPath places it. */
  readonly resultSelector?: Record<string, unknown>;
}

/** Retry attempts per error group and kind; the history budget (timing.ts) counts on these. */
export const RETRY_ATTEMPTS: Record<RetryKind, { lambda: number; aws: number; unknown: number }> = {
  change: { lambda: 6, aws: 5, unknown: 0 },
  read: { lambda: 6, aws: 5, unknown: 2 },
  poll: { lambda: 3, aws: 3, unknown: 1 },
};

/**
 * Longest `steps` read steps one after another may take, without polls: each attempt at its task
 * timeout, the longest backoffs between them (at most 30 s each, say 60 s), and a margin. The budget
 * of a read-only procedure (health-check, resource-usage).
 */
export function stepsInLineSeconds(steps: number): number {
  const { lambda, aws, unknown } = RETRY_ATTEMPTS.read;
  return steps * (1 + lambda + aws + unknown) * (TASK_TIMEOUT_SECONDS + 60) + 600;
}

/** Retries a nested execution's start when Step Functions throttles or fails it (its name makes a retry attach, not start twice). */
export function addNestedStartRetry(task: sfn.TaskStateBase): void {
  task.addRetry({
    errors: ['StepFunctions.ThrottlingException', 'StepFunctions.AWSStepFunctionsException'],
    interval: Duration.seconds(2),
    maxAttempts: 4,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
}

export function addRetries(task: sfn.TaskStateBase, kind: RetryKind): void {
  const attempts = RETRY_ATTEMPTS[kind];
  task.addRetry({
    errors: LAMBDA_TRANSIENT,
    interval: Duration.seconds(2),
    maxAttempts: attempts.lambda,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  task.addRetry({
    errors: [errorName(TransientAwsError)],
    interval: Duration.seconds(2),
    maxAttempts: attempts.aws,
    backoffRate: 2,
    maxDelay: Duration.seconds(30),
    jitterStrategy: sfn.JitterType.FULL,
  });
  if (attempts.unknown > 0) {
    task.addRetry({
      errors: LAMBDA_DIED,
      interval: Duration.seconds(5),
      maxAttempts: attempts.unknown,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
  }
}

export function invokeWorker(
  scope: Construct,
  stateName: string,
  deps: Deps,
  worker: Worker,
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
  addRetries(task, props.retry);
  return task;
}
