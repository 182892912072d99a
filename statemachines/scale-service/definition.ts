// The runbook's "Manual Scaling" of an ECS service, made safe: the service's lock; what it runs now
// and whether a scaler manages its count, before anything changes; an approval for a large
// scale-down where policy asks one; the scalable target's bounds moved to hold the new count (a
// scaler would otherwise undo it), then the count; then the deployment's own wait until running ==
// desired with every task's target healthy (a scaler may take the count on the same way). A scale that does not settle within its budget is put
// back as it was (count and bounds) and waited for, and the run fails ScalingFailed; one that cannot
// be put back pages (RollbackFailed).
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { RollbackFailed, ScalingFailed } from '../../tasks/errors.ts';
import { applyScale } from '../../tasks/scale-service/apply-scale.ts';
import { readScaleBaseline } from '../../tasks/scale-service/read-scale-baseline.ts';
import { validateScaleInput } from '../../tasks/scale-service/validate-scale-input.ts';
import { approvalGate } from '../approval-gate.ts';
import { invokeWorker } from '../invoke-worker.ts';
import {
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
import { waitUntilStable } from '../service-steps.ts';

export function scaleServiceDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure } = deps;
  const { fail, notifyFailure, releaseAndFail } = failurePaths(scope, deps);

  const validate = validateInput(scope, deps, validateScaleInput, {
    procedure,
    fail,
    comment:
      "Checks the input and resolves the service; the count must be within the service's configured bounds. Changes nothing.",
  });
  const lock = acquireLock(
    scope,
    deps,
    'One run per service: a deployment, a rollback and a scale of one service exclude each other.',
    { held: notifyFailure, other: releaseAndFail },
  );

  // 1. What the service runs now, and the plan: the count, and the bounds that hold it.
  const baseline = invokeWorker(scope, 'Read Baseline', deps, readScaleBaseline, {
    comment:
      "The service's count and task definition (no deployment may be under way) and its scalable target, if a scaler manages the count; reads only.",
    payload: { 'request.$': '$.request' },
    resultPath: '$.baseline',
    retry: 'read',
  });

  // 2. The change: the scaler's bounds first, then the count; waited for as a deployment is.
  const scale = invokeWorker(scope, 'Scale Service', deps, applyScale, {
    comment:
      "Runbook: update-service --desired-count. First, where a scaler manages the count, its scalable target's bounds, so that it holds the new count instead of undoing it.",
    payload: {
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
      'desiredCount.$': '$.request.desiredCount',
      'scalableTarget.$': '$.baseline.hold',
    },
    resultPath: '$.applied',
    retry: 'change',
  });
  const settled = waitUntilStable(
    scope,
    deps,
    {
      cluster: '$.request.cluster',
      service: '$.request.serviceName',
      taskDefinition: '$.baseline.taskDefinition',
      desiredRange: '$.baseline.settle',
      deploymentMade: false,
      targetGroupArn: '$.request.targetGroupArn',
      targetType: '$.request.targetType',
    },
    { subject: 'Scale', done: 'Scale Settled', resultPath: '$.scale' },
  );
  scale.next(settled);

  // 3. Failed after the change: put the count and the bounds back, wait for that, fail ScalingFailed.
  const restore = invokeWorker(scope, 'Restore Count', deps, applyScale, {
    comment: 'Puts the scalable target (if there is one) and the count back as the baseline had them.',
    payload: {
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
      'desiredCount.$': '$.baseline.from',
      'scalableTarget.$': '$.baseline.scalableTarget',
    },
    resultPath: '$.restored',
    retry: 'change',
  });
  const restoredSettled = waitUntilStable(
    scope,
    deps,
    {
      cluster: '$.request.cluster',
      service: '$.request.serviceName',
      taskDefinition: '$.baseline.taskDefinition',
      desiredRange: '$.baseline.restoreSettle',
      deploymentMade: false,
      targetGroupArn: '$.request.targetGroupArn',
      targetType: '$.request.targetType',
    },
    { subject: 'Restore', done: 'Count Restored', resultPath: '$.restoreCheck' },
  );
  restore.next(restoredSettled);
  const rolledBack = releaseLock(
    scope,
    'Release Lock After Restore',
    deps,
    notifyAndFail(
      scope,
      { notify: 'Notify Scaling Failed', explain: 'Explain Scaling Failed' },
      deps,
      {
        event: 'rolled-back',
        procedure,
        failurePath: '$.failure',
        requestPath: '$.request',
        detail:
          "States.Format('{} is back at {} tasks, as it was before the run asked for {}', $.request.serviceName, $.baseline.from, $.request.desiredCount)",
      },
      failWith(
        scope,
        'Scaling Failed',
        ScalingFailed,
        'The scale did not settle; the service is back as it was.',
      ),
    ),
  );
  restoredSettled.next(rolledBack);
  const notRestored = new sfn.Pass(scope, 'Restore Not Complete', {
    stateName: 'Restore Not Complete',
    comment: 'Neither the scale nor putting it back settled: a person must look now.',
    parameters: {
      'Error.$': '$.restoreFailure.Error',
      'Cause.$': '$.restoreFailure.Cause',
      'note.$':
        "States.Format('{} was asked to run {} tasks and did not settle ({}); putting it back to {} tasks was refused or did not settle either, so its count may still be the one asked for. Look at its events and stopped tasks in the ECS console. Its scalable target before the run: {}', $.request.serviceName, $.request.desiredCount, $.failure.Error, $.baseline.from, $.baseline.scalableTargetText)",
    },
    resultPath: '$.failure',
  });
  notRestored.next(
    releaseAndPage(
      scope,
      deps,
      failWith(scope, 'Restore Failed', RollbackFailed, 'Neither the scale nor putting it back settled.'),
      {
        event: 'rollback-failed',
        names: {
          release: 'Release Lock After Failed Restore',
          notify: 'Page On Failed Restore',
          explain: 'Explain Failed Restore',
        },
      },
    ),
  );

  // 4. Done: the count settled, or there was nothing to change.
  const done = succeedRun(scope, deps, {
    succeed: 'Scaled',
    comment: 'The service runs the count asked for, every task healthy; a scaler holds it.',
    detail: "States.Format('{} ({}).', $.outcome.text, $.request.reason)",
  });
  const recordScale = new sfn.Pass(scope, 'Record Scale', {
    stateName: 'Record Scale',
    parameters: {
      'text.$': "States.Format('Done: {}; it runs {} tasks now', $.baseline.plan, $.scale.desired)",
    },
    resultPath: '$.outcome',
  });
  recordScale.next(done);
  settled.next(recordScale);
  const nothing = new sfn.Pass(scope, 'Nothing To Change', {
    stateName: 'Nothing To Change',
    comment: 'The service already has the count asked for: nothing is changed.',
    parameters: { 'text.$': '$.baseline.plan' },
    resultPath: '$.outcome',
  });
  nothing.next(done);

  // An approval can take an hour: a scaler (or a person) may have moved the count meanwhile, and the
  // approved plan would then be stale. Read again, and stop if anything moved.
  const recheck = invokeWorker(scope, 'Read Baseline Again', deps, readScaleBaseline, {
    comment:
      'After the approval: the same count and bounds as approved, or the run stops before any change (PreflightFailed).',
    payload: { 'request.$': '$.request', 'expected.$': '$.baseline' },
    resultPath: '$.recheck',
    retry: 'read',
  });
  recheck.addCatch(releaseAndFail, { errors: ['States.ALL'], resultPath: '$.failure' });
  recheck.next(scale);
  const gate = approvalGate(scope, deps, {
    summary: {
      'procedure.$': '$.request.procedure',
      'environment.$': '$.request.environment',
      'target.$': '$.request.service',
      'change.$': "States.Format('desired count {} (from {})', $.request.desiredCount, $.baseline.from)",
      'from.$': "States.Format('{} tasks', $.baseline.from)",
      'fromDetail.$': '$.baseline.plan',
      'changeRequest.$': '$.request.changeRequest',
      'reason.$': '$.request.reason',
      'requestedBy.$': '$.request.requestedBy',
    },
    onFailure: releaseAndFail,
    approved: recheck,
    notRequired: scale,
  });
  const route = new sfn.Choice(scope, 'What Changes?', { stateName: 'What Changes?' })
    .when(sfn.Condition.stringEquals('$.baseline.change', 'none'), nothing)
    .when(sfn.Condition.booleanEquals('$.baseline.approvalNeeded', true), gate)
    .otherwise(scale);

  // Wiring. Before the change nothing has changed: release and fail. From the change on, restore.
  baseline.addCatch(releaseAndFail, { errors: ['States.ALL'], resultPath: '$.failure' });
  catchAll([scale, settled.check], restore, '$.failure');
  catchAll([restore, restoredSettled.check], notRestored, '$.restoreFailure');
  validate.next(lock).next(baseline).next(route);
  return validate;
}
