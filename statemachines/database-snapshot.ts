// The snapshot a database procedure takes before anything else: after any snapshot of the instance
// already in progress (RDS makes one at a time: its automated one, or a person's, is waited for and
// never doubled), then its own, tagged with the run and why it was taken, waited for until
// available. SnapshotFailed if it fails or a budget is spent; nothing else changes meanwhile.
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { checkSnapshot } from '../tasks/check-snapshot.ts';
import { createSnapshot, type SNAPSHOT_PURPOSES } from '../tasks/create-snapshot.ts';
import { checkSnapshotInProgress } from '../tasks/database/check-snapshot-in-progress.ts';
import { invokeWorker } from './invoke-worker.ts';
import { PollUntilDone } from './poll-until-done.ts';
import type { Deps } from './procedure.ts';

export interface DatabaseSnapshotProps {
  /** Its runbook:purpose tag. */
  readonly purpose: (typeof SNAPSHOT_PURPOSES)[number];
  /** The comments of Create Snapshot and of the wait until available (the runbook steps they are). */
  readonly comments: { readonly create: string; readonly available: string };
}

/** The three steps, chained (reading $.request.dbInstance and $.request.snapshotId), and their tasks for the caller's Catch. */
export function databaseSnapshot(scope: Construct, deps: Deps, props: DatabaseSnapshotProps) {
  const { timing } = deps;
  const idle = new PollUntilDone(scope, 'Wait Until No Snapshot In Progress', deps, {
    names: {
      start: 'Start Watching Snapshots In Progress',
      check: 'Check Snapshots In Progress',
      done: 'No Snapshot In Progress?',
      wait: 'Wait Before Next In Progress Check',
      finished: 'No Snapshot In Progress',
    },
    comment:
      "Done once none of the instance's snapshots (RDS's automated ones, or a person's) is being made.",
    worker: checkSnapshotInProgress,
    payload: { 'dbInstance.$': '$.request.dbInstance' },
    resultPath: '$.inProgress',
    intervalSeconds: timing.snapshotIntervalSeconds,
    maxAttempts: timing.snapshotMaxPolls,
  });
  const snapshot = invokeWorker(scope, 'Create Snapshot', deps, createSnapshot, {
    comment: props.comments.create,
    payload: {
      'dbInstance.$': '$.request.dbInstance',
      'snapshotId.$': '$.request.snapshotId',
      'executionId.$': '$$.Execution.Id',
      purpose: props.purpose,
    },
    resultPath: '$.snapshot',
    retry: 'change',
  });
  const available = new PollUntilDone(scope, 'Wait Until Snapshot Available', deps, {
    names: {
      start: 'Start Watching Snapshot',
      check: 'Check Snapshot',
      done: 'Snapshot Available?',
      wait: 'Wait Before Next Snapshot Check',
      finished: 'Snapshot Available',
    },
    comment: props.comments.available,
    worker: checkSnapshot,
    payload: { 'snapshotId.$': '$.request.snapshotId' },
    resultPath: '$.snapshotReady',
    intervalSeconds: timing.snapshotIntervalSeconds,
    maxAttempts: timing.snapshotMaxPolls,
  });
  return {
    chain: sfn.Chain.start(idle).next(snapshot).next(available),
    tasks: [idle.check, snapshot, available.check] as sfn.TaskStateBase[],
  };
}
