// The runbook's "Auto Scaling Setup", made idempotent: what Application Auto Scaling holds for the
// service compared with the config first. In check mode that comparison is the run (read-only, no
// lock): a drift report, announced when it finds a difference. Otherwise, with the service's lock:
// nothing to change says so; a difference is applied (the scalable target's bounds, then the
// target-tracking policy) and read back, which is the verification. A change that fails or does not
// read back as the config says is put back as it was, from what it left, and the run fails
// AutoScalingNotApplied; one that cannot be put back pages.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { applyAutoScaling } from '../../tasks/configure-autoscaling/apply-autoscaling.ts';
import { notifyDrift } from '../../tasks/configure-autoscaling/notify-drift.ts';
import { readAutoScaling } from '../../tasks/configure-autoscaling/read-autoscaling.ts';
import { validateConfigureInput } from '../../tasks/configure-autoscaling/validate-configure-input.ts';
import { AutoScalingNotApplied, errorName, RollbackFailed } from '../../tasks/errors.ts';
import { invokeWorker } from '../invoke-worker.ts';
import {
  announceReport,
  catchAll,
  failurePaths,
  failWith,
  notifyAndFail,
  releaseAndPage,
  releaseLock,
  succeedRun,
} from '../outcomes.ts';
import type { Deps } from '../procedure.ts';
import { acquireLock, validateInput } from '../run-start.ts';

