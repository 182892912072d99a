// The runbook's "Database Restore", made impossible to make worse: the database's lock (and,
// for a swap, the locks of the services using it); the source resolved (a snapshot, or a point in
// time in the restorable window) before anything is created; a restore to a new identifier with
// every setting of the source; waited for; monitoring given; verified against the source. With
// `cutover: swap`, after an approval that shows the data-loss window: the source renamed aside, the
// restored instance renamed into its place (the endpoint name stays), and the services redeployed
// and waited for healthy. If the second rename fails the source is renamed back, and a person is
// paged. The notice carries the figures a post-mortem needs. Nothing is ever deleted.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { checkDbInstance } from '../../tasks/database/check-db-instance.ts';
import { modifyInstance } from '../../tasks/database/modify-instance.ts';
import { resolveRestoreSource } from '../../tasks/database/resolve-restore-source.ts';
import { restoreInstance } from '../../tasks/database/restore-instance.ts';
import { verifyRestored } from '../../tasks/database/verify-restored.ts';
import { checkRedeployments } from '../../tasks/db-restore/check-redeployments.ts';
import { redeployServices } from '../../tasks/db-restore/redeploy-services.ts';
import { restoreFigures } from '../../tasks/db-restore/restore-figures.ts';
import { validateDbRestoreInput } from '../../tasks/db-restore/validate-db-restore-input.ts';
import { CutoverFailed, errorName } from '../../tasks/errors.ts';
import { approvalGate } from '../approval-gate.ts';
import { invokeWorker } from '../invoke-worker.ts';
import { catchAll, failurePaths, notNull, releaseAndPage, succeedRun } from '../outcomes.ts';
import { PollUntilDone } from '../poll-until-done.ts';
import type { Deps } from '../procedure.ts';
import { acquireLock, validateInput } from '../run-start.ts';
import { renameMaxPolls } from './timing.ts';

/** A wait until an instance is available, with the error a terminal state or a spent budget ends with. */
function waitAvailable(
  scope: Construct,
  deps: Deps,
  props: {
    what: string;
    comment: string;
    dbInstance: string;
    failWith: 'RestoreFailed' | 'CutoverFailed';
    resultPath: string;
    maxAttempts: number;
  },
) {
  return new PollUntilDone(scope, `Wait Until ${props.what}`, deps, {
    names: {
      start: `Start Watching ${props.what}`,
      check: `Check ${props.what}`,
      done: `${props.what}?`,
      wait: `Wait Before Next ${props.what} Check`,
      finished: props.what,
    },
    comment: props.comment,
    worker: checkDbInstance,
    payload: { 'dbInstance.$': props.dbInstance, failWith: props.failWith, 'now.$': '$$.State.EnteredTime' },
    resultPath: props.resultPath,
    intervalSeconds: deps.timing.dbInstanceIntervalSeconds,
    maxAttempts: props.maxAttempts,
  });
}

