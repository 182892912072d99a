// The runbook's "Production Deployment" (and, with lighter policy, its "Standard Deployment"):
// validate, lock, baseline, approval, snapshot, maintenance page, new revision, rollout with healthy
// targets, bake, and the snapshots' retention. Any failure after the first change runs the rollback
// machine and fails the run.

import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Duration } from 'aws-cdk-lib/core';
import type { Construct } from 'constructs';
import { checkRelease as checkReleaseWorker } from '../../tasks/check-release.ts';
import { checkSnapshot } from '../../tasks/check-snapshot.ts';
import { createSnapshot as createSnapshotWorker } from '../../tasks/create-snapshot.ts';
import { DeploymentRolledBack, errorName, LockHeld, RollbackFailed } from '../../tasks/errors.ts';
import { captureBaseline } from '../../tasks/production-deployment/capture-baseline.ts';
import { checkAlarms } from '../../tasks/production-deployment/check-alarms.ts';
import { handOverLock } from '../../tasks/production-deployment/hand-over-lock.ts';
import { recordKnownGood as recordKnownGoodWorker } from '../../tasks/production-deployment/record-known-good.ts';
import { registerTaskDefinition } from '../../tasks/production-deployment/register-task-definition.ts';
import { validateDeploymentInput } from '../../tasks/production-deployment/validate-deployment-input.ts';
import { pruneSnapshots } from '../../tasks/prune-snapshots.ts';
import { approvalGate } from '../approval-gate.ts';
import { addNestedStartRetry, invokeWorker } from '../invoke-worker.ts';
import {
  catchAll,
  failurePaths,
  failWith,
  notifyAndFail,
  notifyStep,
  notNull,
  releaseLock,
  succeedRun,
} from '../outcomes.ts';
import { PollUntilDone } from '../poll-until-done.ts';
import type { Deps } from '../procedure.ts';
import { rollback } from '../rollback/procedure.ts';
import { rollbackTimeoutSeconds } from '../rollback/timing.ts';
import { acquireLock, validateInput } from '../run-start.ts';
import { rollOut, switchMaintenancePage } from '../service-steps.ts';

