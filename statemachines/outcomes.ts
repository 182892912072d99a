// How runs end: releasing the lock, announcing the outcome, and the Fail states. Which error a run
// ends with is read from the definition: a Fail state with a fixed name per outcome (the caught
// error itself where it is not an outcome of its own); the notice only words the cause.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { RunbookErrorClass } from '../tasks/errors.ts';
import { errorName } from '../tasks/errors.ts';
import { type NotifyEvent, notify } from '../tasks/notify.ts';
import { releaseLock as releaseLockWorker } from '../tasks/release-lock.ts';
import type { Worker } from '../tasks/worker.ts';
import { invokeWorker } from './invoke-worker.ts';
import type { Deps } from './procedure.ts';

/** Ends a run with the error that was caught ($.failure.Error) and the cause the notice worded. */
export function failRun(scope: Construct): sfn.Fail {
  return new sfn.Fail(scope, 'Fail Run', {
    stateName: 'Fail Run',
    comment: 'Ends the run with the error that was caught, and the cause the failure notice worded.',
    errorPath: '$.failure.Error',
    causePath: '$.outcome.cause',
  });
}

/** Ends a run with an outcome of its own (DeploymentRolledBack, RollbackFailed) and the cause the notice worded. */
export function failWith(
  scope: Construct,
  stateName: string,
  error: RunbookErrorClass,
  comment: string,
): sfn.Fail {
  return new sfn.Fail(scope, stateName, {
    stateName,
    comment,
    error: errorName(error),
    causePath: '$.outcome.cause',
  });
}

export interface NotifyProps {
  readonly event: NotifyEvent;
  readonly procedure: string;
  /** Where the caught error is ({Error, Cause}); omitted for success notices. */
  readonly failurePath?: string;
  /** A States.Format(...) expression or JSONPath describing what changed. */
  readonly detail?: string;
  /** Where the request is; absent when the input never validated (the notice then reads the execution input). */
  readonly requestPath?: string;
}

/** Publishes a notice; its result ({event, severity, cause}) lands in $.outcome. */
export function notifyStep(scope: Construct, stateName: string, deps: Deps, props: NotifyProps) {
  const payload: Record<string, unknown> = {
    topicArn: deps.topicArn,
    event: props.event,
    procedure: props.procedure,
    'executionId.$': '$$.Execution.Id',
  };
  if (props.requestPath) {
    payload['environment.$'] = `${props.requestPath}.environment`;
    payload['service.$'] = `${props.requestPath}.service`;
  } else {
    payload['input.$'] = '$$.Execution.Input';
  }
  if (props.failurePath) payload['failure.$'] = props.failurePath;
  if (props.detail) payload['detail.$'] = props.detail;
  return invokeWorker(scope, stateName, deps, notify, {
    comment: `Announces '${props.event}' on the notifications topic.`,
    payload,
    resultPath: '$.outcome',
    retry: 'change',
  });
}

/** Notify, then fail. If the notice cannot be sent the run still fails as it would have, with the caught cause. */
export function notifyAndFail(
  scope: Construct,
  names: { notify: string; explain: string },
  deps: Deps,
  props: NotifyProps & { failurePath: string },
  fail: sfn.Fail,
): sfn.IChainable {
  const explain = new sfn.Pass(scope, names.explain, {
    stateName: names.explain,
    comment: 'The notice could not be sent; fail with the caught cause as it is.',
    parameters: { 'cause.$': `${props.failurePath}.Cause` },
    resultPath: '$.outcome',
  });
  explain.next(fail);
  const notify = notifyStep(scope, names.notify, deps, props);
  notify.addCatch(explain, { errors: ['States.ALL'], resultPath: '$.notifyError' });
  return notify.next(fail);
}

/** The failure notice every procedure ends a failed run with (warning severity), then `fail`. */
export function failureNotice(scope: Construct, deps: Deps, fail: sfn.Fail): sfn.IChainable {
  return notifyAndFail(
    scope,
    { notify: 'Notify Failure', explain: 'Explain Failure' },
    deps,
    { event: 'failed', procedure: deps.procedure, failurePath: '$.failure', requestPath: '$.request' },
    fail,
  );
}

/**
 * How a run that fails ends, by where it is: `fail` itself; `notifyFailure` before the lock (notify,
 * fail); `releaseAndFail` holding it with nothing changed (release, notify, fail).
 */
