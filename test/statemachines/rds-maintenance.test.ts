// Every path of the rds-maintenance state machine, executed by the local engine on the synthesized
// definition against the simulated account.
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogueOf, parseConfig } from '../../infra/config.ts';
import { isInWindow, parseWindow } from '../../tasks/database/maintenance-window.ts';
import { resolveRestore } from '../../tasks/db-restore/validate-db-restore-input.ts';
import { changes, config, definitionsOnce, example, run } from './support.ts';

const input = example('rds-maintenance');
const { engineVersion: _v, ...noVersion } = input;
const scale = { ...noVersion, instanceClass: 'db.r6g.xlarge', apply: 'window' };
const DB = 'enterprise-prod-db';
const snapshotOf = /^pre-maintenance-enterprise-prod-db-\d{12}-[0-9a-f]{8}$/;

beforeAll(() => {
  definitionsOnce();
});

type Result = Awaited<ReturnType<typeof run>>;
const outcome = (r: Result) => ({ status: r.status, error: r.error });
const instance = (r: Result) => r.account.dbInstances.find((i) => i.id === DB);
const snapshots = (r: Result) => r.account.dbSnapshots.filter((s) => snapshotOf.test(s.id));
const notices = (r: Result) => r.account.notifications.map((n) => `${n.event} ${n.severity}`);
const entered = (r: Result, state: string) =>
  r.events.filter((e) => e.state === state && e.kind === 'entered');
const polls = (r: Result) =>
  r.events
    .filter((e) => e.state === 'Check Change' && e.kind === 'task-succeeded')
    .map(
      (e) =>
        (e.output as { Payload?: { status?: string } }).Payload?.status ??
        (e.output as { status?: string }).status,
    );

