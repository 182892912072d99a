// Every path of production-deployment, executed by the local engine on the synthesized definition
// against the simulated account: terminal status, error name, and the account's final state.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../rehearsal/types.ts';
import {
  BASELINE,
  changes,
  config,
  definitionsOnce,
  example,
  PREVIOUS,
  RELEASE,
  run,
  scenarioFaults,
  service,
} from './support.ts';

const input = example('production-deployment');
const prodConfig = () => {
  const prod = config.environments.prod;
  if (!prod) throw new Error('the example config has no prod');
  return prod;
};

beforeAll(() => {
  definitionsOnce();
});

describe('production-deployment succeeds', () => {
  it.each(['happy', 'slow-rollout', 'throttling'])(
    '%s: the service ends on the new task definition, snapshot available, lock released',
    async (scenario) => {
      // Given the example input and the scenario
      // When
      const result = await run('production-deployment', input, { scenario });
      // Then
      expect({ status: result.status, error: result.error, cause: result.cause }).toEqual({
        status: 'SUCCEEDED',
        error: null,
        cause: null,
      });
      expect(service(result, 'app-service')).toMatchObject({
        taskDefinition: RELEASE,
        desiredCount: 3,
        runningCount: 3,
        rolloutState: 'COMPLETED',
        // The deployment kept the service's circuit breaker (ECS may replace what UpdateService sends)
        circuitBreaker: { enable: true, rollback: false },
      });
      expect(service(result, 'app-service').images[0]).toBe(input.image);
      expect(result.account.dbSnapshots).toEqual([
        expect.objectContaining({ dbInstance: 'enterprise-prod-db', status: 'available' }),
      ]);
      expect(changes(result)).toEqual([
        'rds:CreateDBSnapshot:enterprise-prod-db',
        'ecs:RegisterTaskDefinition:prod-app',
        'ecs:UpdateService:app-service',
      ]);
      expect(result.account.locks).toEqual([]);
      expect(result.account.knownGood).toContainEqual({
        key: 'ecs:enterprise-prod-cluster/app-service',
        taskDefinition: RELEASE,
        previous: BASELINE,
      });
      expect(result.account.notifications.map((n) => n.event)).toEqual([
        'started',
        'approval-needed',
        'succeeded',
      ]);
      const targets =
        result.account.targetGroups.find((t) => t.targetGroupArn.includes('enterprise-prod-app'))?.targets ??
        [];
      expect(targets.filter((t) => t.state === 'healthy')).toHaveLength(3);
    },
  );

  it('slow-rollout takes longer on the same clock and stays within its budgets', async () => {
    // When
    const [fast, slow] = await Promise.all([
      run('production-deployment', input),
      run('production-deployment', input, { scenario: 'slow-rollout' }),
    ]);
    // Then
    expect(slow.status).toBe('SUCCEEDED');
    expect(slow.durationSeconds).toBeGreaterThan(fast.durationSeconds + 10 * 60);
  });

  it('throttling: describe calls are throttled and the state machine retries them', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'throttling' });
    // Then
    const retries = result.events.filter((e) => e.kind === 'retried');
    expect(retries.length).toBeGreaterThan(2);
    const failed = result.events.filter((e) => e.kind === 'failed' && e.error === 'TransientAwsError');
    expect(failed.length).toBe(retries.length);
    expect(result.status).toBe('SUCCEEDED');
  });

  it('a non-production environment runs the same machine with its lighter gates: no approval, no snapshot, a tag allowed', async () => {
    // Given
    const dev = {
      environment: 'dev',
      service: 'app',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2026.11.30',
    };
    // When
    const result = await run('production-deployment', dev);
    // Then
    expect(result.status).toBe('SUCCEEDED');
    expect(changes(result)).toEqual(['ecs:RegisterTaskDefinition:dev-app', 'ecs:UpdateService:app']);
    expect(result.account.dbSnapshots).toEqual([]);
    expect(result.account.notifications.map((n) => n.event)).not.toContain('approval-needed');
    expect(service(result, 'app')).toMatchObject({
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/dev-app:42',
      runningCount: 3,
    });
  });

  it('a task definition ARN is deployed as given, without registering a revision', async () => {
    // Given
    const byArn = {
      environment: 'prod',
      service: 'app',
      taskDefinition: BASELINE,
      changeRequest: 'CHG-1043',
    };
    // When
    const result = await run('production-deployment', byArn);
    // Then
    expect(result.status).toBe('SUCCEEDED');
    expect(changes(result)).toEqual([
      'rds:CreateDBSnapshot:enterprise-prod-db',
      'ecs:UpdateService:app-service',
    ]);
  });

  it('the maintenance page is shown during the rollout and hidden afterwards', async () => {
    // When
    const result = await run('production-deployment', { ...input, maintenancePage: true });
    // Then
    expect(result.status).toBe('SUCCEEDED');
    expect(result.changes.filter((c) => c.target === 'maintenance-page').map((c) => c.detail)).toEqual([
      'desiredCount 1',
      'desiredCount 0',
    ]);
    expect(service(result, 'maintenance-page')).toMatchObject({ desiredCount: 0, runningCount: 0 });
    expect(changes(result).indexOf('ecs:UpdateService:maintenance-page')).toBeLessThan(
      changes(result).indexOf('ecs:UpdateService:app-service'),
    );
  });
});

