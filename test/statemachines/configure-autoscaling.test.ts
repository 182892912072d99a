// Every path of the configure-autoscaling state machine, executed by the local engine on the
// synthesized definition against the simulated account: what the account's auto scaling ends as,
// what is announced, and what changed.
import { beforeAll, describe, expect, it } from 'vitest';
import type { AutoScalingReport } from '../../tasks/configure-autoscaling/read-autoscaling.ts';
import { changes, config, definitionsOnce, example, run } from './support.ts';

const input = example('configure-autoscaling');
const APP = 'service/enterprise-prod-cluster/app-service';
const POLICY = {
  name: 'runbook-target-tracking',
  metric: 'ECSServiceAverageCPUUtilization',
  targetValue: 70,
  scaleInCooldown: 300,
  scaleOutCooldown: 60,
  disableScaleIn: false,
};
const AS_CONFIGURED = [{ resourceId: APP, min: 2, max: 10, suspended: false, policies: [POLICY] }];

beforeAll(() => {
  definitionsOnce();
});

type Result = Awaited<ReturnType<typeof run>>;
const outcome = (result: Result) => ({ status: result.status, error: result.error });
const successDetail = (result: Result) =>
  (
    result.events.find((e) => e.state === 'Notify Success' && e.kind === 'scheduled')?.input as
      | { detail?: string }
      | undefined
  )?.detail;