export function configureAutoScalingDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure } = deps;
  const { fail, notifyFailure, releaseAndFail } = failurePaths(scope, deps);
  const validate = validateInput(scope, deps, validateConfigureInput, {
    procedure,
    fail,
    comment:
      'Checks the input and resolves the service and the auto scaling its config gives it; changes nothing.',
  });
  const read = (
    stateName: string,
    resultPath: string,
    comment: string,
    mode: { expectInSync?: boolean; beforeChange?: boolean } = {},
  ) =>
    invokeWorker(scope, stateName, deps, readAutoScaling, {
      comment,
      payload: {
        'request.$': '$.request',
        expectInSync: mode.expectInSync ?? false,
        beforeChange: mode.beforeChange ?? true,
      },
      resultPath,
      retry: 'read',
    });

  // Check mode: the comparison is the run, and its report the output; a drift is announced.
  const report = read(
    'Report Drift',
    '$.report',
    'Read-only: how the scalable target and the policy differ from the config.',
  );
  report.addCatch(notifyFailure, { errors: ['States.ALL'], resultPath: '$.failure' });
  report.next(
    announceReport(scope, deps, notifyFailure, {
      choice: 'Drift Found?',
      worker: notifyDrift,
      announce: {
        stateName: 'Notify Drift',
        comment: 'Announces each difference from the config (warning).',
      },
      announced: {
        stateName: 'Drift Reported',
        comment: 'The report is the output, and was announced. Nothing was changed.',
      },
      quiet: {
        stateName: 'In Sync',
        comment: 'As the config says: nothing to announce. The report is the output.',
      },
    }),
  );

  // Apply mode.
  const lock = acquireLock(
    scope,
    deps,
    'One run per service: a deployment, a scale and an auto scaling change exclude each other.',
    { held: notifyFailure, other: releaseAndFail },
  );
  const before = read(
    'Read Auto Scaling',
    '$.before',
    "What Application Auto Scaling holds now, and how it differs from the config; someone else's policy of the runbook's name, or bounds that would move the count, stop the run here. Reads only.",
  );
  before.addCatch(releaseAndFail, { errors: ['States.ALL'], resultPath: '$.failure' });
  const apply = invokeWorker(scope, 'Apply Auto Scaling', deps, applyAutoScaling, {
    comment:
      'Runbook: register-scalable-target, then put-scaling-policy (target tracking on the configured metric): only what differs.',
    payload: {
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
      'from.$': '$.before.current',
      'to.$': '$.request.wanted',
    },
    resultPath: '$.applied',
    retry: 'change',
  });
  const verify = read(
    'Verify Auto Scaling',
    '$.after',
    'Reads back what was set: anything not as the config says is AutoScalingNotApplied.',
    { expectInSync: true, beforeChange: false },
  );
  apply.next(verify);

  const done = succeedRun(scope, deps, {
    succeed: 'Configured',
    comment: "The service's auto scaling is as the config says.",
    detail: "States.Format('{} ({})', $.outcome.text, $.request.requestedBy)",
  });
  verify.next(
    new sfn.Pass(scope, 'Record Change', {
      stateName: 'Record Change',
      parameters: { 'text.$': "States.Format('Applied, was: {}', $.before.summary)" },
      resultPath: '$.outcome',
    }).next(done),
  );
  const nothing = new sfn.Pass(scope, 'Nothing To Change', {
    stateName: 'Nothing To Change',
    comment: 'Already as the config says: nothing is changed, and the notice says so.',
    parameters: { 'text.$': "States.Format('Nothing to change: {}', $.before.summary)" },
    resultPath: '$.outcome',
  });
  nothing.next(done);

  // A change that failed, or did not read back as set: put back what was there before, from what
  // the account holds now (the change may have been made in part).
  const reread = read('Read Before Put Back', '$.now', 'What the failed change left, to put back from.', {
    beforeChange: false,
  });
  const undo = invokeWorker(scope, 'Put Back Auto Scaling', deps, applyAutoScaling, {
    comment:
      'Puts the scalable target and the policy back as they were before the run (removing what it created).',
    payload: {
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
      'from.$': '$.now.current',
      'to.$': '$.before.current',
    },
    resultPath: '$.undone',
    retry: 'change',
  });
  reread.next(undo);
  const notApplied = new sfn.Pass(scope, 'Not Applied', {
    stateName: 'Not Applied',
    parameters: { Error: errorName(AutoScalingNotApplied), 'Cause.$': '$.failure.Cause' },
    resultPath: '$.failure',
  });
  undo.next(notApplied);
  notApplied.next(
    releaseLock(
      scope,
      'Release Lock After Put Back',
      deps,
      notifyAndFail(
        scope,
        { notify: 'Notify Not Applied', explain: 'Explain Not Applied' },
        deps,
        {
          event: 'rolled-back',
          procedure,
          failurePath: '$.failure',
          requestPath: '$.request',
          detail:
            "States.Format('Its auto scaling is back as it was before the run (the change asked: {})', $.before.summary)",
        },
        failWith(
          scope,
          'Auto Scaling Not Applied',
          AutoScalingNotApplied,
          'Not applied; put back as it was.',
        ),
      ),
    ),
  );
  const notPutBack = new sfn.Pass(scope, 'Put Back Not Complete', {
    stateName: 'Put Back Not Complete',
    parameters: {
      'Error.$': '$.undoFailure.Error',
      'Cause.$': '$.undoFailure.Cause',
      'note.$':
        "States.Format('The change failed ({}) and putting it back failed too: the auto scaling of the service may be half changed. Before the run: {}', $.failure.Error, $.before.summary)",
    },
    resultPath: '$.failure',
  });
  notPutBack.next(
    releaseAndPage(
      scope,
      deps,
      failWith(scope, 'Put Back Failed', RollbackFailed, 'Neither applied nor put back.'),
      {
        event: 'rollback-failed',
        names: {
          release: 'Release Lock After Failed Put Back',
          notify: 'Page On Failed Put Back',
          explain: 'Explain Failed Put Back',
        },
      },
    ),
  );

  catchAll([apply, verify], reread, '$.failure');
  catchAll([reread, undo], notPutBack, '$.undoFailure');

  const inSync = new sfn.Choice(scope, 'In Sync?', { stateName: 'In Sync?' })
    .when(sfn.Condition.booleanEquals('$.before.inSync', true), nothing)
    .otherwise(apply);
  lock.next(before);
  before.next(inSync);
  const mode = new sfn.Choice(scope, 'Check Only?', { stateName: 'Check Only?' })
    .when(sfn.Condition.booleanEquals('$.request.check', true), report)
    .otherwise(lock);
  validate.next(mode);
  return validate;
}
