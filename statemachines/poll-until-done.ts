// The one loop shape every wait uses: Start (reset the round counter) -> Check -> Done? -> Wait -> Check.
// The check worker returns {done, attempt}, and throws a named error when its budget is spent
// (or, for the bake, reports done when the bake period is over), so the loop lives in the state
// machine and never runs past its budget.

import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Duration } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import type { Worker } from '../tasks/worker.ts';
import { invokeWorker } from './invoke-worker.ts';
import type { Deps } from './procedure.ts';

export interface PollUntilDoneProps {
  /** Console names of the loop's states. */
  readonly names: { start: string; check: string; done: string; wait: string; finished: string };
  readonly comment: string;
  readonly worker: Worker;
  /** The check's payload; the round counter and budget are added. */
  readonly payload: Record<string, unknown>;
  /** Where the check's latest result is kept, e.g. $.rollout. */
  readonly resultPath: string;
  /** Extra fields the first round starts with (besides attempt 0). */
  readonly initial?: Record<string, unknown>;
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
}

export class PollUntilDone extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];
  /** The check task, for the caller's Catch. */
  readonly check: sfn.TaskStateBase;

  constructor(scope: Construct, id: string, deps: Deps, props: PollUntilDoneProps) {
    super(scope, id);
    const { names, resultPath } = props;
    const start = new sfn.Pass(this, names.start, {
      stateName: names.start,
      comment: `${props.comment} Starts the round counter (budget ${props.maxAttempts} polls, every ${props.intervalSeconds} s).`,
      result: sfn.Result.fromObject({ attempt: 0, done: false, ...props.initial }),
      resultPath,
    });
    const check = invokeWorker(this, names.check, deps, props.worker, {
      comment: props.comment,
      payload: { ...props.payload, 'attempt.$': `${resultPath}.attempt`, maxAttempts: props.maxAttempts },
      resultPath,
      retry: 'poll',
    });
    const wait = new sfn.Wait(this, names.wait, {
      stateName: names.wait,
      time: sfn.WaitTime.duration(Duration.seconds(props.intervalSeconds)),
    });
    const finished = new sfn.Pass(this, names.finished, { stateName: names.finished });
    const done = new sfn.Choice(this, names.done, { stateName: names.done })
      .when(sfn.Condition.booleanEquals(`${resultPath}.done`, true), finished)
      .otherwise(wait);
    start.next(check).next(done);
    wait.next(check);
    this.check = check;
    this.startState = start;
    this.endStates = [finished];
  }
}
