import {
  type DBSnapshot,
  DeleteDBSnapshotCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_DELETIONS, pruneSnapshots } from '../../tasks/prune-snapshots.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();

const dbInstance = 'enterprise-prod-db';
const now = '2026-12-02T08:00:00.000Z';
const current = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:42';
const previous = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';
const service = 'ecs:enterprise-prod-cluster/app-service';
const event = {
  dbInstance,
  service,
  retention: { keepNewest: 2, minAgeDays: 7 },
  protectedReleases: [current, previous],
  snapshotId: 'pre-deploy-app-this-run',
  now,
};

const daysAgo = (days: number) => new Date(Date.parse(now) - days * 86_400_000);

/** A snapshot as DescribeDBSnapshots lists it: this runbook's pre-deploy one unless `tags` say otherwise. */
function snapshot(
  id: string,
  ageDays: number,
  {
    // Each earlier deployment ran a release of its own.
    release = `arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:${id}`,
    tags,
    status = 'available',
  }: { release?: string; tags?: { Key: string; Value: string }[]; status?: string } = {},
): DBSnapshot {
  return {
    DBSnapshotIdentifier: id,
    DBInstanceIdentifier: dbInstance,
    Status: status,
    SnapshotType: 'manual',
    SnapshotCreateTime: daysAgo(ageDays),
    TagList: tags ?? [
      { Key: 'runbook:purpose', Value: 'pre-deploy' },
      {
        Key: 'runbook:execution',
        Value: `arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:${id}`,
      },
      { Key: 'runbook:service', Value: service },
      { Key: 'runbook:release', Value: release },
    ],
  };
}

const listed = (snapshots: DBSnapshot[]) =>
  rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: snapshots });