export function productionDeploymentDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure } = deps;
  // How failures end. Before the lock: notify and fail. Holding the lock, nothing changed: release,
  // notify, fail with the same error. After a change: roll back, release, notify, fail.
  const { fail, notifyFailure, releaseAndFail } = failurePaths(scope, deps);
  const rolledBack = failWith(
    scope,
    'Rolled Back',
    DeploymentRolledBack,
    'The deployment failed after a change and was rolled back.',
  );
  const rollbackFailed = failWith(
    scope,
    'Rollback Failed',
    RollbackFailed,
    'The rollback did not complete; the on-call was paged.',
  );

  const pageRollbackFailed = notifyAndFail(
    scope,
    { notify: 'Page On Failed Rollback', explain: 'Explain Failed Rollback' },
    deps,
    {
      event: 'rollback-failed',
      procedure,
      failurePath: '$.rollbackFailure',
      requestPath: '$.request',
      detail:
        "States.Format('The deployment failed first with {}; the service was on {} before it.', $.failure.Error, $.baseline.taskDefinition)",
    },
    rollbackFailed,
  );
  const notifyRolledBack = notifyAndFail(
    scope,
    { notify: 'Notify Rolled Back', explain: 'Explain Rollback' },
    deps,
    {
      event: 'rolled-back',
      procedure,
      failurePath: '$.failure',
      requestPath: '$.request',
      detail:
        "States.Format('The service is back on {} with {} tasks.', $.baseline.taskDefinition, $.baseline.desiredCount)",
    },
    rolledBack,
  );
  // Only the rollback this run starts may join its lock: it gets a single-use token, written onto
  // the lock (taken again if it was released meanwhile), and passed in the rollback's input only.
  const handOverLockStep = (name: string) => {
    const step = invokeWorker(scope, name, deps, handOverLock, {
      comment:
        "Writes a single-use token onto this run's lock (taking it again if it was released, after a stop and a redrive), for the rollback it starts and nobody else.",
      payload: {
        table: deps.table,
        'lock.$': '$.request.lock',
        'now.$': '$$.State.EnteredTime',
        ttlSeconds: deps.maxRunSeconds,
      },
      resultPath: '$.handover',
      // Safe to repeat: each call writes a fresh token and returns the one it wrote.
      retry: 'read',
    });
    step.addCatch(releaseAndPage, { errors: ['States.ALL'], resultPath: '$.rollbackFailure' });
    return step;
  };
  const startRollback = (name: string, seed: string) => {
    const step = new tasks.StepFunctionsStartExecution(scope, name, {
      stateName: name,
      comment:
        'Runbook "Rollback Procedure": the rollback state machine restores the baseline task definition and count.',
      stateMachine: deps.stateMachine(rollback),
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      associateWithParent: true,
      // A fixed name makes a retried start return the rollback already running, not start a second
      // one; the redrive count gives a redriven deployment a rollback of its own.
      name: sfn.JsonPath.format(
        'rollback-{}-{}',
        sfn.JsonPath.hash(seed, 'SHA-256'),
        sfn.JsonPath.stringAt('$$.Execution.RedriveCount'),
      ),
      input: sfn.TaskInput.fromObject({
        'environment.$': '$.request.environment',
        'service.$': '$.request.service',
        'taskDefinition.$': '$.baseline.taskDefinition',
        'desiredCount.$': '$.baseline.desiredCount',
        'maintenancePage.$': '$.request.maintenancePage',
        'joinToken.$': '$.handover.token',
        'reason.$': `States.Format('${procedure} {} failed with {}', $$.Execution.Name, $.failure.Error)`,
      }),
      resultSelector: { 'status.$': '$.Status', 'executionArn.$': '$.ExecutionArn' },
      resultPath: '$.rollback',
      // Outlives the child's own timeout, so a timed-out rollback reaches this Task as a failure.
      taskTimeout: sfn.Timeout.duration(Duration.seconds(rollbackTimeoutSeconds(deps.timing) + 300)),
    });
    addNestedStartRetry(step);
    return step;
  };
  const releaseAndPage = releaseLock(scope, 'Release Lock After Failed Rollback', deps, pageRollbackFailed);
  const afterRollback = releaseLock(scope, 'Release Lock After Rollback', deps, notifyRolledBack);
  const handOver = handOverLockStep('Hand Over Lock');
  const runRollback = startRollback('Roll Back', sfn.JsonPath.stringAt('$$.Execution.Id'));
  handOver.next(runRollback);
  runRollback.next(afterRollback);
  // A rollback that could not join the lock: the token it was given is spent, or the lock is gone
  // (a redrive of this run, stopped while its rollback ran, resumes at Roll Back with the token of
  // the first attempt, after the abandoned-run rule released the lock). Hand over once more, and
  // start a rollback of its own name; any other failure, or a second one, pages.
  const rollbackAgain = startRollback(
    'Roll Back Again',
    sfn.JsonPath.format('{}/again', sfn.JsonPath.stringAt('$$.Execution.Id')),
  );
  rollbackAgain.addCatch(releaseAndPage, { errors: ['States.ALL'], resultPath: '$.rollbackFailure' });
  rollbackAgain.next(afterRollback);
  const handOverAgain = handOverLockStep('Hand Over Lock Again');
  handOverAgain.next(rollbackAgain);
  const couldNotJoin = new sfn.Choice(scope, 'Rollback Could Not Join The Lock?', {
    stateName: 'Rollback Could Not Join The Lock?',
  })
    // A failure with no Cause (a timeout may have none) is not one: guarded as the Choice docs do.
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.rollbackFailure.Cause'),
        sfn.Condition.isString('$.rollbackFailure.Cause'),
        sfn.Condition.stringMatches('$.rollbackFailure.Cause', `*${errorName(LockHeld)}*`),
      ),
      handOverAgain,
    )
    .otherwise(releaseAndPage);
  runRollback.addCatch(couldNotJoin, { errors: ['States.ALL'], resultPath: '$.rollbackFailure' });

  // 1. Validate the input and resolve the service (changes nothing). 2. One run per service.
  const validate = validateInput(scope, deps, validateDeploymentInput, {
    procedure,
    fail,
    comment:
      'Checks the input (unknown fields, digest-pinned image, allowed registry, bounds) and resolves the service from config.',
  });
  // Another run's lock: not ours to release. Any other failure may have left ours taken: release it.
  const lock = acquireLock(
    scope,
    deps,
    'One run per service: deploy and rollback exclude each other. Fails with LockHeld, naming the holder.',
    { held: notifyFailure, other: releaseAndFail },
  );

  const announce = notifyStep(scope, 'Notify Start', deps, {
    event: 'started',
    procedure,
    requestPath: '$.request',
    detail: "States.Format('Deploying {} to {}.', $.request.change, $.request.serviceName)",
  });

  // 3. The way back, captured before any change; refuses a service that is not healthy.
  const baseline = invokeWorker(scope, 'Capture Baseline', deps, captureBaseline, {
    comment:
      'Current task definition, counts, target health and alarm states. PreflightFailed if the service is not healthy.',
    payload: {
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
      'targetGroupArn.$': '$.request.targetGroupArn',
      'alarms.$': '$.request.alarms',
      'bounds.$': '$.request.desiredCountBounds',
    },
    resultPath: '$.baseline',
    retry: 'read',
  });

  // Before anyone is asked: the release can be deployed as asked (image rules, family, roles).
  const checkRelease = invokeWorker(scope, 'Check Release', deps, checkReleaseWorker, {
    comment:
      'A given task definition must be of the service family with allowed images; a new revision may pass only configured roles.',
    payload: {
      'environment.$': '$.request.environment',
      'service.$': '$.request.service',
      'cluster.$': '$.request.cluster',
      'serviceName.$': '$.request.serviceName',
      'baseline.$': '$.baseline.taskDefinition',
      'taskDefinition.$': '$.request.taskDefinition',
      'containerName.$': '$.request.containerName',
      'imagePolicy.$': '$.request.imagePolicy',
      'taskRoleArns.$': '$.request.taskRoleArns',
    },
    resultPath: null,
    retry: 'read',
  });

  // 4. Approval gate (the approval service decides on AWS; the rehearsal decides locally): wired below.

  // 5. Pre-deploy database snapshot, waited for until available. Only the retention step, after a
  // successful run, deletes any: this runbook's own old ones.
  const createSnapshot = invokeWorker(scope, 'Create Snapshot', deps, createSnapshotWorker, {
    comment: 'Runbook pre-production step 2: the database backup taken before anything changes.',
    payload: {
      'dbInstance.$': '$.request.database',
      'snapshotId.$': '$.request.snapshotId',
      'executionId.$': '$$.Execution.Id',
      'release.$': '$.baseline.taskDefinition',
      'service.$': '$.request.lock.key',
    },
    resultPath: '$.snapshotCreated',
    retry: 'change',
  });
  const snapshotReady = new PollUntilDone(scope, 'Wait For Snapshot', deps, {
    names: {
      start: 'Start Watching Snapshot',
      check: 'Check Snapshot',
      done: 'Snapshot Available?',
      wait: 'Wait Before Next Snapshot Check',
      finished: 'Snapshot Available',
    },
    comment:
      'Waits until the pre-deploy snapshot is available; SnapshotFailed if it fails or takes too long.',
    worker: checkSnapshot,
    payload: { 'snapshotId.$': '$.request.snapshotId' },
    resultPath: '$.snapshot',
    intervalSeconds: deps.timing.snapshotIntervalSeconds,
    maxAttempts: deps.timing.snapshotMaxPolls,
  });
  createSnapshot.next(snapshotReady);

  // 6. The new revision: the current task definition with the new image (or the one given).
  const register = invokeWorker(scope, 'Register Task Definition', deps, registerTaskDefinition, {
    comment: 'Runbook "ECS Task Definition Update" step 1: the current revision with the new image.',
    payload: {
      'from.$': '$.baseline.taskDefinition',
      'containerName.$': '$.request.containerName',
      'image.$': '$.request.image',
    },
    resultPath: '$.release',
    retry: 'change',
  });
  const useGiven = new sfn.Pass(scope, 'Use Given Task Definition', {
    stateName: 'Use Given Task Definition',
    parameters: { 'taskDefinition.$': '$.request.taskDefinition', 'from.$': '$.baseline.taskDefinition' },
    resultPath: '$.release',
  });

  // 7. Maintenance page on (optional), then the update with zero-downtime settings.
  const pageOn = switchMaintenancePage(scope, deps, true, '$.request.maintenancePage');
  // 8-9. Ours and complete, then healthy.
  const rollout = rollOut(scope, deps, {
    stateName: 'Update Service',
    comment: 'Runbook "ECS Task Definition Update" step 2: maximumPercent 200, minimumHealthyPercent 100.',
    taskDefinition: '$.release.taskDefinition',
    resultPath: '$.deployed',
  });
  pageOn.end.next(rollout.start);

  // 10. Maintenance page off.
  const pageOff = switchMaintenancePage(scope, deps, false, '$.request.maintenancePage');

  // 11. Bake: the configured alarms, watched for the bake period.
  const bake = new PollUntilDone(scope, 'Bake', deps, {
    names: {
      start: 'Start Bake',
      check: 'Check Alarms',
      done: 'Bake Finished?',
      wait: 'Wait Before Next Alarm Check',
      finished: 'Bake Finished',
    },
    comment:
      'Runbook step 9 ("monitor for 30 minutes"): any watched alarm in ALARM fails the bake with AlarmDuringBake.',
    worker: checkAlarms,
    payload: {
      'alarms.$': '$.request.alarms',
      'bakeSeconds.$': '$.request.bakeSeconds',
      intervalSeconds: deps.timing.alarmIntervalSeconds,
    },
    resultPath: '$.bake',
    intervalSeconds: deps.timing.alarmIntervalSeconds,
    maxAttempts: Math.ceil((120 * 60) / deps.timing.alarmIntervalSeconds) + 1,
  });

  // 12. Record, release, announce.
  const releaseAfterSuccess = succeedRun(scope, deps, {
    succeed: 'Deployed',
    comment: 'The service runs the new task definition, healthy, baked.',
    detail:
      "States.Format('{} now runs {} (was {}).', $.request.serviceName, $.release.taskDefinition, $.baseline.taskDefinition)",
  });
  const recordKnownGood = invokeWorker(scope, 'Record Known Good', deps, recordKnownGoodWorker, {
    comment:
      "Remembers this task definition as the service's last known-good one (the default target of a rollback).",
    payload: {
      table: deps.table,
      'lockKey.$': '$.request.lock.key',
      'taskDefinition.$': '$.release.taskDefinition',
      'previous.$': '$.baseline.taskDefinition',
      'desiredCount.$': '$.rollout.desired',
      'executionId.$': '$$.Execution.Id',
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: null,
    retry: 'change',
  });
  // The retention of the pre-deploy snapshots, once the run succeeded: a failure here is reported,
  // never a reason to fail (or roll back) a healthy deployment.
  const prune = invokeWorker(scope, 'Prune Snapshots', deps, pruneSnapshots, {
    comment:
      "Deletes this runbook's own old pre-deploy snapshots of the database (by tag), keeping the newest, the recent ones and those of the current and previous release.",
    payload: {
      'dbInstance.$': '$.request.database',
      'service.$': '$.request.lock.key',
      'retention.$': '$.request.snapshotRetention',
      'protectedReleases.$': 'States.Array($.release.taskDefinition, $.baseline.taskDefinition)',
      'snapshotId.$': '$.request.snapshotId',
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.pruned',
    retry: 'change',
  });
  prune.addCatch(releaseAfterSuccess, { errors: ['States.ALL'], resultPath: '$.pruneError' });
  prune.next(releaseAfterSuccess);
  const pruneGate = new sfn.Choice(scope, 'Retention Applies?', { stateName: 'Retention Applies?' })
    .when(sfn.Condition.and(notNull('$.request.snapshotId'), notNull('$.request.snapshotRetention')), prune)
    .otherwise(releaseAfterSuccess);
  recordKnownGood.addCatch(pruneGate, { errors: ['States.ALL'], resultPath: '$.recordError' });
  recordKnownGood.next(pruneGate);

  // Wiring. Holding the lock, nothing changed yet: any failure releases the lock and fails the run.
  catchAll(
    [baseline, checkRelease, createSnapshot, snapshotReady.check, register],
    releaseAndFail,
    '$.failure',
  );
  // The service (or its maintenance page) may have changed: any failure rolls back.
  catchAll([...pageOn.tasks, ...rollout.tasks, ...pageOff.tasks, bake.check], handOver, '$.failure');

  const afterPageOff = new sfn.Choice(scope, 'Bake Required?', { stateName: 'Bake Required?' })
    .when(sfn.Condition.numberGreaterThan('$.request.bakeSeconds', 0), bake.next(recordKnownGood))
    .otherwise(recordKnownGood);
  pageOff.end.next(afterPageOff);

  const release = new sfn.Choice(scope, 'Deploy By Image?', { stateName: 'Deploy By Image?' })
    .when(notNull('$.request.image'), register)
    .otherwise(useGiven);
  const pageOnChoice = new sfn.Choice(scope, 'Maintenance Page Needed?', {
    stateName: 'Maintenance Page Needed?',
  })
    .when(notNull('$.request.maintenancePage'), pageOn.start)
    .otherwise(rollout.start);
  register.next(pageOnChoice);
  useGiven.next(pageOnChoice);
  rollout.end.next(
    new sfn.Choice(scope, 'Maintenance Page Shown?', { stateName: 'Maintenance Page Shown?' })
      .when(notNull('$.request.maintenancePage'), pageOff.start)
      .otherwise(afterPageOff),
  );
  const snapshotGate = new sfn.Choice(scope, 'Snapshot Required?', { stateName: 'Snapshot Required?' })
    .when(notNull('$.request.snapshotId'), createSnapshot)
    .otherwise(release);
  snapshotReady.next(release);
  // An approval can take hours: the service must still be as it was, and healthy, before it is touched.
  const confirm = invokeWorker(scope, 'Confirm Baseline', deps, captureBaseline, {
    comment: 'After the approval wait: the service still runs the baseline, healthy, with no alarm firing.',
    payload: {
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
      'targetGroupArn.$': '$.request.targetGroupArn',
      'alarms.$': '$.request.alarms',
      'bounds.$': '$.request.desiredCountBounds',
      expected: { 'taskDefinition.$': '$.baseline.taskDefinition' },
    },
    // The baseline as it is now: the count the rollback restores may have moved (autoscaling).
    resultPath: '$.baseline',
    retry: 'read',
  });
  confirm.addCatch(releaseAndFail, { errors: ['States.ALL'], resultPath: '$.failure' });
  confirm.next(snapshotGate);
  const gate = approvalGate(scope, deps, {
    summary: {
      'procedure.$': '$.request.procedure',
      'environment.$': '$.request.environment',
      'target.$': '$.request.service',
      'change.$': '$.request.change',
      'from.$': '$.baseline.taskDefinition',
      fromDetail: sfn.JsonPath.format('{} tasks', sfn.JsonPath.stringAt('$.baseline.desiredCount')),
      'changeRequest.$': '$.request.changeRequest',
      'reason.$': '$.request.reason',
      'requestedBy.$': '$.request.requestedBy',
      'snapshot.$': '$.request.snapshotId',
    },
    onFailure: releaseAndFail,
    approved: confirm,
    notRequired: snapshotGate,
  });

  // A start notice that cannot be sent does not stop the deployment.
  announce.addCatch(baseline, { errors: ['States.ALL'], resultPath: '$.notifyError' });
  validate.next(lock);
  lock.next(announce);
  announce.next(baseline);
  baseline.next(checkRelease);
  checkRelease.next(gate);
  return validate;
}
