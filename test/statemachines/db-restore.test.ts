// Every path of the db-restore state machine, executed by the local engine on the synthesized
// definition against the simulated account.
import { beforeAll, describe, expect, it } from 'vitest';
import { changes, config, definitionsOnce, example, run, service } from './support.ts';

const input = example('db-restore');
const none = { ...input, cutover: 'none' };
const DB = 'enterprise-prod-db';
const restored = /^enterprise-prod-db-restored-\d{12}$/;
const aside = /^enterprise-prod-db-pre-restore-\d{12}$/;

beforeAll(() => {
  definitionsOnce();
});

type Result = Awaited<ReturnType<typeof run>>;
const outcome = (r: Result) => ({ status: r.status, error: r.error });
const instances = (r: Result) => r.account.dbInstances.map((i) => `${i.id} ${i.status}`).sort();
const noticeDetail = (r: Result) =>
  (r.events.find((e) => e.state === 'Notify Success' && e.kind === 'scheduled')?.input as { detail?: string })
    ?.detail;
const pages = (r: Result) => r.account.notifications.filter((n) => n.severity === 'page');

describe('db-restore', () => {
  it('swap: restores next to the source, verifies, asks, renames twice, redeploys the app, and reports the figures', async () => {
    const result = await run('db-restore', input);
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    // The restore, its monitoring, then the two renames in order, then the redeployment: nothing else
    expect(changes(result)).toEqual([
      expect.stringMatching(/^rds:RestoreDBInstanceFromDBSnapshot:enterprise-prod-db-restored-\d{12}$/),
      expect.stringMatching(/^rds:ModifyDBInstance:enterprise-prod-db-restored-\d{12}$/),
      `rds:ModifyDBInstance:${DB}`,
      expect.stringMatching(/^rds:ModifyDBInstance:enterprise-prod-db-restored-\d{12}$/),
      'ecs:UpdateService:app-service',
    ]);
    const renames = result.changes.filter((c) => c.detail.startsWith('renamed to'));
    expect(renames.map((c) => c.detail)).toEqual([
      expect.stringMatching(/^renamed to enterprise-prod-db-pre-restore-\d{12}$/),
      `renamed to ${DB}`,
    ]);
    // The source is kept aside, the restored instance answers at the source's identifier
    expect(result.account.dbInstances.map((i) => i.id).sort()).toEqual([DB, expect.stringMatching(aside)]);
    expect(result.account.dbInstances.every((i) => i.status === 'available')).toBe(true);
    expect(service(result, 'app-service')).toMatchObject({ runningCount: 3, desiredCount: 3 });
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.map((n) => n.event)).toEqual(['approval-needed', 'succeeded']);
    expect(noticeDetail(result)).toMatch(
      /holds the data of enterprise-prod-db as of \S+; restored and verified in 3\d min \d+ s\. Approval waited 20 min \d+ s\. Cut-over \(two renames\): 4 min \d+ s;.*app healthy again \d+ min \d+ s later\. Data-loss window: .* of writes .* are still in enterprise-prod-db-pre-restore-\d{12}\.$/,
    );
  });

  it('none: the restored instance is verified next to the source, which is never touched', async () => {
    const result = await run('db-restore', none);
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result).map((c) => c.replace(/\d{12}$/, '<stamp>'))).toEqual([
      'rds:RestoreDBInstanceFromDBSnapshot:enterprise-prod-db-restored-<stamp>',
      'rds:ModifyDBInstance:enterprise-prod-db-restored-<stamp>',
    ]);
    expect(result.account.dbInstances.map((i) => i.id).sort()).toEqual([DB, expect.stringMatching(restored)]);
    expect(result.events.some((e) => e.state === 'Wait For Approval')).toBe(false);
    expect(result.account.notifications.map((n) => n.event)).toEqual(['succeeded']);
    expect(noticeDetail(result)).toContain('Nothing was switched: enterprise-prod-db is unchanged');
    expect(result.account.locks).toEqual([]);
  });

  it('restores to the latest restorable time, from the source instance itself', async () => {
    const result = await run('db-restore', { ...none, source: { pointInTime: 'latest-restorable' } });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)[0]).toMatch(/^rds:RestoreDBInstanceToPointInTime:enterprise-prod-db-restored-/);
  });

  it.each([
    [
      'snapshot-missing',
      { ...input, source: { snapshot: 'manual-enterprise-prod-db-gone' } },
      'SnapshotNotFound',
    ],
    [
      'window-exceeded',
      { ...none, source: { pointInTime: '2020-01-01T00:00:00Z' } },
      'RestoreWindowExceeded',
    ],
  ])('%s: ends before anything is created', async (_name, given, error) => {
    const result = await run('db-restore', given);
    expect(outcome(result)).toEqual({ status: 'FAILED', error });
    expect(changes(result)).toEqual([]);
    expect(instances(result)).toEqual([`${DB} available`]);
    expect(result.account.locks).toEqual([]);
    expect(result.cause).toContain('nothing was created');
  });

  it('target-exists: refuses an instance someone else made under its name, and never adopts it', async () => {
    const result = await run('db-restore', input, { scenario: 'target-exists' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'RestoreTargetExists' });
    expect(changes(result)).toEqual([]);
    expect(result.cause).toMatch(
      /already exists \(available\) and was not made by this run; nothing was overwritten/,
    );
    expect(result.account.locks).toEqual([]);
  });

  it('restore-fails: a terminal state ends the wait at once; the source untouched, the failed instance kept', async () => {
    const result = await run('db-restore', input, { scenario: 'restore-fails' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'RestoreFailed' });
    expect(result.cause).toMatch(/is incompatible-restore: RDS will not make it available/);
    expect(instances(result)).toEqual([
      `${DB} available`,
      expect.stringMatching(/-restored-\d{12} incompatible-restore$/),
    ]);
    expect(result.events.some((e) => e.state === 'Wait For Approval')).toBe(false);
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.map((n) => n.event)).toEqual(['failed']);
  });

  it('swap-fails: the second rename refused, the source is renamed back and a person is paged', async () => {
    const result = await run('db-restore', input, { scenario: 'swap-fails' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'CutoverFailed' });
    const renames = result.changes.filter((c) => c.detail.startsWith('renamed to')).map((c) => c.detail);
    expect(renames).toEqual([
      expect.stringMatching(/^renamed to enterprise-prod-db-pre-restore-/),
      `renamed to ${DB}`,
    ]);
    // The source is in its place again (it was the one renamed back), the restored one kept beside it
    expect(result.changes.at(-1)?.target).toMatch(aside);
    expect(result.account.dbInstances.map((i) => i.id).sort()).toEqual([DB, expect.stringMatching(restored)]);
    expect(result.account.dbInstances.every((i) => i.status === 'available')).toBe(true);
    expect(pages(result)).toEqual([expect.objectContaining({ event: 'cutover-failed' })]);
    expect(result.cause).toMatch(
      /enterprise-prod-db was renamed back into its place after the restored instance could not take it/,
    );
    expect(result.changes.some((c) => c.action === 'UpdateService')).toBe(false);
    expect(result.account.locks).toEqual([]);
  });

  it('the rename back failing too: a page that says where each instance is', async () => {
    const result = await run('db-restore', input, {
      scenario: 'swap-fails',
      faults: { rds: { rename: { seconds: 120, refusedFor: /-(restored|pre-restore)-/ } } },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'CutoverFailed' });
    expect(result.cause).toMatch(
      /the source could not be renamed back: the source is enterprise-prod-db-pre-restore-\d{12} now, the restored instance enterprise-prod-db-restored-\d{12}; nothing answers at the endpoint name/,
    );
    expect(pages(result)).toHaveLength(1);
    expect(result.account.locks).toEqual([]);
  });

  it('the function dying at the first rename (which may have gone through): a page, not a plain failure', async () => {
    let armed = false;
    const result = await run('db-restore', input, {
      faults: {
        workerDies: {
          get worker() {
            return armed ? 'modify-instance' : 'none';
          },
          error: 'Sandbox.Timedout',
          times: 1,
        },
      },
      onEvent: (e) => {
        if (e.state === 'Verify Approval') armed = true;
      },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'CutoverFailed' });
    expect(result.cause).toMatch(/it may be under either name; .* the second rename was not made/);
    expect(pages(result)).toHaveLength(1);
    expect(result.account.locks).toEqual([]);
  });

  it('the second rename not ending available: nothing is renamed back (the restored one may hold the name), a page', async () => {
    let renames = 0;
    const result = await run('db-restore', input, {
      faults: {
        rds: {
          rename: {
            get seconds() {
              renames++;
              return renames === 2 ? 2400 : 120;
            },
          },
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'CutoverFailed' });
    expect(result.events.some((e) => e.state === 'Rename Source Back')).toBe(false);
    expect(result.cause).toMatch(/nothing was renamed back and the services were not redeployed/);
    expect(instances(result)).toEqual([
      `${DB} renaming`,
      expect.stringMatching(/-pre-restore-\d{12} available$/),
    ]);
    expect(pages(result)).toHaveLength(1);
  });

  it('restores a snapshot named by its RDS name, and without a configured monitoring role names the missing monitoring', async () => {
    const automated = await run('db-restore', { ...none, source: { snapshot: 'latest' } });
    const resolved = automated.events.find(
      (e) => e.state === 'Resolve Source' && e.kind === 'task-succeeded',
    );
    const snapshot = (resolved?.output as { snapshotId?: string } | undefined)?.snapshotId ?? '';
    expect(snapshot).toMatch(/^rds:enterprise-prod-db-/);
    const named = await run('db-restore', { ...none, source: { snapshot } });
    expect(outcome(named)).toEqual({ status: 'SUCCEEDED', error: null });
    const unmonitored = structuredClone(config);
    delete unmonitored.environments.prod?.databases.main?.monitoringRoleArn;
    const result = await run('db-restore', none, { config: unmonitored });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'RestoreFailed' });
    expect(result.cause).toContain('MonitoringInterval: source 60, restored 0');
    expect(result.changes.map((c) => c.action)).toEqual(['RestoreDBInstanceFromDBSnapshot']);
  });

  it('the services not healthy on the restored instance: CutoverFailed and a page, the swap kept', async () => {
    const result = await run('db-restore', input, { scenario: 'reconnect-fails' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'CutoverFailed' });
    expect(result.cause).toMatch(
      /enterprise-prod-db is the restored instance now .* did not become healthy on it/,
    );
    expect(result.account.dbInstances.map((i) => i.id).sort()).toEqual([DB, expect.stringMatching(aside)]);
    expect(pages(result)).toHaveLength(1);
    expect(result.account.locks).toEqual([]);
  });

  it.each([
    ['a rejection', { reject: 'restore to a point in time instead' }, 'ApprovalRejected'],
    ['an expiry', 'expire', 'ApprovalExpired'],
  ] as const)(
    '%s of the swap keeps the restored instance and switches nothing',
    async (_what, approver, error) => {
      const result = await run('db-restore', input, { approver });
      expect(outcome(result)).toEqual({ status: 'FAILED', error });
      expect(result.changes.some((c) => c.detail.startsWith('renamed'))).toBe(false);
      expect(result.account.dbInstances.map((i) => i.id).sort()).toEqual([
        DB,
        expect.stringMatching(restored),
      ]);
      expect(result.account.locks).toEqual([]);
    },
  );

  it.each([
    ['database-lock-held', 'rds:enterprise-prod-db is locked by'],
    ['lock-held', 'ecs:enterprise-prod-cluster/app-service is locked by'],
  ])('%s: changes nothing, and leaves no lock of its own behind', async (scenario, cause) => {
    const result = await run('db-restore', input, { scenario });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'LockHeld' });
    expect(result.cause).toContain(cause);
    expect(changes(result)).toEqual([]);
    // Only the holder's lock is there: what this run took before the refusal was given back
    expect(result.account.locks.length).toBeGreaterThan(0);
    for (const lock of result.account.locks)
      expect(lock.owner).toMatch(/:(hotfix-2291|restore-after-bad-migration)$/);
  });

  it('a restore without a swap does not lock the services: a deployment may run beside it', async () => {
    const result = await run('db-restore', none, { scenario: 'lock-held' });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
  });

  it.each([
    [{ ...input, cutover: 'switch' }, 'cutover'],
    [{ ...input, source: { snapshot: 'latest', pointInTime: 'latest-restorable' } }, 'source'],
    [{ ...input, changeRequest: undefined }, 'changeRequest'],
    [{ ...input, database: 'constructor' }, 'database'],
  ])('refuses %o naming %s, before any lock', async (given, field) => {
    const result = await run('db-restore', given);
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'InvalidInput' });
    expect(result.cause).toContain(field);
    expect(result.account.locks).toEqual([]);
    expect(changes(result)).toEqual([]);
  });
});
