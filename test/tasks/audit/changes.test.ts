// What a run changed, read from its workers' results: each worker's result shape, and results that
// change nothing.
import { describe, expect, it } from 'vitest';
import { changesOf } from '../../../tasks/audit/changes.ts';

const TD = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:${n}`;
const OWNER = 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1';
const at = (s: number) => `2026-12-02T10:00:${String(s).padStart(2, '0')}.000Z`;
const result = (state: string, s: number, output: unknown) => ({ state, at: at(s), output });

describe('changesOf', () => {
  it('reads each change in order, before and after: lock, snapshot, revision, service, known-good, release', () => {
    const changes = changesOf([
      result('Acquire Lock', 1, { key: 'ecs:c/s', owner: OWNER, expiresAt: 1 }),
      result('Capture Baseline', 2, { taskDefinition: TD(41), desiredCount: 3, runningCount: 3 }),
      result('Create Snapshot', 3, { snapshotId: 'pre-deploy-1', status: 'creating' }),
      result('Register Task Definition', 4, { taskDefinition: TD(42), from: TD(41) }),
      result('Update Service', 5, { taskDefinition: TD(42), desiredCount: 4, deploymentId: 'ecs-svc/1' }),
      result('Record Known Good', 6, { taskDefinition: TD(42), previous: TD(41), desiredCount: 4 }),
      result('Prune Snapshots', 7, { deleted: ['old-1', 'old-2'], kept: 1 }),
      result('Release Lock', 8, { released: true }),
    ]);
    expect(changes).toEqual([
      {
        kind: 'lock',
        state: 'Acquire Lock',
        at: at(1),
        what: 'lock ecs:c/s taken',
        before: null,
        after: OWNER,
      },
      {
        kind: 'snapshot',
        state: 'Create Snapshot',
        at: at(3),
        what: 'RDS snapshot created',
        before: null,
        after: 'pre-deploy-1',
      },
      {
        kind: 'task-definition',
        state: 'Register Task Definition',
        at: at(4),
        what: 'task definition registered',
        before: TD(41),
        after: TD(42),
      },
      {
        kind: 'service',
        state: 'Update Service',
        at: at(5),
        what: 'service deployment ecs-svc/1',
        before: `${TD(41)} × 3`,
        after: `${TD(42)} × 4`,
      },
      {
        kind: 'known-good',
        state: 'Record Known Good',
        at: at(6),
        what: 'known-good revision recorded',
        before: TD(41),
        after: TD(42),
      },
      {
        kind: 'snapshot',
        state: 'Prune Snapshots',
        at: at(7),
        what: 'RDS snapshots deleted (retention)',
        before: 'old-1, old-2',
        after: null,
      },
      { kind: 'lock', state: 'Release Lock', at: at(8), what: 'lock released', before: null, after: null },
    ]);
  });

  it('keeps the first baseline (a confirmation later is not the service as the run found it)', () => {
    const changes = changesOf([
      result('Capture Baseline', 1, { taskDefinition: TD(41), desiredCount: 3, runningCount: 3 }),
      result('Confirm Baseline', 2, { taskDefinition: TD(40), desiredCount: 2, runningCount: 2 }),
      result('Update Service', 3, { taskDefinition: TD(42), deploymentId: 'ecs-svc/1' }),
    ]);
    expect(changes.map((c) => [c.before, c.after])).toEqual([[`${TD(41)} × 3`, TD(42)]]);
  });

  it("reads a backup's snapshot and its export, and not the export's polls", () => {
    const location = 's3://exports/prod/main/export-202612020900-1a2b3c4d/';
    const changes = changesOf([
      result('Create Snapshot', 1, { snapshotId: 'manual-db-1', status: 'creating' }),
      result('Check Snapshot', 2, { done: true, status: 'available', progress: 100, arn: 'arn:x' }),
      result('Start Export', 3, { taskId: 'export-202612020900-1a2b3c4d', status: 'STARTING', location }),
      result('Check Export', 4, { done: true, status: 'COMPLETE', progress: 100 }),
    ]);
    expect(changes.map((c) => [c.kind, c.what, c.after])).toEqual([
      ['snapshot', 'RDS snapshot created', 'manual-db-1'],
      ['export', 'RDS snapshot export started', location],
    ]);
  });

  it('without a baseline, a service change has no before; a joined lock, a pruning that deleted nothing and a check change nothing', () => {
    const changes = changesOf([
      result('Acquire Lock', 1, { key: 'ecs:c/s', owner: OWNER, joined: true }),
      result('Restore Service', 2, { taskDefinition: TD(41), desiredCount: 3, deploymentId: 'ecs-svc/2' }),
      result('Prune Snapshots', 3, { deleted: [], kept: 2 }),
      result('Check Rollout', 4, { done: true, rolloutState: 'COMPLETED' }),
      result('Notify', 5, { event: 'succeeded' }),
      result('Release Lock', 6, { released: false }),
      result('Odd', 7, null),
      result('Odd', 8, ['x']),
      result('Odd', 9, 'text'),
    ]);
    expect(changes.map((c) => [c.kind, c.before, c.after])).toEqual([['service', null, `${TD(41)} × 3`]]);
  });
});