describe('production-deployment on ECS as it behaves behind a load balancer', () => {
  /** What each rollout check answered: "IN_PROGRESS 3/3" (rollout state, healthy new targets of desired). */
  const rolloutChecks = (result: Awaited<ReturnType<typeof run>>) =>
    result.events
      .filter((e) => e.depth === 0 && e.kind === 'exited' && e.state === 'Check Rollout')
      .map((e) => {
        const r = (e.output as { rollout?: { rolloutState: string; healthy: number; desired: number } })
          .rollout;
        return { at: e.at, detail: `${r?.rolloutState} ${r?.healthy}/${r?.desired}` };
      });
  const instanceConfig = () => {
    const copy = structuredClone(config);
    const app = copy.environments.prod?.services.app;
    if (!app) throw new Error('the example config has no prod app');
    app.targetType = 'instance';
    return copy;
  };

  it('happy: waits while the old tasks drain for the deregistration delay after the new targets are healthy', async () => {
    // When
    const result = await run('production-deployment', input);
    // Then the rollout check saw the new targets healthy, the rollout still IN_PROGRESS (old targets
    // draining), for about the 300 s delay, before ECS completed it
    const checks = rolloutChecks(result);
    const draining = checks.filter((e) => e.detail === 'IN_PROGRESS 3/3');
    const completed = checks.find((e) => e.detail === 'COMPLETED 3/3');
    expect(draining.length).toBeGreaterThan(0);
    expect(completed).toBeDefined();
    expect((completed?.at ?? 0) - (draining[0]?.at ?? 0)).toBeGreaterThanOrEqual(280);
    expect(result.status).toBe('SUCCEEDED');
  });

  it('unhealthy-targets: the run waits out the health-check grace period, as ECS does, then rolls back', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'unhealthy-targets' });
    // Then nothing failed the rollout within the 300 s grace period counted from the tasks' start
    // (45 s after the update): the old tasks kept serving; past it, ECS failed the tasks (its
    // breaker) and the run's next poll rolled back
    const updated = result.changes.find((c) => c.action === 'UpdateService');
    const failed = result.events.find((e) => e.depth === 0 && e.kind === 'caught');
    expect(failed?.state).toBe('Check Rollout');
    expect((failed?.at ?? 0) - (updated?.at ?? 0)).toBeGreaterThanOrEqual(45 + 300);
    expect((failed?.at ?? 0) - (updated?.at ?? 0)).toBeLessThanOrEqual(45 + 300 + 20);
    expect(result.cause).toContain('rolled back after DeploymentFailed:');
    const unhealthy = result.moments.find((m) => m.kind === 'targets-unhealthy');
    expect((unhealthy?.at ?? 0) - (updated?.at ?? 0)).toBeGreaterThanOrEqual(45 + 300);
    expect(service(result, 'app-service')).toMatchObject({
      taskDefinition: BASELINE,
      rolloutState: 'COMPLETED',
    });
  });

  it.each([
    ['happy', 'SUCCEEDED', null, RELEASE],
    ['unhealthy-targets', 'FAILED', 'DeploymentRolledBack', BASELINE],
  ])(
    'with an instance target group (bridge networking), %s ends %s',
    async (scenario, status, error, taskDefinition) => {
      // Given the service behind an instance target group
      const withInstances = instanceConfig();
      // When
      const result = await run('production-deployment', input, { scenario, config: withInstances });
      // Then the run read the targets by instance and host port, and ended as on an ip target group
      expect({ status: result.status, error: result.error }).toEqual({ status, error });
      expect(service(result, 'app-service')).toMatchObject({ taskDefinition, runningCount: 3 });
      const group = result.account.targetGroups.find((t) => t.targetGroupArn.includes('enterprise-prod-app'));
      expect(group?.targetType).toBe('instance');
      expect(group?.targets.filter((t) => t.state === 'healthy').every((t) => t.id.startsWith('i-0'))).toBe(
        true,
      );
      if (scenario === 'happy') expect(rolloutChecks(result).at(-1)?.detail).toBe('COMPLETED 3/3');
      else expect(result.cause).toContain('rolled back after DeploymentFailed:');
    },
  );
});

