// The runbook's "RDS Maintenance" (minor version upgrade) and "Scale RDS Instance", made safe: the
// database's lock; the change checked against RDS's own list of upgrade targets before anything
// happens; the approval, showing from -> to; for the maintenance window, a wait until it starts
// (bounded by a week); a snapshot right before the change, waited for until available; one
// ModifyDBInstance applied at once (in the window, as the runbook applies it); then a wait through
// modifying / upgrading / rebooting until the instance is available on what was asked, which is the
// verification. A change RDS refused changed nothing and fails plainly. A change that did not end
// on what was asked is not undone automatically: a person is paged with the snapshot and the
// db-restore input that restores it. Nothing is ever deleted.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { modifyInstance } from '../../tasks/database/modify-instance.ts';
import { errorName, MaintenanceFailed } from '../../tasks/errors.ts';
import { checkMaintenance } from '../../tasks/rds-maintenance/check-maintenance.ts';
import { checkUpgradeTarget } from '../../tasks/rds-maintenance/check-upgrade-target.ts';
import { timeUntilWindow } from '../../tasks/rds-maintenance/time-until-window.ts';
import { validateRdsMaintenanceInput } from '../../tasks/rds-maintenance/validate-rds-maintenance-input.ts';
import { approvalGate } from '../approval-gate.ts';
import { databaseSnapshot } from '../database-snapshot.ts';
import { invokeWorker } from '../invoke-worker.ts';
import { catchAll, failurePaths, releaseAndPage, succeedRun } from '../outcomes.ts';
import { PollUntilDone } from '../poll-until-done.ts';
import type { Deps } from '../procedure.ts';
import { acquireLock, validateInput } from '../run-start.ts';
import { changeIntervalSeconds, changeMaxPolls } from './timing.ts';

