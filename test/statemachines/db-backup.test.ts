// Every path of the db-backup state machine, executed by the local engine on the synthesized
// definition against the simulated account.
import { beforeAll, describe, expect, it } from 'vitest';
import { changes, definitionsOnce, example, run } from './support.ts';

const input = example('db-backup');
const INSTANCE = 'enterprise-prod-db';

beforeAll(() => {
  definitionsOnce();
});

const ours = (result: Awaited<ReturnType<typeof run>>) =>
  result.account.dbSnapshots.filter((s) => s.id.startsWith(`manual-${INSTANCE}-`));

/** What the success notice says changed (the notify step's detail, as it was sent). */
const noticeDetail = (result: Awaited<ReturnType<typeof run>>) =>
  (
    result.events.find((e) => e.state === 'Notify Success' && e.kind === 'scheduled')?.input as {
      detail?: string;
    }
  )?.detail;

describe('db-backup', () => {
  it('takes the snapshot, waits until available, exports it, releases its lock and announces both', async () => {
    // When
    const result = await run('db-backup', input);
    // Then
    expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)).toEqual([
      `rds:CreateDBSnapshot:${INSTANCE}`,
      expect.stringMatching(/^rds:StartExportTask:manual-/),
    ]);
    const [snapshot] = ours(result);
    expect(snapshot).toMatchObject({ dbInstance: INSTANCE, status: 'available' });
    expect(result.account.exportTasks).toEqual([
      expect.objectContaining({
        status: 'COMPLETE',
        source: `arn:aws:rds:us-east-1:123456789012:snapshot:${snapshot?.id}`,
        location: expect.stringMatching(/^s3:\/\/databaseexportsbucket[0-9a-f]+\/prod\/main$/),
      }),
    ]);
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.map((n) => n.event)).toEqual(['succeeded']);
    expect(noticeDetail(result)).toMatch(
      new RegExp(
        `^Snapshot ${snapshot?.id} of ${INSTANCE} is available, exported to s3://\\S+/prod/main/export-\\d{12}-[0-9a-f]{8}/\\.$`,
      ),
    );
    expect(result.account.dbInstances).toEqual([
      { id: INSTANCE, status: 'available', engineVersion: '15.4', instanceClass: 'db.r6g.large' },
    ]);
  });

  it('without export only snapshots, and says so', async () => {
    const result = await run('db-backup', { ...input, export: false });
    expect(result.status).toBe('SUCCEEDED');
    expect(changes(result)).toEqual([`rds:CreateDBSnapshot:${INSTANCE}`]);
    expect(result.account.exportTasks).toEqual([]);
    expect(noticeDetail(result)).toMatch(/^Snapshot manual-\S+ of enterprise-prod-db is available\.$/);
  });

  it('waits for a snapshot already in progress instead of starting a second one', async () => {
    const result = await run('db-backup', input, { scenario: 'snapshot-in-progress' });
    expect(result.status).toBe('SUCCEEDED');
    const waits = result.events.filter(
      (e) => e.state === 'Check Snapshots In Progress' && e.kind === 'task-succeeded',
    );
    expect(waits.length).toBeGreaterThan(1);
    // Ours was created only once RDS's own had finished: the instance was never asked twice at once
    const created = result.changes.find((c) => c.action === 'CreateDBSnapshot');
    expect(created?.at).toBeGreaterThanOrEqual(420);
    expect(ours(result)).toEqual([expect.objectContaining({ status: 'available' })]);
  });

  it('fails with ExportFailed when the export fails, keeping the snapshot, and releases its lock', async () => {
    const result = await run('db-backup', input, { scenario: 'export-fails' });
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'ExportFailed',
    });
    expect(result.cause).toContain('is FAILED: The export role');
    expect(result.cause).toContain('the snapshot is kept');
    expect(ours(result)).toEqual([expect.objectContaining({ status: 'available' })]);
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([['failed', 'warning']]);
  });

  it('fails with SnapshotFailed when the snapshot fails, exporting nothing and deleting nothing', async () => {
    const result = await run('db-backup', input, { scenario: 'snapshot-fails' });
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'SnapshotFailed',
    });
    expect(changes(result)).toEqual([`rds:CreateDBSnapshot:${INSTANCE}`]);
    expect(ours(result)).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(result.account.locks).toEqual([]);
  });

  it('fails with LockHeld, naming the holder, and changes nothing while a restore holds the database', async () => {
    const result = await run('db-backup', input, { scenario: 'database-lock-held' });
    expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'LockHeld' });
    expect(result.cause).toContain('rds:enterprise-prod-db is locked by');
    expect(result.cause).toContain('(db-restore)');
    expect(result.changes).toEqual([]);
    // The holder's lock is not ours to release
    expect(result.account.locks).toEqual([expect.objectContaining({ procedure: 'db-restore' })]);
  });

  it('fails with InvalidInput naming the field, and changes nothing', async () => {
    for (const [bad, field] of [
      [{ ...input, database: 'constructor' }, 'database'],
      [{ ...input, environment: 'dev' }, 'database'],
      [{ ...input, export: 'yes' }, 'export'],
      [null, '(input)'],
    ] as const) {
      const result = await run('db-backup', bad);
      expect(result.error, JSON.stringify(bad)).toBe('InvalidInput');
      expect(result.cause).toContain(`${field}:`);
      expect(result.changes).toEqual([]);
      expect(result.account.locks).toEqual([]);
    }
  });

  it('fails with SnapshotFailed and changes nothing when a snapshot in progress outlasts its budget', async () => {
    const result = await run('db-backup', input, {
      faults: { rds: { snapshotInProgress: { type: 'manual', secondsLeft: 24 * 3600 } } },
    });
    expect({ status: result.status, error: result.error }).toEqual({
      status: 'FAILED',
      error: 'SnapshotFailed',
    });
    expect(result.cause).toContain(
      'enterprise-prod-db was still being snapshotted (enterprise-prod-db-taken-by-hand-in-progress) after 120 polls; nothing was changed',
    );
    expect(result.changes).toEqual([]);
    expect(result.account.locks).toEqual([]);
  });
});