describe('prune-snapshots', () => {
  beforeEach(() => {
    rdsMock.reset();
    rdsMock.on(DeleteDBSnapshotCommand).resolves({});
  });

  it('deletes this runbook’s snapshots past the newest N and older than D days, listing them all first', async () => {
    // Given 2 newest (kept), one 3 days old (too young), two 10 and 20 days old (due)
    listed([
      snapshot('pre-deploy-app-this-run', 0, { release: previous }),
      snapshot('pre-deploy-app-d1', 1),
      snapshot('pre-deploy-app-d3', 3),
      snapshot('pre-deploy-app-d20', 20),
      snapshot('pre-deploy-app-d10', 10),
    ]);

    // When
    const result = await invoke(pruneSnapshots, event, clients);

    // Then
    expect(result).toEqual({
      deleted: ['pre-deploy-app-d20', 'pre-deploy-app-d10'],
      skipped: [],
      kept: 3,
      left: 0,
    });
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(DescribeDBSnapshotsCommand, {
      DBInstanceIdentifier: dbInstance,
      SnapshotType: 'manual',
      MaxRecords: 100,
    });
    expect(rdsMock).toHaveReceivedCommandTimes(DeleteDBSnapshotCommand, 2);
    expect(rdsMock).toHaveReceivedNthCommandWith(DeleteDBSnapshotCommand, 1, {
      DBSnapshotIdentifier: 'pre-deploy-app-d20',
    });
    expect(rdsMock).toHaveReceivedNthCommandWith(DeleteDBSnapshotCommand, 2, {
      DBSnapshotIdentifier: 'pre-deploy-app-d10',
    });
  });

  it('counts a snapshot exactly D days old as due, and keeps one a second younger', async () => {
    // Given
    listed([
      snapshot('pre-deploy-a', 0),
      snapshot('pre-deploy-b', 0),
      { ...snapshot('pre-deploy-exactly', 7) },
      { ...snapshot('pre-deploy-younger', 0), SnapshotCreateTime: new Date(daysAgo(7).getTime() + 1000) },
    ]);

    // When
    const result = await invoke(pruneSnapshots, event, clients);

    // Then
    expect(result.deleted).toEqual(['pre-deploy-exactly']);
  });

  it('never deletes one taken under the current or the previous release, however old', async () => {
    // Given
    listed([
      snapshot('pre-deploy-a', 0),
      snapshot('pre-deploy-b', 0),
      snapshot('pre-deploy-under-current', 40, { release: current }),
      snapshot('pre-deploy-under-previous', 50, { release: previous }),
      snapshot('pre-deploy-under-older', 60),
    ]);

    // When
    const result = await invoke(pruneSnapshots, event, clients);

    // Then
    expect(result.deleted).toEqual(['pre-deploy-under-older']);
  });

  it('never deletes this run’s own snapshot, nor one another person or tool took, nor one not available', async () => {
    // Given keepNewest 1, so all but the newest would be due by age
    listed([
      snapshot('pre-deploy-newest', 0),
      snapshot('pre-deploy-app-this-run', 30),
      snapshot('pre-deploy-by-hand', 30, { tags: [{ Key: 'owner', Value: 'dba' }] }),
      snapshot('pre-deploy-other-purpose', 30, {
        tags: [{ Key: 'runbook:purpose', Value: 'manual-backup' }],
      }),
      snapshot('pre-deploy-untagged', 30, { tags: [] }),
      snapshot('pre-deploy-being-copied', 30, { status: 'copying' }),
      snapshot('pre-deploy-due', 30),
    ]);

    // When
    const result = await invoke(
      pruneSnapshots,
      { ...event, retention: { keepNewest: 1, minAgeDays: 7 } },
      clients,
    );

    // Then
    expect(result).toEqual({ deleted: ['pre-deploy-due'], skipped: [], kept: 2, left: 0 });
  });

  it('never deletes another service’s snapshot of a shared database, a copy without its run, or one not named pre-deploy-*', async () => {
    // Given keepNewest 1; the rest are old enough
    const tagged = (id: string, tags: { Key: string; Value: string }[]) => snapshot(id, 30, { tags });
    const purpose = { Key: 'runbook:purpose', Value: 'pre-deploy' };
    const run = { Key: 'runbook:execution', Value: 'arn:aws:states:us-east-1:123456789012:execution:x:y' };
    listed([
      snapshot('pre-deploy-newest', 0),
      tagged('pre-deploy-web', [
        purpose,
        run,
        { Key: 'runbook:service', Value: 'ecs:enterprise-prod-cluster/web' },
      ]),
      tagged('pre-deploy-copy', [purpose, { Key: 'runbook:service', Value: service }]),
      { ...snapshot('pre-deploy-x', 30), DBSnapshotIdentifier: 'archive-2026-01' },
      snapshot('pre-deploy-due', 31),
    ]);

    // When
    const result = await invoke(
      pruneSnapshots,
      { ...event, retention: { keepNewest: 1, minAgeDays: 7 } },
      clients,
    );

    // Then
    expect(result.deleted).toEqual(['pre-deploy-due']);
  });

  it('keeps the newest N even when all are old, and never one of another purpose with the runbook’s other tags', async () => {
    // Given every snapshot 30 days old or more, one with this runbook's run and service but another purpose
    const other = snapshot('pre-deploy-other', 60);
    listed([
      snapshot('pre-deploy-k1', 30),
      snapshot('pre-deploy-k2', 31),
      snapshot('pre-deploy-k3', 32),
      {
        ...other,
        TagList: (other.TagList ?? []).map((t) =>
          t.Key === 'runbook:purpose' ? { ...t, Value: 'manual-backup' } : t,
        ),
      },
      snapshot('pre-deploy-old', 90),
    ]);

    // When keepNewest is 3
    const result = await invoke(
      pruneSnapshots,
      { ...event, retention: { keepNewest: 3, minAgeDays: 7 } },
      clients,
    );

    // Then only the oldest of the runbook's own beyond the newest 3 goes (k3 protected as the release before)
    expect(result.deleted).toEqual(['pre-deploy-old']);
  });

  it('keeps the newest snapshot of the release before the ones given, however old', async () => {
    // Given keepNewest 1, and snapshots under the previous release and, older, under the one before it
    listed([
      snapshot('pre-deploy-now', 0, { release: previous }),
      snapshot('pre-deploy-before', 40, {
        release: 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:40',
      }),
      snapshot('pre-deploy-older', 50, {
        release: 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:39',
      }),
    ]);

    // When
    const result = await invoke(
      pruneSnapshots,
      { ...event, retention: { keepNewest: 1, minAgeDays: 7 } },
      clients,
    );

    // Then the one under prod-app:40 (the release before prod-app:41) stays
    expect(result.deleted).toEqual(['pre-deploy-older']);
  });

  it('reads every page of snapshots', async () => {
    // Given
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({
        DBSnapshots: [snapshot('pre-deploy-a', 0), snapshot('pre-deploy-b', 1)],
        Marker: 'page-2',
      })
      .resolvesOnce({ DBSnapshots: [snapshot('pre-deploy-c', 30)] });

    // When
    const result = await invoke(pruneSnapshots, event, clients);

    // Then
    expect(result.deleted).toEqual(['pre-deploy-c']);
    expect(rdsMock).toHaveReceivedNthCommandWith(DescribeDBSnapshotsCommand, 2, {
      DBInstanceIdentifier: dbInstance,
      SnapshotType: 'manual',
      MaxRecords: 100,
      Marker: 'page-2',
    });
  });

  it(`deletes at most ${MAX_DELETIONS} in one run, the oldest first, and says how many are left`, async () => {
    // Given 2 kept and 25 due
    listed([
      snapshot('pre-deploy-a', 0),
      snapshot('pre-deploy-b', 0),
      ...Array.from({ length: 25 }, (_, i) =>
        snapshot(`pre-deploy-old-${String(i).padStart(2, '0')}`, 10 + i),
      ),
    ]);

    // When
    const result = await invoke(pruneSnapshots, event, clients);

    // Then
    expect(result.deleted).toHaveLength(MAX_DELETIONS);
    expect(result.deleted[0]).toBe('pre-deploy-old-24');
    expect(result.deleted).not.toContain('pre-deploy-old-00');
    expect(result).toMatchObject({ kept: 27 - MAX_DELETIONS, left: 25 - MAX_DELETIONS });
  });

  it.each([
    'DBSnapshotNotFoundFault',
    'InvalidDBSnapshotStateFault',
    'AccessDenied',
    'AccessDeniedException',
  ])('skips a snapshot whose deletion fails with %s and goes on', async (name) => {
    // Given
    listed([
      snapshot('pre-deploy-a', 0),
      snapshot('pre-deploy-b', 0),
      snapshot('pre-deploy-gone', 31),
      snapshot('pre-deploy-due', 30),
    ]);
    rdsMock
      .on(DeleteDBSnapshotCommand, { DBSnapshotIdentifier: 'pre-deploy-gone' })
      .rejects(awsError(name, 'not now'));

    // When
    const result = await invoke(pruneSnapshots, event, clients);

    // Then
    expect(result).toEqual({
      deleted: ['pre-deploy-due'],
      skipped: [`pre-deploy-gone (${name})`],
      kept: 3,
      left: 0,
    });
  });

  it('keeps the name of any other error of DeleteDBSnapshot', async () => {
    // Given
    listed([snapshot('pre-deploy-a', 0), snapshot('pre-deploy-b', 0), snapshot('pre-deploy-due', 30)]);
    rdsMock.on(DeleteDBSnapshotCommand).rejects(awsError('KMSKeyNotAccessibleFault', 'no key'));

    // When
    const pruned = invoke(pruneSnapshots, event, clients);

    // Then
    await expect(pruned).rejects.toMatchObject({ name: 'KMSKeyNotAccessibleFault', message: 'no key' });
  });

  it('surfaces throttling of the listing as TransientAwsError, deleting nothing', async () => {
    // Given
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(throttled());

    // When
    const pruned = invoke(pruneSnapshots, event, clients);

    // Then
    await expect(pruned).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'RDS DescribeDBSnapshots: ThrottlingException: Rate exceeded',
    });
    expect(rdsMock).not.toHaveReceivedCommand(DeleteDBSnapshotCommand);
  });

  it('surfaces throttling of a deletion as TransientAwsError (the retried run finds it still due)', async () => {
    // Given
    listed([snapshot('pre-deploy-a', 0), snapshot('pre-deploy-b', 0), snapshot('pre-deploy-due', 30)]);
    rdsMock.on(DeleteDBSnapshotCommand).rejects(throttled());

    // When
    const pruned = invoke(pruneSnapshots, event, clients);

    // Then
    await expect(pruned).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'RDS DeleteDBSnapshot: ThrottlingException: Rate exceeded',
    });
  });

  it.each([
    ['retention.keepNewest', { ...event, retention: { keepNewest: 0, minAgeDays: 7 } }],
    ['retention.minAgeDays', { ...event, retention: { keepNewest: 2, minAgeDays: 0 } }],
    ['now', { ...event, now: 'yesterday' }],
    ['snapshotId', { ...event, snapshotId: '' }],
    ['service', { ...event, service: '' }],
  ])(
    'rejects an invalid %s as InvalidInput naming the field, without calling AWS',
    async (field, invalid) => {
      // When
      const pruned = invoke(pruneSnapshots, invalid, clients);

      // Then
      await expect(pruned).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining(`prune-snapshots: ${field}: `),
      });
      expect(rdsMock).not.toHaveReceivedAnyCommand();
    },
  );

  it('words its result for the timeline', () => {
    expect(pruneSnapshots.summarize?.({ deleted: [], skipped: [], kept: 4, left: 0 })).toBe(
      'nothing to prune, 4 pre-deploy snapshots kept',
    );
    expect(pruneSnapshots.summarize?.({ deleted: ['a', 'b'], skipped: [], kept: 20, left: 0 })).toBe(
      'deleted 2 old pre-deploy snapshots, 20 kept',
    );
    expect(
      pruneSnapshots.summarize?.({ deleted: ['a'], skipped: ['b (AccessDenied)'], kept: 20, left: 5 }),
    ).toBe('deleted 1 old pre-deploy snapshots, 20 kept, 5 left for the next run; skipped b (AccessDenied)');
  });
});