describe('configure-autoscaling', () => {
  it('from nothing: registers the target and puts the policy, reads them back, releases the lock', async () => {
    const result = await run('configure-autoscaling', input);
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(result.account.scalableTargets).toEqual(AS_CONFIGURED);
    expect(changes(result)).toEqual([
      `autoscaling:RegisterScalableTarget:${APP}`,
      `autoscaling:PutScalingPolicy:${APP}`,
    ]);
    expect(result.account.locks).toEqual([]);
    expect(successDetail(result)).toMatch(/^Applied, was: .*scalable target none -> min 2, max 10/);
  });

  it('a second run with the same config changes nothing and says so', async () => {
    const result = await run('configure-autoscaling', input, { scenario: 'autoscaling-in-sync' });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(changes(result)).toEqual([]);
    expect(successDetail(result)).toMatch(
      /^Nothing to change: app-service's auto scaling is as the config says/,
    );
  });

  it('after a config change: before -> after, and only what differs is applied', async () => {
    const result = await run('configure-autoscaling', input, { scenario: 'autoscaling-drifted' });
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    expect(result.account.scalableTargets).toEqual(AS_CONFIGURED);
    expect(result.changes.map((c) => c.detail)).toEqual([
      'scalable target min 2, max 10',
      'policy runbook-target-tracking: TargetTrackingScaling at 70',
    ]);
    expect(successDetail(result)).toMatch(/minimum capacity 3 -> 2; target \(%\) 60 -> 70/);
  });

  it('check mode: reports the drift as the output and announces it; changes nothing, takes no lock', async () => {
    const result = await run(
      'configure-autoscaling',
      { ...input, check: true },
      { scenario: 'autoscaling-drifted' },
    );
    expect(outcome(result)).toEqual({ status: 'SUCCEEDED', error: null });
    const report = result.output as AutoScalingReport;
    expect(report.inSync).toBe(false);
    expect(report.differences).toEqual([
      { what: 'minimum capacity', before: '3', after: '2' },
      { what: 'target (%)', before: '60', after: '70' },
    ]);
    expect(changes(result)).toEqual([]);
    expect(result.events.some((e) => e.state === 'Acquire Lock')).toBe(false);
    expect(result.account.notifications.map((n) => [n.event, n.severity, n.subject])).toEqual([
      ['drift', 'warning', '[WARNING] configure-autoscaling: 2 differences from the config'],
    ]);
    // In sync: nothing announced
    const quiet = await run(
      'configure-autoscaling',
      { ...input, check: true },
      { scenario: 'autoscaling-in-sync' },
    );
    expect((quiet.output as AutoScalingReport).inSync).toBe(true);
    expect(quiet.account.notifications).toEqual([]);
  });

  it('bounds that would move the count now are refused: scale it first', async () => {
    // Given a config whose maximum (2) is below the 3 tasks the app runs
    const prod = config.environments.prod;
    const app = prod?.services.app;
    if (!prod || !app) throw new Error('no prod app');
    const smaller = {
      ...config,
      environments: {
        ...config.environments,
        prod: {
          ...prod,
          services: {
            ...prod.services,
            app: { ...app, autoScaling: { ...app.autoScaling, min: 2, max: 2 } },
          },
        },
      },
    } as typeof config;
    const result = await run('configure-autoscaling', input, { config: smaller });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'PreflightFailed' });
    expect(result.cause).toMatch(
      /runs 3 tasks \(desired\), outside the bounds the config gives it \(min 2, max 2\)/,
    );
    expect(changes(result)).toEqual([]);
  });

  it('a refused policy: the target it registered is deregistered again; AutoScalingNotApplied, announced', async () => {
    const result = await run('configure-autoscaling', input, { scenario: 'policy-refused' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'AutoScalingNotApplied' });
    expect(result.account.scalableTargets).toEqual([]);
    expect(changes(result)).toEqual([
      `autoscaling:RegisterScalableTarget:${APP}`,
      `autoscaling:DeregisterScalableTarget:${APP}`,
    ]);
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([
      ['rolled-back', 'warning'],
    ]);
    expect(result.account.locks).toEqual([]);
  });

  it('a refused policy on a drifted target: the old bounds and policy are put back', async () => {
    const result = await run('configure-autoscaling', input, {
      scenario: 'autoscaling-drifted',
      faults: {
        autoscaling: { scalableTarget: { min: 3, max: 10, cpuTargetPercent: 60 } },
        outage: {
          calls: /^autoscaling:PutScalingPolicy$/,
          only: (i) =>
            (i as { TargetTrackingScalingPolicyConfiguration?: { TargetValue?: number } })
              .TargetTrackingScalingPolicyConfiguration?.TargetValue === 70,
          error: 'ValidationException',
          message: 'refused',
        },
      },
    });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'AutoScalingNotApplied' });
    expect(result.account.scalableTargets).toEqual([
      { resourceId: APP, min: 3, max: 10, suspended: false, policies: [{ ...POLICY, targetValue: 60 }] },
    ]);
    // Put back from what the change left: the bounds set back; the policy, never changed, not sent again
    expect(result.changes.map((c) => c.detail)).toEqual([
      'scalable target min 2, max 10',
      'scalable target min 3, max 10',
    ]);
  });

  it('put-back-fails: pages, RollbackFailed, the lock released', async () => {
    const result = await run('configure-autoscaling', input, { scenario: 'put-back-fails' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
    expect(result.account.notifications.map((n) => [n.event, n.severity])).toEqual([
      ['rollback-failed', 'page'],
    ]);
    expect(result.cause).toMatch(/may be half changed/);
    expect(result.account.locks).toEqual([]);
  });

  it("foreign-policy: someone else's policy of the runbook's name is refused before any change", async () => {
    const result = await run('configure-autoscaling', input, { scenario: 'foreign-policy' });
    expect(outcome(result)).toEqual({ status: 'FAILED', error: 'PreflightFailed' });
    expect(changes(result)).toEqual([]);
  });

  it('lock-held and a service without autoScaling change nothing', async () => {
    const held = await run('configure-autoscaling', input, { scenario: 'lock-held' });
    expect(outcome(held)).toEqual({ status: 'FAILED', error: 'LockHeld' });
    const dev = await run('configure-autoscaling', {
      ...input,
      environment: 'dev',
      changeRequest: undefined,
    });
    expect(outcome(dev)).toEqual({ status: 'FAILED', error: 'InvalidInput' });
    expect(dev.cause).toMatch(/service: app has no autoScaling/);
    expect([...changes(held), ...changes(dev)]).toEqual([]);
  });
});
