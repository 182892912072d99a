// How every procedure starts: the input validated at the edge (a rejection is announced and ends
// the run with a cause naming the fields; nothing is changed), then the target's lock.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { acquireLock as acquireLockWorker } from '../tasks/acquire-lock.ts';
import { errorName, LockHeld } from '../tasks/errors.ts';
import type { Worker } from '../tasks/worker.ts';
import { invokeWorker } from './invoke-worker.ts';
import { notifyAndFail } from './outcomes.ts';
import type { Deps } from './procedure.ts';

/** The first step: $ becomes {request}, the input resolved against the catalogue. */
export function validateInput(
  scope: Construct,
  deps: Deps,
  worker: Worker,
  props: { procedure: string; comment: string; fail: sfn.Fail },
) {
  const validate = invokeWorker(scope, 'Validate Input', deps, worker, {
    comment: props.comment,
    payload: {
      // The execution input as given, from the context object: `$` of a `null` input points to no
      // value (States.Runtime before validation could refuse it), the context's Input always does.
      'input.$': '$$.Execution.Input',
      // As JSON text: CDK drops the null values of a Task's parameters, and a null in the config
      // (a reminder turned off, no snapshot retention) would silently become its default.
      catalogue: JSON.stringify(deps.catalogue),
      // Only a procedure that runs this one nested may be named as its parent.
      ...(deps.parents.length > 0 && { parents: deps.parents }),
      execution: {
        'id.$': '$$.Execution.Id',
        'name.$': '$$.Execution.Name',
        'startTime.$': '$$.Execution.StartTime',
      },
    },
    // The input may not even be an object: replace it with the resolved request, and keep a
    // rejection whole, so that neither needs a field of the input to land in.
    resultPath: '$',
    resultSelector: { 'request.$': '$' },
    retry: 'read',
  });
  const keepRejection = new sfn.Pass(scope, 'Record Input Error', {
    stateName: 'Record Input Error',
    parameters: { 'failure.$': '$' },
  });
  keepRejection.next(
    notifyAndFail(
      scope,
      { notify: 'Notify Rejected Input', explain: 'Explain Rejected Input' },
      deps,
      { event: 'failed', procedure: props.procedure, failurePath: '$.failure' },
      props.fail,
    ),
  );
  // No ResultPath: the error output replaces the input (the default).
  validate.addCatch(keepRejection, { errors: ['States.ALL'] });
  return validate;
}

/** Where a run goes when it cannot take its lock ($.failure holds the error). */
export interface LockFailures {
  /** Another run's lock (LockHeld, naming the holder): not this run's to release. */
  readonly held: sfn.IChainable;
  /** Anything else, which may have left this run's lock taken: release it. */
  readonly other: sfn.IChainable;
}

/** One run per service (or database): deploy and rollback exclude each other. Fails with LockHeld, naming the holder. */
export function acquireLock(scope: Construct, deps: Deps, comment: string, failures: LockFailures) {
  const lock = invokeWorker(scope, 'Acquire Lock', deps, acquireLockWorker, {
    comment,
    payload: {
      table: deps.table,
      'lock.$': '$.request.lock',
      'now.$': '$$.State.EnteredTime',
      ttlSeconds: deps.maxRunSeconds,
    },
    resultPath: null,
    retry: 'change',
  });
  lock.addCatch(failures.held, { errors: [errorName(LockHeld)], resultPath: '$.failure' });
  lock.addCatch(failures.other, { errors: ['States.ALL'], resultPath: '$.failure' });
  return lock;
}