describe('production-deployment stopped during its rollback, and redriven', () => {
  it('hands its lock over again (the abandoned-run rule released it), and the rollback restores the service', async () => {
    // Given a release that crash-loops, so the deployment rolls back; a person stops the deployment
    // as its rollback is about to restore the service (the nested rollback is stopped with it), and
    // redrives it: it resumes at Roll Back, with the token of the first attempt
    const result = await run('production-deployment', input, {
      scenario: 'crash-loop',
      stop: { atState: 'Restore Service', redrive: true },
    });
    // Then the stop ended both runs, the rule released the deployment's lock and paged
    const finished = result.events.filter((e) => e.kind === 'finished').map((e) => `${e.depth} ${e.detail}`);
    expect(finished.slice(0, 2).sort()).toEqual(['0 ABORTED', '1 ABORTED']);
    expect(
      result.events.some((e) => e.kind === 'abandoned' && e.depth === 0 && e.detail?.includes('lock')),
    ).toBe(true);
    // and the redriven run's first rollback could not join the released lock; it took the lock
    // again, handed it over, and its second rollback restored the baseline
    const states = result.events.filter((e) => e.depth === 0 && e.kind === 'entered').map((e) => e.state);
    expect(states).toEqual(expect.arrayContaining(['Hand Over Lock Again', 'Roll Back Again']));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DeploymentRolledBack');
    expect(service(result, 'app-service')).toMatchObject({
      taskDefinition: BASELINE,
      desiredCount: 3,
      runningCount: 3,
      rolloutState: 'COMPLETED',
    });
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.at(-1)).toMatchObject({ event: 'rolled-back' });
  });

  it('pages, and changes nothing more, when another run took the service while it was stopped', async () => {
    // Given the same stop; before the redrive, another run takes the released lock. The redrive
    // cannot take it back: the deployment fails RollbackFailed, the other run's lock untouched.
    const result = await run('production-deployment', input, {
      scenario: 'crash-loop',
      stop: {
        atState: 'Restore Service',
        redrive: true,
        beforeRedrive: (account) =>
          account.service('dynamodb').putItem({
            TableName: definitionsOnce().table,
            Item: {
              pk: { S: 'ecs:enterprise-prod-cluster/app-service' },
              owner: { S: 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:by-hand' },
              procedure: { S: 'rollback' },
              acquiredAt: { S: '2026-12-02T08:00:00Z' },
              expiresAt: { N: String(Math.floor(Date.now() / 1000) + 86_400 * 365) },
            },
          }),
      },
    });
    // Then
    expect(result.error).toBe('RollbackFailed');
    const states = result.events.filter((e) => e.depth === 0 && e.kind === 'entered').map((e) => e.state);
    expect(states).toContain('Hand Over Lock Again');
    expect(states).not.toContain('Roll Back Again');
    expect(result.account.locks).toEqual([
      expect.objectContaining({
        owner: 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:by-hand',
      }),
    ]);
  });
});