describe('rds-maintenance', () => {
  it('upgrades now: the target checked, approved, the snapshot right before, modified at once, waited for until available on 15.7', async () => {
    const result = await run('rds-maintenance', input);
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)).toEqual([`rds:CreateDBSnapshot:${DB}`, `rds:ModifyDBInstance:${DB}`]);
    expect(result.changes[1]?.detail).toBe('engine version 15.7, now');
    // Nothing changes before the approval, and the change only once the snapshot is available
    const at = (state: string) => entered(result, state)[0]?.at ?? Number.NaN;
    expect(result.changes.every((c) => c.at >= at('Verify Approval'))).toBe(true);
    expect(at('Snapshot Available')).toBeLessThanOrEqual(result.changes[1]?.at ?? 0);
    expect(entered(result, 'Time Until Window')).toEqual([]);
    expect(entered(result, 'Wait For Maintenance Window')).toEqual([]);
    expect(instance(result)).toEqual({
      id: DB,
      status: 'available',
      engineVersion: '15.7',
      instanceClass: 'db.r6g.large',
    });
    expect(snapshots(result)).toEqual([expect.objectContaining({ status: 'available' })]);
    expect(result.account.locks).toEqual([]);
    expect(notices(result)).toEqual(['approval-needed info', 'succeeded info']);
    const detail = (
      result.events.find((e) => e.state === 'Notify Success' && e.kind === 'scheduled')?.input as {
        detail?: string;
      }
    )?.detail;
    expect(detail).toMatch(
      /^enterprise-prod-db runs 15\.7 on db\.r6g\.large now \(it ran 15\.4 on db\.r6g\.large\); the snapshot pre-maintenance-enterprise-prod-db-\d{12}-[0-9a-f]{8} taken before the change is kept\.$/,
    );
    // The approver was shown from -> to, and the snapshot the run takes right before the change
    const request = result.events.find((e) => e.state === 'Wait For Approval' && e.kind === 'scheduled')
      ?.input as { Payload?: { summary?: Record<string, string> } };
    expect(request.Payload?.summary).toMatchObject({
      change: 'postgres 15.4 on db.r6g.large -> 15.7 on db.r6g.large, now',
      from: DB,
      fromDetail: expect.stringContaining('is taken right before the change'),
      snapshot: expect.stringMatching(snapshotOf),
    });
  });

  it('scales in the window: approved first, waits for Sunday 05:00 UTC, then snapshots and changes at once', async () => {
    const result = await run('rds-maintenance', scale);
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(result.changes.map((c) => c.detail)).toEqual([
      expect.stringMatching(/^snapshot pre-maintenance-/),
      'class db.r6g.xlarge, now',
    ]);
    const [wait] = entered(result, 'Wait For Maintenance Window');
    expect(wait).toBeDefined();
    // Nothing before the window: the snapshot is the state at the window, not days before it
    const windowStart = entered(result, 'Check Snapshots In Progress')[0]?.at ?? 0;
    expect(windowStart).toBeGreaterThan((wait?.at ?? 0) + 60);
    expect(result.changes.every((c) => c.at >= windowStart)).toBe(true);
    // The change was asked inside Sunday's 05:00-06:00 UTC window, by the simulated clock
    const answered = result.events.find((e) => e.state === 'Modify Instance' && e.kind === 'task-succeeded')
      ?.output as { at?: string; Payload?: { at?: string } };
    const askedAt = Date.parse(answered.Payload?.at ?? answered.at ?? '');
    const sunday = parseWindow('sun:05:00-sun:06:00') ?? expect.fail('parses');
    expect(isInWindow(sunday, askedAt)).toBe(true);
    expect(entered(result, 'Wait For Approval')[0]?.at ?? Number.NaN).toBeLessThan(wait?.at ?? 0);
    expect(polls(result).length).toBeLessThan(20);
    expect(instance(result)).toMatchObject({
      status: 'available',
      engineVersion: '15.4',
      instanceClass: 'db.r6g.xlarge',
    });
  });

  it('needs no approval where the environment needs none, and changes straight after the snapshot', async () => {
    const raw = structuredClone(config) as unknown as {
      environments: Record<string, { policy: Record<string, unknown> }>;
    };
    const relaxed = parseConfig({
      ...raw,
      environments: {
        ...raw.environments,
        prod: {
          ...raw.environments.prod,
          policy: { ...raw.environments.prod?.policy, approvalRequired: false },
        },
      },
    });
    const result = await run('rds-maintenance', input, { config: relaxed });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(entered(result, 'Approval Not Required')).toHaveLength(1);
    expect(entered(result, 'Wait For Approval')).toEqual([]);
    expect(notices(result)).toEqual(['succeeded info']);
  });

  it('waits for a snapshot still in progress after the approval before taking its own', async () => {
    const result = await run('rds-maintenance', input, {
      faults: { rds: { snapshotInProgress: { type: 'automated', secondsLeft: 2400 } } },
    });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    const waits = result.events.filter(
      (e) => e.state === 'Check Snapshots In Progress' && e.kind === 'task-succeeded',
    );
    expect(waits.length).toBeGreaterThan(1);
    expect(result.changes[0]?.at).toBeGreaterThanOrEqual(2400);
  });

  it('upgrade-fails: available again on 15.4 is a failure, not done; a page names the snapshot, the db-restore input, and when not to restore', async () => {
    const result = await run('rds-maintenance', input, { scenario: 'upgrade-fails' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'MaintenanceFailed' });
    expect(instance(result)).toMatchObject({ status: 'available', engineVersion: '15.4' });
    const [snapshot] = snapshots(result);
    expect(snapshot).toMatchObject({ status: 'available' });
    expect(notices(result)).toEqual(['approval-needed info', 'maintenance-failed page']);
    expect(result.cause).toContain('is available again on 15.4 on db.r6g.large with nothing pending');
    expect(result.cause).toContain(
      `The snapshot taken right before the change, ${snapshot?.id}, is available`,
    );
    expect(result.cause).toContain('if it is available and unchanged, it needs no restore');
    // The input the page gives is one db-restore takes, restoring that very snapshot into place
    const restoreInput = JSON.parse(
      result.cause?.match(/db-restore with (\{.*\}) restores the snapshot/)?.[1] ?? 'null',
    );
    expect(
      resolveRestore(restoreInput, catalogueOf(config), {
        id: 'x',
        name: 'x',
        startTime: '2026-12-06T06:00:00Z',
      }),
    ).toMatchObject({
      dbInstance: DB,
      source: { snapshot: snapshot?.id },
      cutover: 'none',
    });
    expect(result.account.locks).toEqual([]);
  });

  it('upgrade-incompatible: a state RDS does not leave ends the wait at once, and pages', async () => {
    const result = await run('rds-maintenance', input, { scenario: 'upgrade-incompatible' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'MaintenanceFailed' });
    expect(instance(result)).toMatchObject({ status: 'incompatible-parameters', engineVersion: '15.4' });
    expect(result.cause).toContain('is incompatible-parameters');
    expect(notices(result)).toContain('maintenance-failed page');
    // It failed on the first poll that saw the state, not at the end of its budget
    expect(polls(result).length).toBeLessThan(40);
  });

  it('a change that never ends: its budget (two hours) is spent, and it pages', async () => {
    const result = await run('rds-maintenance', input, {
      faults: { rds: { maintenance: { seconds: 5 * 3600 } } },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'MaintenanceFailed' });
    expect(result.cause).toMatch(/was still upgrading .* after 120 polls/);
    expect(notices(result)).toContain('maintenance-failed page');
  });

  it('RDS refusing the change: nothing changed, a plain failure and no page', async () => {
    const result = await run('rds-maintenance', input, {
      faults: {
        outage: {
          calls: /^rds:ModifyDBInstance$/,
          error: 'InvalidDBInstanceStateFault',
          message: 'Instance enterprise-prod-db is not in available state.',
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'MaintenanceFailed' });
    expect(result.cause).toContain(
      'RDS refused engine version 15.7 on enterprise-prod-db (InvalidDBInstanceStateFault',
    );
    expect(result.cause).toContain('nothing was changed');
    expect(changes(result)).toEqual([`rds:CreateDBSnapshot:${DB}`]);
    expect(notices(result)).toEqual(['approval-needed info', 'failed warning']);
    expect(instance(result)).toMatchObject({ status: 'available', engineVersion: '15.4' });
    expect(result.account.locks).toEqual([]);
  });

  it("the change's answer lost (throttled on the way back): the retry knows it is one, asks nothing twice, and waits the change out", async () => {
    const result = await run('rds-maintenance', input, {
      faults: {
        outage: {
          calls: /^rds:ModifyDBInstance$/,
          times: 1,
          afterTheCall: true,
          error: 'ThrottlingException',
          message: 'Rate exceeded',
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    // The first call went through; the retry found the instance upgrading and did not call again
    expect(changes(result)).toEqual([`rds:CreateDBSnapshot:${DB}`, `rds:ModifyDBInstance:${DB}`]);
    expect(result.events.filter((e) => e.state === 'Modify Instance' && e.kind === 'retried')).toHaveLength(
      1,
    );
    const answered = result.events.find((e) => e.state === 'Modify Instance' && e.kind === 'task-succeeded')
      ?.output as { already?: boolean; Payload?: { already?: boolean } };
    expect(answered.Payload?.already ?? answered.already).toBe(true);
    expect(instance(result)).toMatchObject({ status: 'available', engineVersion: '15.7' });
  });

  it('the function dying at the change (which may have gone through): a page, not a plain failure', async () => {
    const result = await run('rds-maintenance', input, {
      faults: { workerDies: { worker: 'modify-instance', error: 'Sandbox.Timedout', times: 1 } },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'MaintenanceFailed' });
    expect(notices(result)).toEqual(['approval-needed info', 'maintenance-failed page']);
    expect(result.account.locks).toEqual([]);
  });

  it('refuses a major upgrade after asking RDS: nothing changed, no snapshot', async () => {
    const result = await run('rds-maintenance', { ...input, engineVersion: '16.3' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'InvalidInput' });
    expect(result.cause).toContain('16.3 is a major upgrade of 15.4');
    expect(result.changes).toEqual([]);
    expect(result.account.locks).toEqual([]);
  });

  it.each([
    ['upgrade-rejected', { reject: 'not before the quarter-end close' }, 'ApprovalRejected'],
    ['upgrade-expired', 'expire', 'ApprovalExpired'],
  ] as const)('%s: nothing changed, no snapshot taken, the lock released', async (_name, approver, error) => {
    const result = await run('rds-maintenance', input, { approver });
    expect(outcome(result)).toEqual({ status: 'FAILED', error });
    expect(result.changes).toEqual([]);
    expect(instance(result)).toMatchObject({ engineVersion: '15.4' });
    expect(result.account.locks).toEqual([]);
  });

  it('fails with LockHeld while a restore holds the database, and changes nothing', async () => {
    const result = await run('rds-maintenance', input, { scenario: 'database-lock-held' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'LockHeld' });
    expect(result.changes).toEqual([]);
    expect(result.account.locks).toEqual([expect.objectContaining({ procedure: 'db-restore' })]);
  });

  it('fails with InvalidInput naming the field, and changes nothing', async () => {
    for (const [bad, field] of [
      [noVersion, 'engineVersion'],
      [{ ...input, apply: 'tonight' }, 'apply'],
      [{ ...input, database: 'constructor' }, 'database'],
      [null, '(input)'],
    ] as const) {
      const result = await run('rds-maintenance', bad);
      expect(result.error, JSON.stringify(bad)).toBe('InvalidInput');
      expect(result.cause).toContain(`${field}:`);
      expect(result.changes).toEqual([]);
      expect(result.account.locks).toEqual([]);
    }
  });
});
