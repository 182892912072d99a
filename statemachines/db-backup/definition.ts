// The runbook's "Database Backup": a manual snapshot of the instance (after any snapshot already in
// progress), waited for until available, optionally exported to S3 as Parquet and waited for; one
// notice names the snapshot and the export's location. Nothing is deleted, on any path.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { checkExport } from '../../tasks/database/check-export.ts';
import { startExport } from '../../tasks/database/start-export.ts';
import { validateDbBackupInput } from '../../tasks/db-backup/validate-db-backup-input.ts';
import { databaseSnapshot } from '../database-snapshot.ts';
import { invokeWorker } from '../invoke-worker.ts';
import { catchAll, failurePaths, notNull, succeedRun } from '../outcomes.ts';
import { PollUntilDone } from '../poll-until-done.ts';
import type { Deps } from '../procedure.ts';
import { acquireLock, validateInput } from '../run-start.ts';

export function dbBackupDefinition(scope: Construct, deps: Deps): sfn.IChainable {
  const { procedure, timing } = deps;
  const { fail, notifyFailure, releaseAndFail } = failurePaths(scope, deps);

  const validate = validateInput(scope, deps, validateDbBackupInput, {
    procedure,
    fail,
    comment: 'Checks the input and resolves the database from config; changes nothing.',
  });
  const lock = acquireLock(
    scope,
    deps,
    'One run per database: a backup, a restore and maintenance of one instance exclude each other.',
    { held: notifyFailure, other: releaseAndFail },
  );

  // 1. and 2. The runbook's manual snapshot, after any in progress, tagged as this runbook's backup (never pruned).
  const snapshot = databaseSnapshot(scope, deps, {
    purpose: 'backup',
    comments: {
      create: 'Runbook step 1: the manual snapshot manual-<instance>-<stamp>, tagged with this run.',
      available:
        'Runbook step 2: wait until the snapshot is available; SnapshotFailed if it fails or its budget is spent.',
    },
  });

  // 3. The export, if asked for: Parquet in the stack's export bucket, for analysis and keeping.
  const exports = deps.databaseExports;
  const release = succeedRun(scope, deps, {
    succeed: 'Backed Up',
    comment: 'The snapshot is available (and exported, if asked).',
    detail:
      "States.Format('Snapshot {} of {} is available{}.', $.request.snapshotId, $.request.dbInstance, $.exported.where)",
  });
  const notExported = new sfn.Pass(scope, 'No Export', {
    stateName: 'No Export',
    result: sfn.Result.fromObject({ where: '' }),
    resultPath: '$.exported',
  });
  notExported.next(release);
  const tasks: sfn.TaskStateBase[] = [...snapshot.tasks];
  let afterSnapshot: sfn.IChainable = notExported;
  if (exports) {
    const start = invokeWorker(scope, 'Start Export', deps, startExport, {
      comment:
        'Runbook step 3: export the snapshot to S3 (Parquet) with the export role, encrypted with the export key.',
      payload: {
        'taskId.$': '$.request.export.taskId',
        'snapshotArn.$': '$.snapshotReady.arn',
        bucket: exports.bucket,
        'prefix.$': '$.request.export.prefix',
        roleArn: exports.roleArn,
        kmsKeyArn: exports.kmsKeyArn,
      },
      resultPath: '$.export',
      retry: 'change',
    });
    const complete = new PollUntilDone(scope, 'Wait Until Export Complete', deps, {
      names: {
        start: 'Start Watching Export',
        check: 'Check Export',
        done: 'Export Complete?',
        wait: 'Wait Before Next Export Check',
        finished: 'Export Complete',
      },
      comment:
        'Waits until the export is COMPLETE; ExportFailed if it fails, is cancelled, or its budget is spent.',
      worker: checkExport,
      payload: { 'taskId.$': '$.request.export.taskId' },
      resultPath: '$.exportDone',
      intervalSeconds: timing.exportIntervalSeconds,
      maxAttempts: timing.exportMaxPolls,
    });
    const where = new sfn.Pass(scope, 'Name Export Location', {
      stateName: 'Name Export Location',
      parameters: { 'where.$': "States.Format(', exported to {}', $.export.location)" },
      resultPath: '$.exported',
    });
    start.next(complete);
    complete.next(where);
    where.next(release);
    tasks.push(start, complete.check);
    afterSnapshot = new sfn.Choice(scope, 'Export Asked?', { stateName: 'Export Asked?' })
      .when(notNull('$.request.export'), start)
      .otherwise(notExported);
  }
  catchAll(tasks, releaseAndFail, '$.failure');

  validate.next(lock).next(snapshot.chain).next(afterSnapshot);
  return validate;
}
