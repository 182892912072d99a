// The runbook's "Rollback Procedure": restore a service to a given (or its last known-good) task
// definition and count, wait until stable and healthy, switch the maintenance page off.
// Run on its own from the console, or by production-deployment, which then holds the lock and notifies.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { checkRelease as checkReleaseWorker } from '../../tasks/check-release.ts';
import { RollbackFailed } from '../../tasks/errors.ts';
import { findKnownGood as findKnownGoodWorker } from '../../tasks/rollback/find-known-good.ts';
import { validateRollbackInput } from '../../tasks/rollback/validate-rollback-input.ts';
import { invokeWorker } from '../invoke-worker.ts';
import {
  catchAll,
  failRun,
  failureNotice,
  failWith,
  notifyAndFail,
  notifyStep,
  notNull,
  releaseLock,
} from '../outcomes.ts';
import type { Deps } from '../procedure.ts';
import { acquireLock, validateInput } from '../run-start.ts';
import { rollOut, switchMaintenancePage } from '../service-steps.ts';

const startedByDeployment = notNull('$.request.parentExecution');

export function rollbackDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure } = deps;
  const fail = failRun(scope);
  const rollbackFailed = failWith(
    scope,
    'Rollback Failed',
    RollbackFailed,
    'The service could not be restored.',
  );

  // Failures. A rollback started by a deployment leaves the lock and the notices to its parent.
  const notifyFailure = failureNotice(scope, deps, fail);
  const asIs = new sfn.Pass(scope, 'Report Failure To Deployment', {
    stateName: 'Report Failure To Deployment',
    parameters: { 'cause.$': '$.failure.Cause' },
    resultPath: '$.outcome',
  }).next(fail);
  const failedBeforeChange = new sfn.Choice(scope, 'Started By A Deployment? (Not Restored)', {
    stateName: 'Started By A Deployment? (Not Restored)',
  })
    .when(startedByDeployment, asIs)
    .otherwise(releaseLock(scope, 'Release Lock After Failure', deps, notifyFailure));

  const pageFailed = notifyAndFail(
    scope,
    { notify: 'Page On Failed Rollback', explain: 'Explain Failed Rollback' },
    deps,
    {
      event: 'rollback-failed',
      procedure,
      failurePath: '$.failure',
      requestPath: '$.request',
    },
    rollbackFailed,
  );
  const asRollbackFailed = new sfn.Pass(scope, 'Report Failed Rollback To Deployment', {
    stateName: 'Report Failed Rollback To Deployment',
    parameters: { 'cause.$': '$.failure.Cause' },
    resultPath: '$.outcome',
  }).next(rollbackFailed);
  const failedAfterChange = new sfn.Choice(scope, 'Started By A Deployment? (Failed)', {
    stateName: 'Started By A Deployment? (Failed)',
  })
    .when(startedByDeployment, asRollbackFailed)
    .otherwise(releaseLock(scope, 'Release Lock After Failed Rollback', deps, pageFailed));

  // 1. Validate and resolve. 2. The lock (re-entrant for the deployment that started this rollback).
  const validate = validateInput(scope, deps, validateRollbackInput, {
    procedure,
    fail,
    comment: 'Checks the input and resolves the service from config; changes nothing.',
  });
  const lockFailed = new sfn.Choice(scope, 'Started By A Deployment? (Lock)', {
    stateName: 'Started By A Deployment? (Lock)',
  })
    .when(startedByDeployment, asIs)
    .otherwise(notifyFailure);
  // Another run's lock: not ours to release. Any other failure may have left ours taken: release it.
  const lock = acquireLock(
    scope,
    deps,
    "One run per service. A rollback started by a deployment shares that run's lock.",
    { held: lockFailed, other: failedBeforeChange },
  );

  // 3. Where to go back to.
  const useGiven = new sfn.Pass(scope, 'Use Given Task Definition', {
    stateName: 'Use Given Task Definition',
    parameters: { 'taskDefinition.$': '$.request.taskDefinition' },
    resultPath: '$.target',
  });
  const findKnownGood = invokeWorker(scope, 'Find Known Good', deps, findKnownGoodWorker, {
    comment:
      'No task definition given: the newest known-good release that differs from what the service runs now.',
    payload: {
      table: deps.table,
      'lockKey.$': '$.request.lock.key',
      'cluster.$': '$.request.cluster',
      'service.$': '$.request.serviceName',
    },
    resultPath: '$.target',
    retry: 'read',
  });
  findKnownGood.addCatch(failedBeforeChange, { errors: ['States.ALL'], resultPath: '$.failure' });
  const target = new sfn.Choice(scope, 'Task Definition Given?', { stateName: 'Task Definition Given?' })
    .when(notNull('$.request.taskDefinition'), useGiven)
    .otherwise(findKnownGood);

  // 4. Restore, then wait until ours, complete and healthy.
  // A task definition a person names must be of the service's family with images the environment
  // accepts, and must exist; a deployment's own rollback restores its baseline unquestioned.
  const checkRelease = invokeWorker(scope, 'Check Release', deps, checkReleaseWorker, {
    comment:
      "A named task definition must exist, be of the service's family, and carry only allowed images where it changes them.",
    payload: {
      'environment.$': '$.request.environment',
      'service.$': '$.request.service',
      'cluster.$': '$.request.cluster',
      'serviceName.$': '$.request.serviceName',
      'taskDefinition.$': '$.target.taskDefinition',
      'containerName.$': '$.request.containerName',
      'imagePolicy.$': '$.request.imagePolicy',
      taskRoleArns: [],
    },
    resultPath: null,
    retry: 'read',
  });
  checkRelease.addCatch(failedBeforeChange, { errors: ['States.ALL'], resultPath: '$.failure' });
  const checkGiven = new sfn.Choice(scope, 'Started By A Deployment? (Release)', {
    stateName: 'Started By A Deployment? (Release)',
  });

  const restore = rollOut(scope, deps, {
    stateName: 'Restore Service',
    comment: 'Points the service back at the known-good task definition (and count).',
    taskDefinition: '$.target.taskDefinition',
    resultPath: '$.restored',
  });
  const pageOff = switchMaintenancePage(scope, deps, false, '$.request.maintenancePage');
  catchAll([...restore.tasks, ...pageOff.tasks], failedAfterChange, '$.failure');

  // 5. Done: a person's rollback releases its lock and announces; a deployment's rollback reports back.
  const restored = new sfn.Succeed(scope, 'Restored', {
    stateName: 'Restored',
    comment: 'The service runs the known-good task definition, healthy.',
  });
  const notifyRestored = notifyStep(scope, 'Notify Restored', deps, {
    event: 'succeeded',
    procedure,
    requestPath: '$.request',
    detail:
      "States.Format('{} is back on {} ({}).', $.request.serviceName, $.restored.taskDefinition, $.request.reason)",
  });
  notifyRestored.addCatch(restored, { errors: ['States.ALL'], resultPath: '$.notifyError' });
  notifyRestored.next(restored);
  const finish = new sfn.Choice(scope, 'Started By A Deployment?', { stateName: 'Started By A Deployment?' })
    .when(startedByDeployment, restored)
    .otherwise(releaseLock(scope, 'Release Lock', deps, notifyRestored));
  pageOff.end.next(finish);

  validate.next(lock).next(target);
  useGiven.next(checkGiven.when(startedByDeployment, restore.start).otherwise(checkRelease));
  checkRelease.next(restore.start);
  findKnownGood.next(restore.start);
  restore.end.next(
    new sfn.Choice(scope, 'Maintenance Page Shown?', { stateName: 'Maintenance Page Shown?' })
      .when(notNull('$.request.maintenancePage'), pageOff.start)
      .otherwise(finish),
  );
  return validate;
}
