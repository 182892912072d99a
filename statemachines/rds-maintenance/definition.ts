// The runbook's "RDS Maintenance" (minor version upgrade) and "Scale RDS Instance", made safe: the
// database's lock; the change checked against RDS's own list of upgrade targets before anything
// happens; a snapshot first, waited for until available; the approval, showing from -> to and the
// snapshot; one ModifyDBInstance, now or for the next maintenance window (the run then waits for
// it, bounded by a week); then a wait through modifying / upgrading / rebooting until the instance
// is available on the new version and class, which is the verification. A change RDS refused
// changed nothing and fails plainly. A change that did not end on the new version or class cannot
// be undone automatically: a person is paged with the snapshot and the db-restore input that puts
// it back. Nothing is ever deleted.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { modifyInstance } from '../../tasks/database/modify-instance.ts';
import { errorName, MaintenanceFailed } from '../../tasks/errors.ts';
import { checkMaintenance } from '../../tasks/rds-maintenance/check-maintenance.ts';
import { checkUpgradeTarget } from '../../tasks/rds-maintenance/check-upgrade-target.ts';
import { validateRdsMaintenanceInput } from '../../tasks/rds-maintenance/validate-rds-maintenance-input.ts';
import { approvalGate } from '../approval-gate.ts';
import { databaseSnapshot } from '../database-snapshot.ts';
import { invokeWorker } from '../invoke-worker.ts';
import { catchAll, failRun, failureNotice, notifyAndFail, releaseLock, succeedRun } from '../outcomes.ts';
import { PollUntilDone } from '../poll-until-done.ts';
import type { Deps } from '../procedure.ts';
import { acquireLock, validateInput } from '../run-start.ts';
import { maintenanceMaxPolls } from './timing.ts';