export function dbRestoreDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure, timing } = deps;
  const { fail, notifyFailure, releaseAndFail } = failurePaths(scope, deps);
  const pageAndFail = releaseAndPage(scope, deps, fail, {
    event: 'cutover-failed',
    names: {
      release: 'Release Lock After Cut-over Failure',
      notify: 'Page Cut-over Failed',
      explain: 'Explain Cut-over Failure',
    },
  });

  /** A cut-over that did not complete: CutoverFailed with the caught cause, a note for the page, then release and page. */
  const cutoverFailed = (props: { stateName: string; comment: string; causePath: string; note: string }) => {
    const state = new sfn.Pass(scope, props.stateName, {
      stateName: props.stateName,
      comment: props.comment,
      parameters: { Error: errorName(CutoverFailed), 'Cause.$': props.causePath, 'note.$': props.note },
      resultPath: '$.failure',
    });
    state.next(pageAndFail);
    return state;
  };

  const validate = validateInput(scope, deps, validateDbRestoreInput, {
    procedure,
    fail,
    comment:
      'Checks the input and resolves the database, the names the restore makes, and for a swap its approvers and the services using it; changes nothing.',
  });
  const lock = acquireLock(
    scope,
    deps,
    'One run per database (a backup, a restore and maintenance of one instance exclude each other); a swap also takes the locks of the services using it, all or none, so a deployment and a swap exclude each other.',
    { held: notifyFailure, other: releaseAndFail },
  );

  // 1. The source, before anything is created: SnapshotNotFound or RestoreWindowExceeded otherwise.
  const resolve = invokeWorker(scope, 'Resolve Source', deps, resolveRestoreSource, {
    comment:
      'The named or newest available snapshot, or a point in time inside the restorable window (read pessimistically); reads only.',
    payload: { 'dbInstance.$': '$.request.dbInstance', 'source.$': '$.request.source' },
    resultPath: '$.source',
    retry: 'read',
  });
  // 2. The restore, to a new identifier, with every setting of the source.
  const restore = invokeWorker(scope, 'Restore Instance', deps, restoreInstance, {
    comment:
      'Restores to a new identifier (never over one that exists) passing every setting of the source, never publicly accessible, tagged with this run.',
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      'target.$': '$.request.restoredId',
      from: {
        'snapshotId.$': '$.source.snapshotId',
        'restoreTime.$': '$.source.restoreTime',
        'useLatestRestorableTime.$': '$.source.useLatestRestorableTime',
      },
      'executionId.$': '$$.Execution.Id',
      tags: [{ Key: 'runbook:restored-from', 'Value.$': '$.request.dbInstance' }],
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.restore',
    retry: 'change',
  });
  const available = waitAvailable(scope, deps, {
    what: 'Restored Instance Available',
    comment:
      'Waits until the restored instance is available; RestoreFailed at once on a terminal state (failed, incompatible-*, inaccessible-encryption-credentials), or when its budget is spent. The source is untouched.',
    dbInstance: '$.request.restoredId',
    failWith: 'RestoreFailed',
    resultPath: '$.restored',
    maxAttempts: timing.dbInstanceMaxPolls,
  });
  // 3. What a restore cannot take: Enhanced Monitoring, given once it is available.
  const monitor = invokeWorker(scope, 'Apply Monitoring', deps, modifyInstance, {
    comment:
      "Gives the restored instance the source's Enhanced Monitoring interval with the configured monitoring role, which a restore does not take.",
    payload: {
      'dbInstance.$': '$.request.restoredId',
      change: {
        monitoring: {
          'interval.$': '$.restore.monitoring.interval',
          'roleArn.$': '$.request.monitoringRoleArn',
        },
      },
    },
    resultPath: '$.monitoring',
    retry: 'change',
  });
  const modified = waitAvailable(scope, deps, {
    what: 'Monitoring Applied',
    comment:
      'Waits until the restored instance is available again after the modification; RestoreFailed otherwise.',
    dbInstance: '$.request.restoredId',
    failWith: 'RestoreFailed',
    resultPath: '$.modified',
    maxAttempts: renameMaxPolls(timing),
  });
  // 4. Before anyone is asked to switch: the restored instance against its source.
  const verify = invokeWorker(scope, 'Verify Restored Instance', deps, verifyRestored, {
    comment:
      'Engine and version, class, network, parameter group applied, option group, storage, encryption with the source key, protection, IAM auth, monitoring, never public; RestoreFailed naming each difference.',
    payload: {
      'source.$': '$.request.dbInstance',
      'restored.$': '$.request.restoredId',
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.verified',
    retry: 'read',
  });
  const monitoringNeeded = new sfn.Choice(scope, 'Monitoring Needed?', { stateName: 'Monitoring Needed?' })
    // Only with the configured role: without it the verification names the missing monitoring.
    .when(
      sfn.Condition.and(
        notNull('$.restore.monitoring'),
        sfn.Condition.isString('$.request.monitoringRoleArn'),
      ),
      monitor,
    )
    .otherwise(verify);

  const release = succeedRun(scope, deps, {
    succeed: 'Restored',
    comment:
      'The restored instance is verified (and, with a swap, in the place of the source, its services healthy).',
    detail: '$.figures.detail',
  });

  // No swap: the restored instance stays next to the source, which is unchanged.
  const sumUp = invokeWorker(scope, 'Sum Up Restore', deps, restoreFigures, {
    comment: 'The figures a post-mortem needs: time to a verified instance, and the data-loss window.',
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      'restoredId.$': '$.request.restoredId',
      'restorePoint.$': '$.source.restorePoint',
      'restoreStartedAt.$': '$.restore.startedAt',
      'verifiedAt.$': '$.verified.verifiedAt',
      swap: null,
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.figures',
    retry: 'read',
  });

  // 5. The swap: two renames, reversible until the second has gone through.
  const aside = invokeWorker(scope, 'Rename Source Aside', deps, modifyInstance, {
    comment:
      'The source becomes <instance>-pre-restore-<stamp>, kept as it is; its endpoint name is freed once the rename completed.',
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      change: { 'rename.$': '$.request.asideId' },
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.renamedAside',
    retry: 'change',
  });
  const asideDone = waitAvailable(scope, deps, {
    what: 'Source Renamed Aside',
    comment: 'Waits until the source is available under its new name; CutoverFailed otherwise.',
    dbInstance: '$.request.asideId',
    failWith: 'CutoverFailed',
    resultPath: '$.asideReady',
    maxAttempts: renameMaxPolls(timing),
  });
  const intoPlace = invokeWorker(scope, 'Rename Restored Into Place', deps, modifyInstance, {
    comment:
      "The restored instance takes the source's identifier, so the application's endpoint name stays the same.",
    payload: { 'dbInstance.$': '$.request.restoredId', change: { 'rename.$': '$.request.dbInstance' } },
    resultPath: '$.renamedIntoPlace',
    retry: 'change',
  });
  const inPlace = waitAvailable(scope, deps, {
    what: 'Restored Instance In Place',
    comment:
      "Waits until the restored instance is available under the source's identifier; CutoverFailed otherwise.",
    dbInstance: '$.request.dbInstance',
    failWith: 'CutoverFailed',
    resultPath: '$.inPlace',
    maxAttempts: renameMaxPolls(timing),
  });

  // The second rename failed: the source goes back to its name, and a person is paged.
  const back = invokeWorker(scope, 'Rename Source Back', deps, modifyInstance, {
    comment:
      'Undoes the first rename: the source takes its identifier back, so the application reaches it again.',
    payload: { 'dbInstance.$': '$.request.asideId', change: { 'rename.$': '$.request.dbInstance' } },
    resultPath: '$.renamedBack',
    retry: 'change',
  });
  const backDone = waitAvailable(scope, deps, {
    what: 'Source Back In Place',
    comment: 'Waits until the source is available under its own identifier again.',
    dbInstance: '$.request.dbInstance',
    failWith: 'CutoverFailed',
    resultPath: '$.backReady',
    maxAttempts: renameMaxPolls(timing),
  });
  const renamedBack = cutoverFailed({
    stateName: 'Source Renamed Back',
    comment: 'The cut-over was undone: the source is in its place again; the restored instance is kept.',
    causePath: '$.failure.Cause',
    note: "States.Format('{} was renamed back into its place after the restored instance could not take it; {} is kept next to it, nothing else changed.', $.request.dbInstance, $.request.restoredId)",
  });
  const notBack = cutoverFailed({
    stateName: 'Source Not Renamed Back',
    comment: 'Neither the cut-over nor its undo completed: the source is still under its aside name.',
    causePath: '$.renameBackError.Cause',
    note: "States.Format('The restored instance could not take the name {}, and the source could not be renamed back: the source is {} now, the restored instance {}; nothing answers at the endpoint name until a person renames one of them.', $.request.dbInstance, $.request.asideId, $.request.restoredId)",
  });
  back.next(backDone);
  backDone.next(renamedBack);
  catchAll([back, backDone.check], notBack, '$.renameBackError');

  // 6. The services using it get new tasks on the restored instance, checked as a deployment is.
  const redeploy = invokeWorker(scope, 'Redeploy Services', deps, redeployServices, {
    comment:
      'A forced new deployment of each service using the database, so none keeps a connection to the instance put aside.',
    payload: { 'services.$': '$.request.users', 'now.$': '$$.State.EnteredTime' },
    resultPath: '$.redeployed',
    retry: 'change',
  });
  const healthy = new PollUntilDone(scope, 'Wait Until Services Healthy', deps, {
    names: {
      start: 'Start Watching Services',
      check: 'Check Services',
      done: 'Services Healthy?',
      wait: 'Wait Before Next Services Check',
      finished: 'Services Healthy',
    },
    comment:
      "Each service's new deployment PRIMARY and COMPLETED, running == desired, its new targets healthy: the deployment's own checks.",
    worker: checkRedeployments,
    payload: {
      'services.$': '$.redeployed.services',
      'streaks.$': '$.servicesHealthy.streaks',
      unhealthyLimit: timing.unhealthyLimit,
      'now.$': '$$.State.EnteredTime',
    },
    initial: { streaks: [] },
    resultPath: '$.servicesHealthy',
    intervalSeconds: timing.deploymentIntervalSeconds,
    maxAttempts: timing.deploymentMaxPolls,
  });
  const unhealthy = cutoverFailed({
    stateName: 'Services Not Healthy',
    comment: 'The swap is done, and a service did not become healthy on the restored instance.',
    causePath: '$.failure.Cause',
    note: "States.Format('{} is the restored instance now (the one it replaced is kept as {}), and the services did not become healthy on it.', $.request.dbInstance, $.request.asideId)",
  });
  catchAll([redeploy, healthy.check], unhealthy, '$.failure');
  const sumUpSwap = invokeWorker(scope, 'Sum Up Swap', deps, restoreFigures, {
    comment:
      'The figures a post-mortem needs: time to a verified instance, approval wait, cut-over duration, time to healthy services, data-loss window.',
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      'restoredId.$': '$.request.restoredId',
      'restorePoint.$': '$.source.restorePoint',
      'restoreStartedAt.$': '$.restore.startedAt',
      'verifiedAt.$': '$.verified.verifiedAt',
      swap: {
        'asideId.$': '$.request.asideId',
        'startedAt.$': '$.renamedAside.at',
        'renamedAt.$': '$.inPlace.at',
        'services.$': '$.servicesHealthy.services',
      },
      'now.$': '$$.State.EnteredTime',
    },
    resultPath: '$.figures',
    retry: 'read',
  });
  // A notice without figures still ends the run as it is.
  const noFigures = new sfn.Pass(scope, 'No Figures', {
    stateName: 'No Figures',
    parameters: {
      'detail.$': "States.Format('{} was restored into {}.', $.request.dbInstance, $.request.restoredId)",
    },
    resultPath: '$.figures',
  });
  noFigures.next(release);
  catchAll([sumUp, sumUpSwap], noFigures, '$.figuresError');
  sumUp.next(release);
  sumUpSwap.next(release);

  const gate = approvalGate(scope, deps, {
    summary: {
      'procedure.$': '$.request.procedure',
      'environment.$': '$.request.environment',
      'target.$': '$.request.service',
      'change.$': '$.request.change',
      'from.$': '$.request.dbInstance',
      'fromDetail.$':
        "States.Format('restored data as of {}: writes to {} after it are not in {} (they stay in the instance put aside); the outage is the two renames, and the minutes DNS takes to follow the endpoint name', $.source.restorePoint, $.request.dbInstance, $.request.restoredId)",
      'changeRequest.$': '$.request.changeRequest',
      'reason.$': '$.request.reason',
      'requestedBy.$': '$.request.requestedBy',
      'snapshot.$': '$.source.snapshotId',
    },
    onFailure: releaseAndFail,
    approved: aside,
    notRequired: sumUp,
  });

  // Wiring. Until the first rename nothing but the new instance exists: any failure releases and fails.
  catchAll([resolve, restore, available.check, monitor, modified.check, verify], releaseAndFail, '$.failure');
  // The first rename refused by RDS: nothing was switched. Anything else (accepted and not ending
  // available, or the function dying after the call): the source may be under either name; page.
  aside.addCatch(releaseAndFail, { errors: [errorName(CutoverFailed)], resultPath: '$.failure' });
  const notAside = cutoverFailed({
    stateName: 'Source Not Renamed Aside',
    comment:
      'The first rename may have gone through and did not end available: the source may be under either name.',
    causePath: '$.failure.Cause',
    note: "States.Format('The source was being renamed from {} to {} and did not end available under the new name (or what happened is not known): it may be under either name; the restored instance {} is kept, the second rename was not made.', $.request.dbInstance, $.request.asideId, $.request.restoredId)",
  });
  catchAll([aside, asideDone.check], notAside, '$.failure');
  // The second rename refused by RDS: the name is still free, and the source takes it back. Anything
  // else: the restored instance may hold the name already, so nothing is renamed back; page.
  const notInPlace = cutoverFailed({
    stateName: 'Restored Instance Not In Place',
    comment:
      'The second rename may have gone through and did not end available: renaming back could rename the wrong instance.',
    causePath: '$.failure.Cause',
    note: "States.Format('The restored instance {} was being renamed to {} and did not end available (or what happened is not known); the source is kept as {}; nothing was renamed back and the services were not redeployed. Look at which instance holds {} before renaming either.', $.request.restoredId, $.request.dbInstance, $.request.asideId, $.request.dbInstance)",
  });
  intoPlace.addCatch(back, { errors: [errorName(CutoverFailed)], resultPath: '$.failure' });
  catchAll([intoPlace, inPlace.check], notInPlace, '$.failure');

  validate.next(lock).next(resolve).next(restore).next(available).next(monitoringNeeded);
  monitor.next(modified);
  modified.next(verify);
  verify.next(gate);
  aside.next(asideDone).next(intoPlace).next(inPlace).next(redeploy);
  redeploy.next(healthy);
  healthy.next(sumUpSwap);
  return validate;
}