describe('production-deployment keeps the pre-deploy snapshots within their retention', () => {
  it('snapshot-retention: deletes the runbook’s own snapshots past the newest 20, each a change, never a person’s', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'snapshot-retention' });
    // Then
    expect(result.status).toBe('SUCCEEDED');
    const deletions = result.changes.filter((c) => c.action === 'DeleteDBSnapshot');
    // 30 earlier + this run's = 31 of the runbook's; the newest 20 stay: the 11 oldest (60 to 90 days) go
    expect(deletions.map((c) => c.detail.split(' ')[2])).toEqual(
      [90, 87, 84, 81, 78, 75, 72, 69, 66, 63, 60].map((d) => `pre-deploy-app-earlier-0${d}d`),
    );
    expect(deletions.every((c) => c.target === 'enterprise-prod-db')).toBe(true);
    const left = result.account.dbSnapshots.map((s) => s.id);
    expect(left).toHaveLength(31 + 4 - 11);
    expect(left.filter((id) => id.startsWith('app-by-hand-'))).toHaveLength(4);
    expect(left).toContain(result.changes.find((c) => c.action === 'CreateDBSnapshot')?.detail.split(' ')[1]);
    expect(result.events.find((e) => e.kind === 'exited' && e.state === 'Prune Snapshots')).toBeDefined();
  });

  it('happy: the retention runs and finds nothing to delete', async () => {
    // When
    const result = await run('production-deployment', input);
    // Then
    const pruned = result.events.find((e) => e.kind === 'exited' && e.state === 'Prune Snapshots');
    expect(pruned?.output).toMatchObject({ pruned: { deleted: [], kept: 1, left: 0 } });
    expect(changes(result).filter((c) => c.startsWith('rds:DeleteDBSnapshot'))).toEqual([]);
  });

  it('a retention that fails does not fail the deployment: the run succeeds and keeps the error', async () => {
    // Given RDS refusing every deletion with an internal error
    const faults = {
      ...scenarioFaults('snapshot-retention'),
      outage: { calls: /^rds:DeleteDBSnapshot$/, error: 'InternalFailure', message: 'internal failure' },
    };
    // When
    const result = await run('production-deployment', input, { scenario: 'snapshot-retention', faults });
    // Then
    expect(result.status).toBe('SUCCEEDED');
    expect(changes(result).filter((c) => c.startsWith('rds:DeleteDBSnapshot'))).toEqual([]);
    expect(result.events.find((e) => e.kind === 'caught' && e.state === 'Prune Snapshots')).toBeDefined();
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.at(-1)?.event).toBe('succeeded');
  });

  it('retention null (turned off) deletes nothing, though CDK drops nulls from the definition it embeds', async () => {
    // Given a config whose retention is turned off for prod
    const noRetention = structuredClone(config);
    const prod = noRetention.environments.prod;
    if (!prod) throw new Error('no prod');
    prod.policy.snapshotRetention = null;
    // When
    const result = await run('production-deployment', input, {
      scenario: 'snapshot-retention',
      config: noRetention,
    });
    // Then no snapshot is deleted, and the step does not run
    expect(result.status).toBe('SUCCEEDED');
    expect(changes(result).filter((c) => c.startsWith('rds:DeleteDBSnapshot'))).toEqual([]);
    expect(result.events.some((e) => e.state === 'Prune Snapshots')).toBe(false);
  });
});

describe('production-deployment rolls back', () => {
  it.each([
    ['crash-loop', 'DeploymentFailed'],
    ['unhealthy-targets', 'DeploymentFailed'],
    ['alarm-during-bake', 'AlarmDuringBake'],
    ['ecs-auto-rollback', 'EcsRolledBack'],
  ])(
    '%s: fails with DeploymentRolledBack after %s, the service back on the previous task definition, healthy',
    async (scenario, cause) => {
      // When
      const result = await run('production-deployment', input, { scenario });
      // Then
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('DeploymentRolledBack');
      expect(result.cause).toContain(`rolled back after ${cause}:`);
      expect(service(result, 'app-service')).toMatchObject({
        taskDefinition: BASELINE,
        desiredCount: 3,
        runningCount: 3,
        rolloutState: 'COMPLETED',
      });
      const targets =
        result.account.targetGroups.find((t) => t.targetGroupArn.includes('enterprise-prod-app'))?.targets ??
        [];
      expect(targets.filter((t) => t.state === 'healthy')).toHaveLength(3);
      expect(result.account.dbSnapshots).toEqual([expect.objectContaining({ status: 'available' })]);
      expect(result.account.locks).toEqual([]);
      expect(result.account.notifications.at(-1)).toMatchObject({
        event: 'rolled-back',
        severity: 'warning',
      });
      expect(
        result.events.some((e) => e.depth === 1 && e.kind === 'finished' && e.detail === 'SUCCEEDED'),
      ).toBe(true);
    },
  );

  it('a deployment that changed the desired count rolls back to the baseline count too', async () => {
    // Given a release that also scales the service from 3 to 5 tasks, and whose tasks crash
    // When
    const result = await run(
      'production-deployment',
      { ...input, desiredCount: 5 },
      { scenario: 'crash-loop' },
    );
    // Then the rollback restores the baseline's task definition and its count, not the new one
    expect(result.error).toBe('DeploymentRolledBack');
    expect(service(result, 'app-service')).toMatchObject({
      taskDefinition: BASELINE,
      desiredCount: 3,
      runningCount: 3,
    });
    expect(result.changes.filter((c) => c.action === 'UpdateService').map((c) => c.detail)).toEqual([
      'taskDefinition prod-app:42, desiredCount 5',
      'taskDefinition prod-app:41, desiredCount 3',
    ]);
  });

  it('stuck-rollout: fails with DeploymentRolledBack after DeploymentTimedOut, within the poll budget', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'stuck-rollout' });
    // Then
    expect(result.error).toBe('DeploymentRolledBack');
    expect(result.cause).toContain(
      'rolled back after DeploymentTimedOut: rollout to app-service did not complete within 80 polls',
    );
    expect(service(result, 'app-service')).toMatchObject({ taskDefinition: BASELINE, runningCount: 3 });
  });

  it('with the maintenance page on, the rollback also switches it off', async () => {
    // When
    const result = await run(
      'production-deployment',
      { ...input, maintenancePage: true },
      { scenario: 'crash-loop' },
    );
    // Then
    expect(result.error).toBe('DeploymentRolledBack');
    expect(service(result, 'maintenance-page')).toMatchObject({ desiredCount: 0, runningCount: 0 });
  });

  it('rollback-fails: fails with RollbackFailed and pages', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'rollback-fails' });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RollbackFailed');
    expect(result.cause).toContain('needs a person now');
    expect(result.account.notifications.filter((n) => n.severity === 'page')).toHaveLength(1);
    expect(result.account.locks).toEqual([]);
    expect(result.account.dbSnapshots).toEqual([expect.objectContaining({ status: 'available' })]);
  });
});