export function rdsMaintenanceDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure, timing } = deps;
  const fail = failRun(scope);
  const notifyFailure = failureNotice(scope, deps, fail);
  const releaseAndFail = releaseLock(scope, 'Release Lock After Failure', deps, notifyFailure);
  const page = notifyAndFail(
    scope,
    { notify: 'Page Maintenance Failed', explain: 'Explain Maintenance Failure' },
    deps,
    {
      event: 'maintenance-failed',
      procedure,
      failurePath: '$.failure',
      requestPath: '$.request',
      detail: '$.failure.note',
    },
    fail,
  );
  const releaseAndPage = releaseLock(scope, 'Release Lock After Maintenance Failure', deps, page);
  const notComplete = new sfn.Pass(scope, 'Maintenance Not Complete', {
    stateName: 'Maintenance Not Complete',
    comment:
      'The change may have been made in part, or not at all: it is not undone automatically; the page names the way back.',
    parameters: {
      Error: errorName(MaintenanceFailed),
      'Cause.$': '$.failure.Cause',
      'note.$':
        "States.Format('{} may be changed in part. The snapshot taken before the change, {}, is available: to go back to it, start db-restore with {}', $.request.dbInstance, $.request.snapshotId, States.JsonToString($.request.restoreInput))",
    },
    resultPath: '$.failure',
  });
  notComplete.next(releaseAndPage);

  const validate = validateInput(scope, deps, validateRdsMaintenanceInput, {
    procedure,
    fail,
    comment:
      'Checks the input and resolves the database, the snapshot the run takes first, and who approves; changes nothing.',
  });
  const lock = acquireLock(
    scope,
    deps,
    'One run per database: a backup, a restore and maintenance of one instance exclude each other.',
    { held: notifyFailure, other: releaseAndFail },
  );

  // 1. Whether RDS can make the change, before anything happens.
  const target = invokeWorker(scope, 'Check Upgrade Target', deps, checkUpgradeTarget, {
    comment:
      "What the instance runs; the version a minor upgrade target on RDS's own list, the class a DB instance class, something to change, and a window the run can wait through; reads only.",
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      'engineVersion.$': '$.request.engineVersion',
      'instanceClass.$': '$.request.instanceClass',
      'apply.$': '$.request.apply',
    },
    resultPath: '$.target',
    retry: 'read',
  });
  // 2. The runbook's snapshot before the upgrade, after any snapshot already in progress.
  const snapshot = databaseSnapshot(scope, deps, {
    purpose: 'pre-maintenance',
    comments: {
      create: 'Runbook step 2: the snapshot before the change, tagged with this run; kept on every path.',
      available:
        'Waits until the snapshot is available: nothing changes before it can be restored from. SnapshotFailed if it fails or its budget is spent.',
    },
  });

  // 3. The change: one ModifyDBInstance, now or for the next window.
  const modify = invokeWorker(scope, 'Modify Instance', deps, modifyInstance, {
    comment:
      'Runbook step 3: ModifyDBInstance with the engine version and/or class, applied now or in the next maintenance window (never a major upgrade); a retry does not ask twice.',
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      change: {
        maintenance: {
          'engineVersion.$': '$.request.engineVersion',
          'instanceClass.$': '$.request.instanceClass',
          'apply.$': '$.request.apply',
        },
      },
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.modification',
    retry: 'change',
  });
  const windowWait = new sfn.Wait(scope, 'Wait For Maintenance Window', {
    stateName: 'Wait For Maintenance Window',
    comment:
      "Until the instance's next weekly maintenance window starts (within a week); RDS applies the change at a moment of its choosing inside it.",
    time: sfn.WaitTime.secondsPath('$.modification.waitSeconds'),
  });
  // 4. Through modifying / upgrading / rebooting, until available on the new version and class.
  const applied = new PollUntilDone(scope, 'Wait Until Change Applied', deps, {
    names: {
      start: 'Start Watching Change',
      check: 'Check Change',
      done: 'Change Applied?',
      wait: 'Wait Before Next Change Check',
      finished: 'Change Applied',
    },
    comment:
      'Runbook steps 4 and 5: done once the instance is available on the new version and class with nothing pending; MaintenanceFailed on a state RDS does not leave, on available again without the change, or when its budget (the window and two hours) is spent.',
    worker: checkMaintenance,
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      'to.$': '$.target.to',
      'seenBusy.$': '$.applied.seenBusy',
      'now.$': '$$.State.EnteredTime',
    },
    initial: { seenBusy: false },
    resultPath: '$.applied',
    intervalSeconds: timing.dbInstanceIntervalSeconds,
    maxAttempts: maintenanceMaxPolls(timing),
  });
  const inWindow = new sfn.Choice(scope, 'In Maintenance Window?', { stateName: 'In Maintenance Window?' })
    .when(sfn.Condition.stringEquals('$.request.apply', 'window'), windowWait)
    .otherwise(applied);
  windowWait.next(applied);

  const release = succeedRun(scope, deps, {
    succeed: 'Maintained',
    comment: 'The instance is available on the new version and class; the snapshot taken before is kept.',
    detail:
      "States.Format('{} runs {} on {} now (it ran {} on {}); the snapshot {} taken before the change is kept.', $.request.dbInstance, $.target.to.engineVersion, $.target.to.instanceClass, $.target.from.engineVersion, $.target.from.instanceClass, $.request.snapshotId)",
  });

  const gate = approvalGate(scope, deps, {
    summary: {
      'procedure.$': '$.request.procedure',
      'environment.$': '$.request.environment',
      'target.$': '$.request.service',
      'change.$': '$.target.change',
      'from.$': '$.request.dbInstance',
      'fromDetail.$':
        "States.Format('runs {} {} on {}; unavailable for minutes while RDS applies the change (a Multi-AZ instance fails over); snapshot {} is taken and available', $.target.engine, $.target.from.engineVersion, $.target.from.instanceClass, $.request.snapshotId)",
      'changeRequest.$': '$.request.changeRequest',
      'reason.$': '$.request.reason',
      'requestedBy.$': '$.request.requestedBy',
      'snapshot.$': '$.request.snapshotId',
    },
    onFailure: releaseAndFail,
    approved: modify,
    notRequired: modify,
  });

  // Wiring. Until RDS takes the change nothing has changed: any failure releases and fails. A
  // refusal by RDS changed nothing either. Anything else from the change on (the function dying
  // after the call, a state RDS does not leave, the budget spent) pages.
  catchAll([target, ...snapshot.tasks], releaseAndFail, '$.failure');
  modify.addCatch(releaseAndFail, { errors: [errorName(MaintenanceFailed)], resultPath: '$.failure' });
  catchAll([modify, applied.check], notComplete, '$.failure');

  validate.next(lock).next(target).next(snapshot.chain).next(gate);
  modify.next(inWindow);
  applied.next(release);
  return validate;
}