export function rdsMaintenanceDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure, timing } = deps;
  const { fail, notifyFailure, releaseAndFail } = failurePaths(scope, deps);
  const pageAndFail = releaseAndPage(scope, deps, fail, {
    event: 'maintenance-failed',
    names: {
      release: 'Release Lock After Maintenance Failure',
      notify: 'Page Maintenance Failed',
      explain: 'Explain Maintenance Failure',
    },
  });
  const notComplete = new sfn.Pass(scope, 'Maintenance Not Complete', {
    stateName: 'Maintenance Not Complete',
    comment:
      'The change may have been made in part, or not at all: it is not undone automatically; the page names the way back.',
    parameters: {
      Error: errorName(MaintenanceFailed),
      'Cause.$': '$.failure.Cause',
      'note.$':
        "States.Format('The snapshot taken right before the change, {}, is available. If {} is broken, db-restore with {} restores the snapshot next to it (writes since the snapshot are not in it) to switch to; if it is available and unchanged, it needs no restore: read the events of the change in the RDS console first.', $.request.snapshotId, $.request.dbInstance, States.JsonToString($.request.restoreInput))",
    },
    resultPath: '$.failure',
  });
  notComplete.next(pageAndFail);

  const validate = validateInput(scope, deps, validateRdsMaintenanceInput, {
    procedure,
    fail,
    comment:
      'Checks the input and resolves the database, the name of the snapshot taken right before the change, and who approves; changes nothing.',
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
      "What the instance runs; the version a minor upgrade target on RDS's own list, the class a DB instance class, something to change, a window for apply window, and nothing else waiting for the window; reads only.",
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      'engineVersion.$': '$.request.engineVersion',
      'instanceClass.$': '$.request.instanceClass',
      'apply.$': '$.request.apply',
    },
    resultPath: '$.target',
    retry: 'read',
  });
  // 2. The approval, before any wait: the approver is not needed at the window.
  const gate = (approved: sfn.IChainable) =>
    approvalGate(scope, deps, {
      summary: {
        'procedure.$': '$.request.procedure',
        'environment.$': '$.request.environment',
        'target.$': '$.request.service',
        'change.$': '$.target.change',
        'from.$': '$.request.dbInstance',
        'fromDetail.$':
          "States.Format('runs {} {} on {}; the snapshot {} is taken right before the change, which makes it unavailable for minutes (a Multi-AZ instance fails over)', $.target.engine, $.target.from.engineVersion, $.target.from.instanceClass, $.request.snapshotId)",
        'changeRequest.$': '$.request.changeRequest',
        'reason.$': '$.request.reason',
        'requestedBy.$': '$.request.requestedBy',
        'snapshot.$': '$.request.snapshotId',
      },
      onFailure: releaseAndFail,
      approved,
      notRequired: approved,
    });

  // 3. For the window: until it starts (at once inside it), within a week.
  const untilWindow = invokeWorker(scope, 'Time Until Window', deps, timeUntilWindow, {
    comment: "Seconds until the instance's maintenance window next starts; none inside it.",
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      'window.$': '$.target.maintenanceWindow',
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.window',
    retry: 'read',
  });
  const windowWait = new sfn.Wait(scope, 'Wait For Maintenance Window', {
    stateName: 'Wait For Maintenance Window',
    comment:
      "Until the instance's weekly maintenance window starts: the runbook applies the change during it.",
    time: sfn.WaitTime.secondsPath('$.window.waitSeconds'),
  });

  // 4. The runbook's snapshot right before the change, after any snapshot already in progress.
  const snapshot = databaseSnapshot(scope, deps, {
    purpose: 'pre-maintenance',
    comments: {
      create:
        'Runbook step 2: the snapshot right before the change, tagged with this run; kept on every path.',
      available:
        'Waits until the snapshot is available: nothing changes before it can be restored from. SnapshotFailed if it fails or its budget is spent.',
    },
  });

  // 5. The change: one ModifyDBInstance, applied at once.
  const modify = invokeWorker(scope, 'Modify Instance', deps, modifyInstance, {
    comment:
      'Runbook step 3: ModifyDBInstance with the engine version and/or class, applied at once (never a major upgrade); a retry that finds RDS applying a change does not ask twice.',
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      change: {
        maintenance: {
          'engineVersion.$': '$.request.engineVersion',
          'instanceClass.$': '$.request.instanceClass',
        },
      },
      'now.$': '$$.State.EnteredTime',
      'retryCount.$': '$$.State.RetryCount',
    },
    resultPath: '$.modification',
    retry: 'change',
  });
  // 6. Through modifying / upgrading / rebooting, until available on what was asked.
  const applied = new PollUntilDone(scope, 'Wait Until Change Applied', deps, {
    names: {
      start: 'Start Watching Change',
      check: 'Check Change',
      done: 'Change Applied?',
      wait: 'Wait Before Next Change Check',
      finished: 'Change Applied',
    },
    comment:
      'Runbook steps 4 and 5: done once the instance is available on the version and class asked for with nothing pending; MaintenanceFailed on a state RDS does not leave, on available again without the change, or when its budget (two hours) is spent.',
    worker: checkMaintenance,
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      to: { 'engineVersion.$': '$.request.engineVersion', 'instanceClass.$': '$.request.instanceClass' },
      'seenBusy.$': '$.applied.seenBusy',
      'now.$': '$$.State.EnteredTime',
    },
    initial: { seenBusy: false },
    resultPath: '$.applied',
    intervalSeconds: changeIntervalSeconds(timing),
    maxAttempts: changeMaxPolls(timing),
  });

  const release = succeedRun(scope, deps, {
    succeed: 'Maintained',
    comment: 'The instance is available on the new version and class; the snapshot taken before is kept.',
    detail:
      "States.Format('{} runs {} on {} now (it ran {} on {}); the snapshot {} taken before the change is kept.', $.request.dbInstance, $.applied.runs.engineVersion, $.applied.runs.instanceClass, $.target.from.engineVersion, $.target.from.instanceClass, $.request.snapshotId)",
  });

  const applyWhen = new sfn.Choice(scope, 'Apply In Window?', { stateName: 'Apply In Window?' })
    .when(sfn.Condition.stringEquals('$.request.apply', 'window'), untilWindow)
    .otherwise(snapshot.chain);

  // Wiring. Until RDS takes the change nothing has changed: any failure releases and fails. A
  // refusal by RDS changed nothing either. Anything else from the change on (the function dying
  // after the call, a state RDS does not leave, the budget spent) pages.
  catchAll([target, untilWindow, ...snapshot.tasks], releaseAndFail, '$.failure');
  modify.addCatch(releaseAndFail, { errors: [errorName(MaintenanceFailed)], resultPath: '$.failure' });
  catchAll([modify, applied.check], notComplete, '$.failure');

  validate.next(lock).next(target).next(gate(applyWhen));
  untilWindow.next(windowWait);
  windowWait.next(snapshot.chain);
  snapshot.chain.next(modify);
  modify.next(applied);
  applied.next(release);
  return validate;
}