describe('production-deployment stops before changing the service', () => {
  it('snapshot-quota: fails with SnapshotFailed naming the quota, before any change, no snapshot deleted', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'snapshot-quota' });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SnapshotFailed');
    expect(result.cause).toContain("the region's quota of manual DB snapshots is reached");
    expect(result.cause).toContain('Cannot create more than 100 manual snapshots');
    expect(changes(result)).toEqual([]);
    expect(result.account.dbSnapshots).toHaveLength(100);
    expect(service(result, 'app-service')).toMatchObject({ taskDefinition: BASELINE });
    expect(result.account.locks).toEqual([]);
  });

  it('snapshot-fails: fails with SnapshotFailed; the service was never updated; the snapshot is kept', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'snapshot-fails' });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SnapshotFailed');
    expect(changes(result)).toEqual(['rds:CreateDBSnapshot:enterprise-prod-db']);
    expect(service(result, 'app-service').taskDefinition).toBe(BASELINE);
    expect(result.account.dbSnapshots).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(result.account.locks).toEqual([]);
  });

  it('already-alarming: fails with PreflightFailed before anyone is asked, and changes nothing', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'already-alarming' });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PreflightFailed');
    expect(result.cause).toContain('alarms already in ALARM before the deployment: enterprise-prod-app-5xx');
    expect(result.changes).toEqual([]);
    expect(result.account.approvals).toEqual([]);
    expect(result.account.locks).toEqual([]);
  });

  it('a task definition of another family is refused before approval, naming the field', async () => {
    // Given the dev service's task definition offered for prod
    const other = {
      environment: 'prod',
      service: 'app',
      taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/dev-app:41',
      changeRequest: 'CHG-1',
    };
    // When
    const result = await run('production-deployment', other);
    // Then
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('taskDefinition: belongs to family dev-app, not prod-app');
    expect(result.changes).toEqual([]);
    expect(result.account.approvals).toEqual([]);
  });

  it('lock-held: fails with LockHeld, naming the holder, and changes nothing', async () => {
    // When
    const result = await run('production-deployment', input, { scenario: 'lock-held' });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('LockHeld');
    expect(result.cause).toContain('hotfix-2291');
    expect(result.changes).toEqual([]);
    expect(
      result.account.locks.find((l) => l.key === 'ecs:enterprise-prod-cluster/app-service')?.owner,
    ).toContain('hotfix-2291');
  });

  it.each([
    ['reject', 'ApprovalRejected', 'rejected'],
    // Nobody decided: the request stays pending past its expiry (no one may decide it any more).
    ['expire', 'ApprovalExpired', 'pending'],
  ] as const)(
    'approval %s: fails with %s, changes nothing, records the decision',
    async (decision, error, status) => {
      // When
      const result = await run('production-deployment', input, { approver: decision });
      // Then
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe(error);
      expect(result.changes).toEqual([]);
      expect(service(result, 'app-service').taskDefinition).toBe(BASELINE);
      expect(result.account.approvals).toEqual([expect.objectContaining({ target: 'app', status })]);
      expect(result.account.locks).toEqual([]);
    },
  );

  it('counts no decision before CloudTrail says who started the run (delivered 15 minutes after the start)', async () => {
    // When an approver decides five minutes in, and again at twenty
    const result = await run('production-deployment', input, {
      approver: {
        attempts: [
          { as: 'approver', decision: 'approve', afterMinutes: 5 },
          { as: 'approver', decision: 'approve', afterMinutes: 20 },
        ],
      },
    });
    // Then the first is refused as too early, the second counts
    expect(result.status).toBe('SUCCEEDED');
    expect(result.account.approvals).toEqual([
      expect.objectContaining({ status: 'approved', refusals: [expect.stringMatching(/^StarterUnknown: /)] }),
    ]);
  });

  it('approval-notice-fails: the retried gate waits on a token of its own, and the approval reaches that one', async () => {
    // When the approval notice fails once, after the gate recorded its request
    const result = await run('production-deployment', input, { scenario: 'approval-notice-fails' });

    // Then the gate retried, one request followed it and was decided once, and the run deployed
    expect(result.status).toBe('SUCCEEDED');
    const gate = result.events.filter((e) => e.state === 'Wait For Approval');
    expect(gate.filter((e) => e.kind === 'retried')).toHaveLength(1);
    expect(result.account.approvals).toEqual([
      expect.objectContaining({ status: 'approved', decisions: ['approve by approver-1'], refusals: [] }),
    ]);
    expect(changes(result)).toContain('ecs:UpdateService:app-service');
  });

  it('worker-timeout: a read-only step whose function timed out is retried, and the deployment goes on', async () => {
    const result = await run('production-deployment', input, { scenario: 'worker-timeout' });
    expect(result.status).toBe('SUCCEEDED');
    const died = result.events.filter((e) => e.kind === 'failed' && e.error === 'Sandbox.Timedout');
    expect(died).toHaveLength(1);
    const retried = result.events.filter((e) => e.kind === 'retried' && e.state === died[0]?.state);
    expect(retried).toHaveLength(1);
  });

  it('decision-undelivered: a decision Step Functions did not take stays decided and the schedule delivers it', async () => {
    // When Step Functions fails the first SendTaskSuccess
    const result = await run('production-deployment', input, { scenario: 'decision-undelivered' });

    // Then the approval was recorded, said not taken, sent again by the schedule, and the run deployed
    expect(result.status).toBe('SUCCEEDED');
    const notes = result.events.filter((e) => e.kind === 'approval').map((e) => e.detail ?? '');
    expect(notes.some((n) => n.includes('Step Functions did not take it (it is sent again)'))).toBe(true);
    expect(notes).toContain('the decision was sent again by the delivery schedule, and taken');
    expect(result.account.approvals).toEqual([
      expect.objectContaining({ status: 'approved', decisions: ['approve by approver-1'] }),
    ]);
  });

  describe('with two approvals required (M of N)', () => {
    const twoOf = {
      ...config,
      environments: { ...config.environments, prod: { ...prodConfig(), requiredApprovals: 2 } },
    };

    it('deploys only once two different approvers approved, each recorded with their identity', async () => {
      // When
      const result = await run('production-deployment', input, { config: twoOf, approver: 'approve' });
      // Then
      expect(result.status).toBe('SUCCEEDED');
      expect(result.account.approvals).toEqual([
        expect.objectContaining({
          status: 'approved',
          decisions: ['approve by approver-1', 'approve by approver-2'],
          refusals: [],
        }),
      ]);
      const notes = result.events.filter((e) => e.kind === 'approval').map((e) => e.detail ?? '');
      expect(
        notes.some((n) => n.includes('approved by approver-1') && n.includes('1 more approval needed')),
      ).toBe(true);
    });

    it('does not count one approver twice: a double submit is refused, and one approval is not enough', async () => {
      // When the same approver approves twice
      const result = await run('production-deployment', input, {
        config: twoOf,
        approver: {
          attempts: [
            { as: 'approver', decision: 'approve' },
            { as: 'approver', decision: 'approve' },
          ],
        },
      });
      // Then
      expect(result.error).toBe('ApprovalExpired');
      expect(result.changes).toEqual([]);
      expect(result.account.approvals).toEqual([
        expect.objectContaining({
          status: 'pending',
          decisions: ['approve by approver-1'],
          refusals: [
            expect.stringMatching(/^AlreadyDecided: arn:aws:sts::123456789012:assumed-role\/.*\/approver-1$/),
          ],
        }),
      ]);
    });
  });

  it('the approver is shown what changes, from what to what, as the approval worker recorded it', async () => {
    // Given an approver that keeps what it is shown
    const shown: ApprovalRequest[] = [];
    // When
    const result = await run('production-deployment', input, {
      approver: async (request) => {
        shown.push(request);
        return 'approve';
      },
    });
    // Then
    expect(result.status).toBe('SUCCEEDED');
    expect(shown).toEqual([
      {
        approvalId: result.account.approvals[0]?.id,
        expiresAt: result.account.approvals[0]?.expiresAt,
        procedure: 'production-deployment',
        environment: 'prod',
        target: 'app',
        change: `image ${input.image}`,
        from: BASELINE,
        fromDetail: '3 tasks',
        changeRequest: input.changeRequest,
        reason: input.reason,
        requestedBy: input.requestedBy,
        snapshot: expect.stringMatching(/^pre-deploy-app-/),
        summaryHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        rule: {
          approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_ProdDeployApprover_*/*'],
          required: 1,
          neverApprovers: [
            'arn:aws:sts::123456789012:assumed-role/github-actions-deploy/*',
            // the stack's own CI role (config ci)
            'arn:aws:sts::123456789012:assumed-role/Runbook-ci/*',
          ],
        },
      },
    ]);
  });

  it.each([
    ['a decision other than approved', { decision: 'rejected-by-mistake', approver: 'alice' }],
    ['an approval without an approver', { decision: 'approved' }],
    ['an approval whose approver is a number, not a name', { decision: 'approved', approver: 42 }],
    ['an approval whose approver is empty', { decision: 'approved', approver: '' }],
    ['an approval whose approver is blank', { decision: 'approved', approver: '  ' }],
    ['an approval whose approver is two words', { decision: 'approved', approver: 'dana\tsmith' }],
  ])('%s sent as success ends the run as ApprovalRejected and changes nothing', async (_, output) => {
    // When the approval service answers SendTaskSuccess with this output
    const result = await run('production-deployment', input, {
      approver: async () => ({ sendTaskSuccess: output }),
    });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ApprovalRejected');
    expect(result.cause).toContain('not an approval with an approver');
    expect(result.changes).toEqual([]);
    expect(result.account.locks).toEqual([]);
  });

  it.each([
    ['environment', 'constructor'],
    ['service', '__proto__'],
  ])(
    'an input whose %s is %s ends InvalidInput with nothing changed and no lock taken',
    async (field, name) => {
      // Given an input naming a built-in object property instead of a configured name
      // When
      const result = await run('production-deployment', { ...input, [field]: name });
      // Then it never gets past validation
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('InvalidInput');
      expect(result.cause).toContain(`${field}: '${name}' is not configured`);
      expect(result.changes).toEqual([]);
      expect(result.account.locks).toEqual([]);
    },
  );

  it('a rejection with a reason ends as ApprovalRejected, its cause carrying the reason', async () => {
    // When the approver rejects and says why
    const result = await run('production-deployment', input, { approver: { reject: 'the build is red' } });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ApprovalRejected');
    expect(result.cause).toContain(': the build is red; nothing was changed');
    expect(result.account.approvals.map((a) => a.status)).toEqual(['rejected']);
    expect(result.changes).toEqual([]);
  });

  it("an expired approval ends after the environment's approval timeout on the simulated clock", async () => {
    // When
    const result = await run('production-deployment', input, { approver: 'expire' });
    // Then
    expect(result.durationSeconds).toBeGreaterThanOrEqual(60 * 60);
    expect(result.cause).toContain('3600 seconds');
  });

  it('a pending approval is announced again past half its wait, and pages the on-call near its end, once each', async () => {
    // When nobody decides for the whole hour
    const result = await run('production-deployment', input, { approver: 'expire' });
    // Then, within five minutes of 30 and 54 minutes (the schedule's period), one reminder and one page
    const reminders = result.account.notifications.filter((n) => n.event === 'approval-reminder');
    expect(reminders.map((n) => n.severity)).toEqual(['warning', 'page']);
    const notes = result.events.filter((e) => e.kind === 'approval');
    const requested = notes.find((e) => e.detail?.startsWith('requested'))?.at ?? 0;
    const when = (text: string) => (notes.find((e) => e.detail?.includes(text))?.at ?? 0) - requested;
    expect(when('announced again')).toBeGreaterThanOrEqual(30 * 60);
    expect(when('announced again')).toBeLessThan(35 * 60);
    expect(when('the on-call was paged')).toBeGreaterThanOrEqual(54 * 60);
    expect(when('the on-call was paged')).toBeLessThan(59 * 60);
  });

  it('an approval decided in time sends no reminder', async () => {
    const result = await run('production-deployment', input, { approver: 'approve' });
    expect(result.account.notifications.filter((n) => n.event === 'approval-reminder')).toEqual([]);
  });

  it.each([
    [
      { ...input, image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest' },
      'image: prod requires an image pinned by digest',
    ],
    [{ ...input, image: `evil.example.com/app@sha256:${'a'.repeat(64)}` }, 'image: registry not allowed'],
    [{ ...input, environment: 'staging' }, "environment: 'staging' is not configured"],
    [{ ...input, service: 'web' }, "service: 'web' is not configured"],
    [{ ...input, force: true }, 'force'],
    [{ ...input, desiredCount: 50 }, 'desiredCount: must be between 2 and 10'],
    [
      { environment: 'prod', service: 'app', image: input.image },
      'changeRequest: prod requires a change request',
    ],
    ['not an object', 'Invalid input'],
  ])(
    'invalid input fails with InvalidInput naming the field and changes nothing (%#)',
    async (bad, named) => {
      // When
      const result = await run('production-deployment', bad);
      // Then
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('InvalidInput');
      expect(result.cause).toContain(named);
      expect(result.changes).toEqual([]);
      expect(result.account.locks).toEqual([]);
      expect(result.account.notifications.map((n) => n.event)).toEqual(['failed']);
    },
  );
});

describe('production-deployment meets a service that changed under it', () => {
  it('changed-during-approval: a deployment made by hand while the approval waited is not deployed over', async () => {
    // Given someone deploys the release before while the approval is pending / When
    const result = await run('production-deployment', input, { scenario: 'changed-during-approval' });
    // Then Confirm Baseline refuses, nothing of this run changed the service, and the lock is released
    expect(result).toMatchObject({ status: 'FAILED', error: 'PreflightFailed' });
    expect(result.cause).toContain('changed while the approval was pending');
    expect(result.changes).toEqual([]);
    expect(service(result, 'app-service').taskDefinition).toBe(PREVIOUS);
    expect(result.account.locks).toEqual([]);
    expect(result.account.approvals.map((a) => a.status)).toEqual(['approved']);
  });
});

describe('production-deployment meets infrastructure faults', () => {
  it('run-state-unavailable: no lock can be taken, so nothing is changed, and the failure is announced', async () => {
    // Given the runbook's own table failing every call / When
    const result = await run('production-deployment', input, { scenario: 'run-state-unavailable' });
    // Then the lock step's retries are spent, nothing changed, and the run says why
    expect(result).toMatchObject({ status: 'FAILED', error: 'TransientAwsError' });
    expect(result.cause).toContain('DynamoDB PutItem (lock): InternalServerError');
    expect(result.changes).toEqual([]);
    expect(service(result, 'app-service').taskDefinition).toBe(BASELINE);
    expect(result.account.notifications.map((n) => `${n.severity}:${n.event}`)).toEqual(['warning:failed']);
  });

  it('nested-start-throttled: a throttled start of the rollback is retried, and the run rolls back', async () => {
    // Given crashing tasks and the first two StartExecution calls throttled / When
    const result = await run('production-deployment', input, { scenario: 'nested-start-throttled' });
    // Then Roll Back was retried twice, and the service is back on the baseline
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(result.events.filter((e) => e.kind === 'retried' && e.state === 'Roll Back')).toHaveLength(2);
    expect(service(result, 'app-service').taskDefinition).toBe(BASELINE);
    expect(result.account.locks).toEqual([]);
  });

  it('lock-handover-fails: a rollback that cannot join the lock is not started, and the on-call is paged', async () => {
    // Given crashing tasks and a lock that cannot be handed over / When
    const result = await run('production-deployment', input, { scenario: 'lock-handover-fails' });
    // Then no rollback ran (no nested execution), the service is left where ECS has it, a person is paged, the lock released
    expect(result).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    expect(result.events.some((e) => e.depth === 1)).toBe(false);
    expect(service(result, 'app-service').taskDefinition).toBe(RELEASE);
    expect(result.account.notifications.at(-1)).toMatchObject({ event: 'rollback-failed', severity: 'page' });
    expect(result.account.locks).toEqual([]);
  });
});