export function failurePaths(scope: Construct, deps: Deps) {
  const fail = failRun(scope);
  const notifyFailure = failureNotice(scope, deps, fail);
  const releaseAndFail = releaseLock(scope, 'Release Lock After Failure', deps, notifyFailure);
  return { fail, notifyFailure, releaseAndFail };
}

/**
 * How a run ends that needs a person now: release the lock, page (the event's severity) with the
 * caught error in $.failure and the words for the person in $.failure.note, fail. Returns the release.
 */
export function releaseAndPage(
  scope: Construct,
  deps: Deps,
  fail: sfn.Fail,
  props: {
    readonly event: NotifyEvent;
    readonly names: { readonly release: string; readonly notify: string; readonly explain: string };
  },
): sfn.IChainable {
  const page = notifyAndFail(
    scope,
    { notify: props.names.notify, explain: props.names.explain },
    deps,
    {
      event: props.event,
      procedure: deps.procedure,
      failurePath: '$.failure',
      requestPath: '$.request',
      detail: '$.failure.note',
    },
    fail,
  );
  return releaseLock(scope, props.names.release, deps, page);
}

/** Releases the lock this run holds; a failure to release never hides the run's outcome (the lock also expires). */
export function releaseLock(
  scope: Construct,
  stateName: string,
  deps: Deps,
  next: sfn.IChainable,
): sfn.IChainable {
  const release = invokeWorker(scope, stateName, deps, releaseLockWorker, {
    comment: "Releases this run's lock on the service (only if this run still owns it).",
    payload: { table: deps.table, 'lock.$': '$.request.lock' },
    resultPath: '$.lockRelease',
    retry: 'change',
  });
  release.addCatch(next, { errors: ['States.ALL'], resultPath: '$.lockReleaseError' });
  return release.next(next);
}

/**
 * How a run that did what it was asked ends: release its lock, announce it (a notice that cannot be
 * sent does not fail the run), succeed. Returns the release, to chain into.
 */
export function succeedRun(
  scope: Construct,
  deps: Deps,
  props: { readonly succeed: string; readonly comment: string; readonly detail: string },
): sfn.IChainable {
  const succeed = new sfn.Succeed(scope, props.succeed, { stateName: props.succeed, comment: props.comment });
  const notify = notifyStep(scope, 'Notify Success', deps, {
    event: 'succeeded',
    procedure: deps.procedure,
    requestPath: '$.request',
    detail: props.detail,
  });
  notify.addCatch(succeed, { errors: ['States.ALL'], resultPath: '$.notifyError' });
  notify.next(succeed);
  return releaseLock(scope, 'Release Lock', deps, notify);
}

/** A state's name and what it says in the console. */
interface Named {
  readonly stateName: string;
  readonly comment: string;
}

/**
 * How a read-only procedure ends with its report ($.report, also the run's output): quietly when the
 * report's severity is null, otherwise announced by `worker` first. A notice that cannot be sent
 * fails the run (through `notifyFailure`): a report nobody hears of is no check at all.
 */
export function announceReport(
  scope: Construct,
  deps: Deps,
  notifyFailure: sfn.IChainable,
  props: {
    readonly choice: string;
    readonly worker: Worker;
    readonly announce: Named;
    readonly announced: Named;
    readonly quiet: Named;
  },
): sfn.Choice {
  const succeed = ({ stateName, comment }: Named) =>
    new sfn.Succeed(scope, stateName, { stateName, comment, outputPath: '$.report' });
  const announce = invokeWorker(scope, props.announce.stateName, deps, props.worker, {
    comment: props.announce.comment,
    payload: {
      topicArn: deps.topicArn,
      procedure: deps.procedure,
      'executionId.$': '$$.Execution.Id',
      'report.$': '$.report',
    },
    resultPath: '$.notice',
    retry: 'change',
  });
  announce.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.failure' });
  announce.next(succeed(props.announced));
  return new sfn.Choice(scope, props.choice, { stateName: props.choice })
    .when(notNull('$.report.severity'), announce)
    .otherwise(succeed(props.quiet));
}

/** Adds the same Catch to every task in a stretch of the flow. */
export function catchAll(states: sfn.TaskStateBase[], handler: sfn.IChainable, resultPath: string): void {
  for (const state of states) state.addCatch(handler, { errors: ['States.ALL'], resultPath });
}

/**
 * "The value at `path` is not null", written as Not(IsNull: true): the same on AWS, and the local
 * engine evaluates `IsNull: false` as always false.
 */
export const notNull = (path: string): sfn.Condition => sfn.Condition.not(sfn.Condition.isNull(path));
