// Every path of the scale-service state machine, executed by the local engine on the synthesized
// definition against the simulated account: the count it ends with, the scaler's bounds, what is
// announced, what is locked, and what changed.
import { beforeAll, describe, expect, it } from 'vitest';
import { HEALTHY_TASKS } from '../../rehearsal/account/ecs.ts';
import { changes, config, definitionsOnce, example, run, scenarioFaults, service } from './support.ts';

const input = example('scale-service');
const scaleDown = { ...input, desiredCount: 2, reason: 'The launch is over' };
const APP = 'service/enterprise-prod-cluster/app-service';

beforeAll(() => {
  definitionsOnce();
});

type Result = Awaited<ReturnType<typeof run>>;
const app = (result: Result) => service(result, 'app-service');
const outcome = (result: Result) => ({ status: result.status, error: result.error });
const notices = (result: Result) => result.account.notifications.map((n) => n.event);

describe('scale-service', () => {
  it('scales 3 to 6 and waits until all six run with healthy targets; the lock is released, success announced', async () => {
    const result = await run('scale-service', input);
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(app(result)).toMatchObject({ desiredCount: 6, runningCount: 6, rolloutState: 'COMPLETED' });
    // One change: the count, no new deployment (the same task definition)
    expect(changes(result)).toEqual(['ecs:UpdateService:app-service']);
    expect(app(result).taskDefinition).toMatch(/prod-app:41$/);
    expect(result.account.locks).toEqual([]);
    expect(notices(result)).toEqual(['succeeded']);
    const polls = result.events.filter((e) => e.state === 'Check Scale' && e.kind === 'task-succeeded');
    expect(polls.length).toBeGreaterThan(1);
    expect(result.account.scalableTargets).toEqual([]);
  });

  it("scaler-holds: raises the scalable target's minimum to the new count first, and the scaler keeps it", async () => {
    const result = await run('scale-service', input, { scenario: 'scaler-holds' });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)).toEqual([
      `autoscaling:RegisterScalableTarget:${APP}`,
      'ecs:UpdateService:app-service',
    ]);
    expect(result.account.scalableTargets.map(({ min, max }) => ({ min, max }))).toEqual([
      { min: 6, max: 10 },
    ]);
    expect(app(result)).toMatchObject({ desiredCount: 6, runningCount: 6 });
    // The notice says the bounds stay moved, and how to set them back
    expect(result.cause ?? '').toBe('');
    expect(
      result.events.find((e) => e.state === 'Notify Success' && e.kind === 'scheduled')?.input,
    ).toMatchObject({
      detail: expect.stringMatching(/to min 6, max 10 .*stays so after the run: set it back/),
    });
    // The new minimum brought the count to 6 at once; the scaler never took it back to 3
    expect(
      result.moments.filter((m) => m.kind === 'scaled').map((m) => m.kind === 'scaled' && [m.from, m.to]),
    ).toEqual([[3, 6]]);
  });

  it('a bound Application Auto Scaling refuses: the count is never set, the run fails ScalingFailed, bounds as before', async () => {
    const result = await run('scale-service', input, {
      scenario: 'scaler-holds',
      faults: {
        autoscaling: { scalableTarget: { min: 3, max: 10 } },
        outage: {
          calls: /^autoscaling:RegisterScalableTarget$/,
          only: (i) => i.MinCapacity === 6,
          error: 'ValidationException',
          message: 'refused',
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'ScalingFailed' });
    expect(result.cause).toMatch(/after ValidationException: refused/);
    // Put back: the bounds as they were, and the count (which never moved) set to its baseline again
    expect(changes(result)).toEqual([
      `autoscaling:RegisterScalableTarget:${APP}`,
      'ecs:UpdateService:app-service',
    ]);
    expect(result.changes.map((c) => c.detail)).toEqual(['scalable target min 3, max 10', 'desiredCount 3']);
    expect(app(result).desiredCount).toBe(3);
    expect(result.account.scalableTargets.map(({ min, max }) => ({ min, max }))).toEqual([
      { min: 3, max: 10 },
    ]);
  });

  it('scale-down-approved: asks an approval for a third of the tasks, then scales to 2', async () => {
    const result = await run('scale-service', scaleDown);
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(result.events.some((e) => e.state === 'Wait For Approval')).toBe(true);
    expect(app(result)).toMatchObject({ desiredCount: 2, runningCount: 2 });
    expect(notices(result)).toEqual(['approval-needed', 'succeeded']);
  });

  it('a scale-down within the fraction, or a scale-up, asks no approval', async () => {
    const up = await run('scale-service', input);
    expect(up.events.some((e) => e.state === 'Wait For Approval')).toBe(false);
    // From 6 to 5 is a sixth, within production's quarter
    const prod = config.environments.prod;
    if (!prod) throw new Error('no prod');
    const relaxed = {
      ...config,
      environments: {
        ...config.environments,
        prod: { ...prod, policy: { ...prod.policy, scaleDownApprovalFraction: 0.5 } },
      },
    };
    const down = await run('scale-service', scaleDown, { config: relaxed });
    expect(outcome(down)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(down.events.some((e) => e.state === 'Wait For Approval')).toBe(false);
  });

  it('scaler-follows: the scaler takes the held count on to 8, which is done, not a failure', async () => {
    const result = await run('scale-service', input, { scenario: 'scaler-follows' });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(app(result)).toMatchObject({ desiredCount: 8, runningCount: 8 });
    expect(
      result.moments.filter((m) => m.kind === 'scaled').map((m) => m.kind === 'scaled' && m.to),
    ).toContain(8);
    expect(
      result.events.find((e) => e.state === 'Notify Success' && e.kind === 'scheduled')?.input,
    ).toMatchObject({
      detail: expect.stringMatching(/it runs 8 tasks now/),
    });
  });

  it('stale-approval: the scaler moved the count while the approval was pending: stops before any change', async () => {
    const result = await run('scale-service', scaleDown, { scenario: 'scaler-moves' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'PreflightFailed' });
    expect(result.cause).toMatch(/approved from 3 tasks .* now wants 5/);
    expect(changes(result)).toEqual([]);
    expect(result.account.locks).toEqual([]);
  });

  it('a failed scale on a service without a circuit breaker is put back, not paged', async () => {
    const result = await run('scale-service', input, {
      scenario: 'scale-no-capacity',
      faults: {
        ecs: {
          ...scenarioFaults('scale-no-capacity').ecs,
          tasks: () => HEALTHY_TASKS,
          noCircuitBreaker: true,
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'ScalingFailed' });
    expect(app(result)).toMatchObject({ desiredCount: 3, runningCount: 3 });
  });

  it.each([
    ['reject', 'ApprovalRejected'],
    ['expire', 'ApprovalExpired'],
  ] as const)('scale-down, approval %s: nothing changes, the lock is released', async (approver, error) => {
    const result = await run('scale-service', scaleDown, { approver });
    expect(outcome(result)).toEqual({ status: 'FAILED', error });
    expect(changes(result)).toEqual([]);
    expect(app(result).desiredCount).toBe(3);
    expect(result.account.locks).toEqual([]);
  });

  it('no-capacity: the scale does not settle; the count is put back to 3 and the run fails ScalingFailed, announced', async () => {
    const result = await run('scale-service', input, { scenario: 'no-capacity', faults: undefined });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'ScalingFailed' });
    expect(result.cause).toMatch(
      /^scale-service of app in prod was rolled back after DeploymentTimedOut: .*3 of 6 running.*app-service is back at 3 tasks/,
    );
    expect(changes(result)).toEqual(['ecs:UpdateService:app-service', 'ecs:UpdateService:app-service']);
    expect(app(result)).toMatchObject({ desiredCount: 3, runningCount: 3 });
    expect(result.account.locks).toEqual([]);
    expect(notices(result)).toEqual(['rolled-back']);
  });

  it('a failed scale with a scaler puts its bounds back too', async () => {
    const result = await run('scale-service', input, {
      scenario: 'scaler-no-capacity',
      faults: {
        autoscaling: { scalableTarget: { min: 3, max: 10 } },
        ecs: {
          tasks: () => ({ startSeconds: 45, outcome: 'runs', health: 'healthy', healthSeconds: 30 }),
          roomForTasks: 3,
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'ScalingFailed' });
    expect(result.account.scalableTargets.map(({ min, max }) => ({ min, max }))).toEqual([
      { min: 3, max: 10 },
    ]);
    expect(app(result).desiredCount).toBe(3);
  });

  it('restore-fails: putting it back fails too: pages, fails RollbackFailed, releases the lock', async () => {
    const result = await run('scale-service', input, { scenario: 'scale-restore-fails' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
    expect(result.cause).toMatch(
      /asked to run 6 tasks and did not settle \(DeploymentTimedOut\); putting it back to 3 tasks was refused or did not settle either/,
    );
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([
      ['rollback-failed', 'page'],
    ]);
    expect(result.account.locks).toEqual([]);
  });

  it('service-deleted: PreflightFailed before any change', async () => {
    const result = await run('scale-service', input, { scenario: 'service-deleted' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'PreflightFailed' });
    expect(changes(result)).toEqual([]);
    expect(result.account.locks).toEqual([]);
  });

  it('lock-held: LockHeld, nothing changed, the other run keeps its lock', async () => {
    const result = await run('scale-service', input, { scenario: 'lock-held' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'LockHeld' });
    expect(changes(result)).toEqual([]);
    expect(result.account.locks.map((l) => l.procedure)).toEqual([
      'production-deployment',
      'production-deployment',
    ]);
  });

  it('out of bounds: InvalidInput naming desiredCount, no lock taken', async () => {
    const result = await run('scale-service', { ...input, desiredCount: 12 });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'InvalidInput' });
    expect(result.cause).toMatch(/desiredCount: must be between 2 and 10 for app/);
    expect(result.events.some((e) => e.state === 'Acquire Lock')).toBe(false);
  });

  it('the count it already has: nothing changes, success says so', async () => {
    const result = await run('scale-service', { ...input, desiredCount: 3 });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)).toEqual([]);
    expect(result.events.some((e) => e.state === 'Nothing To Change')).toBe(true);
    expect(result.account.notifications.map((n) => n.event)).toEqual(['succeeded']);
  });
});
