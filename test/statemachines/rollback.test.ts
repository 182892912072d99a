// Every path of the rollback state machine run on its own (as from the console), executed by the
// local engine on the synthesized definition against the simulated account.
import { beforeAll, describe, expect, it } from 'vitest';
import { BASELINE, changes, definitionsOnce, example, PREVIOUS, run, service } from './support.ts';

const input = example('rollback');
const UNKNOWN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:7';

beforeAll(() => {
  definitionsOnce();
});

describe('rollback', () => {
  it('restores the given task definition, waits until stable and healthy, releases its lock and announces it', async () => {
    // Given a rollback to the revision the service already runs
    // When
    const result = await run('rollback', input);
    // Then
    expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: null });
    expect(service(result, 'app-service')).toMatchObject({
      taskDefinition: PREVIOUS,
      desiredCount: 3,
      runningCount: 3,
    });
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.map((n) => n.event)).toEqual(['succeeded']);
  });

  it('without a task definition it goes back from the last recorded release to the one before it', async () => {
    // Given the service on prod-app:41, recorded as the last known-good release (replacing prod-app:40)
    const { taskDefinition: _omitted, ...withoutTarget } = input;
    // When
    const result = await run('rollback', withoutTarget);
    // Then
    expect(result.status).toBe('SUCCEEDED');
    expect(changes(result)).toEqual(['ecs:UpdateService:app-service']);
    expect(service(result, 'app-service')).toMatchObject({ taskDefinition: PREVIOUS, runningCount: 3 });
  });

  it('fails with LockHeld and changes nothing while another run holds the service', async () => {
    // When
    const result = await run('rollback', input, { scenario: 'lock-held' });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('LockHeld');
    expect(result.changes).toEqual([]);
    expect(result.account.notifications.map((n) => n.event)).toEqual(['failed']);
  });

  it("cannot join a running deployment's lock by naming it as the parent", async () => {
    // Given a deployment holding the lock (lock-held), named by hand with a guessed token
    const spoofed = {
      ...input,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID:
        'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:hotfix-2291',
      joinToken: 'guessed',
    };
    // When
    const result = await run('rollback', spoofed, { scenario: 'lock-held' });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('LockHeld');
    expect(result.cause).toContain('was not handed over to this rollback');
    expect(result.changes).toEqual([]);
    expect(service(result, 'app-service').taskDefinition).toBe(BASELINE);
  });

  it('fails with InvalidInput naming the field, and changes nothing', async () => {
    // Given a rollback without a reason and with a count out of bounds
    const { reason: _omitted, ...noReason } = input;
    // When
    const result = await run('rollback', { ...noReason, desiredCount: 99 });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('reason');
    expect(result.changes).toEqual([]);
  });

  it('fails with RollbackFailed and pages when ECS cannot place the restored tasks', async () => {
    // Given a cluster out of capacity
    // When
    const result = await run('rollback', input, { scenario: 'no-capacity' });
    // Then
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RollbackFailed');
    expect(result.cause).toContain('DeploymentFailed: rollout of prod-app:40');
    expect(result.account.notifications).toEqual([
      expect.objectContaining({ event: 'rollback-failed', severity: 'page' }),
    ]);
    expect(result.account.locks).toEqual([]);
  });

  it('refuses a task definition that does not exist, or of another family, before changing anything, without a page', async () => {
    // Given a mistyped revision, and the dev service's task definition
    for (const [taskDefinition, cause] of [
      [
        UNKNOWN,
        'taskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:7 does not exist',
      ],
      [
        'arn:aws:ecs:us-east-1:123456789012:task-definition/dev-app:40',
        'taskDefinition: belongs to family dev-app, not prod-app',
      ],
    ]) {
      // When
      const result = await run('rollback', { ...input, taskDefinition });
      // Then
      expect(result.error, taskDefinition).toBe('InvalidInput');
      expect(result.cause).toContain(cause);
      expect(result.changes).toEqual([]);
      expect(result.account.notifications).toEqual([
        expect.objectContaining({ event: 'failed', severity: 'warning' }),
      ]);
      expect(result.account.locks).toEqual([]);
      expect(service(result, 'app-service').taskDefinition).toBe(BASELINE);
    }
  });

  it("refuses to switch off anything but the service's own maintenance page", async () => {
    // When
    const result = await run('rollback', {
      ...input,
      maintenancePage: { cluster: 'enterprise-prod-cluster', service: 'app-service' },
    });
    // Then
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain(
      "maintenancePage: must be app's maintenance page (enterprise-prod-cluster/maintenance-page)",
    );
    expect(result.changes).toEqual([]);
  });
});

describe('rollback of a service that is gone', () => {
  it('service-deleted: PreflightFailed before any change, the lock released and the failure announced', async () => {
    // Given the service was deleted before the rollback / When
    const result = await run('rollback', input, { scenario: 'service-deleted' });
    // Then
    expect(result).toMatchObject({ status: 'FAILED', error: 'PreflightFailed' });
    expect(result.cause).toBe('app-service in enterprise-prod-cluster has no PRIMARY deployment');
    expect(result.changes).toEqual([]);
    expect(result.account.locks).toEqual([]);
    expect(result.account.notifications.map((n) => `${n.severity}:${n.event}`)).toEqual(['warning:failed']);
  });
});
