import { type Deployment, DescribeServicesCommand, ECSClient, type Service } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkDeployment, circuitBreakerThreshold } from '../../tasks/check-deployment.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const ecsMock = mockClient(ECSClient);
const clients = testClients();

const cluster = 'enterprise-prod-cluster';
const service = 'app-service';
const previous = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const next = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:42';
const poll = { cluster, service, taskDefinition: next, attempt: 0, maxAttempts: 5 };

const primary = (overrides: Partial<Deployment> = {}): Deployment => ({
  id: 'ecs-svc/2',
  status: 'PRIMARY',
  taskDefinition: next,
  rolloutState: 'COMPLETED',
  desiredCount: 2,
  runningCount: 2,
  ...overrides,
});
const old: Deployment = {
  id: 'ecs-svc/1',
  status: 'ACTIVE',
  taskDefinition: previous,
  rolloutState: 'COMPLETED',
  desiredCount: 0,
  runningCount: 2,
};

function givenService(svc: Service | undefined) {
  ecsMock.on(DescribeServicesCommand).resolves({ services: svc ? [svc] : [] });
}

describe('check-deployment', () => {
  beforeEach(() => {
    ecsMock.reset();
  });

  it('is done when the PRIMARY deployment carries our task definition, COMPLETED with running == desired', async () => {
    // Given
    givenService({ desiredCount: 2, runningCount: 2, deployments: [primary()] });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toEqual({
      done: true,
      attempt: 1,
      rolloutState: 'COMPLETED',
      running: 2,
      desired: 2,
      deployments: 1,
      healthy: null,
      unhealthyStreak: 0,
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
      cluster,
      services: [service],
    });
  });

  it('is done on the last poll of the budget', async () => {
    // Given
    givenService({ desiredCount: 2, runningCount: 2, deployments: [primary()] });

    // When
    const result = await invoke(checkDeployment, { ...poll, attempt: 4 }, clients);

    // Then
    expect(result).toMatchObject({ done: true, attempt: 5 });
  });

  it('is not done while the rollout is IN_PROGRESS, counting the attempt', async () => {
    // Given
    givenService({
      desiredCount: 2,
      runningCount: 3,
      deployments: [primary({ rolloutState: 'IN_PROGRESS', runningCount: 1 }), old],
    });

    // When
    const result = await invoke(checkDeployment, { ...poll, attempt: 2 }, clients);

    // Then
    expect(result).toEqual({
      done: false,
      attempt: 3,
      rolloutState: 'IN_PROGRESS',
      running: 1,
      desired: 2,
      deployments: 2,
      healthy: null,
      unhealthyStreak: 0,
    });
  });

  it('is not done while COMPLETED but the service still runs more tasks than desired', async () => {
    // Given
    givenService({ desiredCount: 2, runningCount: 3, deployments: [primary()] });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({ done: false, attempt: 1 });
  });

  it('is not done while COMPLETED but the PRIMARY deployment runs fewer tasks than desired', async () => {
    // Given
    givenService({ desiredCount: 2, runningCount: 2, deployments: [primary({ runningCount: 1 })] });

    // When
    const result = await invoke(checkDeployment, poll, clients);

    // Then
    expect(result).toMatchObject({ done: false, running: 1, desired: 2 });
  });

  it('accepts any task definition when asked for none (the maintenance page scaling)', async () => {
    // Given
    givenService({ desiredCount: 2, runningCount: 2, deployments: [primary({ taskDefinition: previous })] });

    // When
    const result = await invoke(checkDeployment, { ...poll, taskDefinition: null }, clients);

    // Then
    expect(result).toMatchObject({ done: true, attempt: 1 });
  });

  it('throws DeploymentFailed with the reason when the rollout FAILED', async () => {
    // Given
    givenService({
      desiredCount: 2,
      runningCount: 2,
      deployments: [
        primary({
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
          failedTasks: 3,
          runningCount: 0,
        }),
        old,
      ],
    });

    // When
    const checked = invoke(checkDeployment, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'DeploymentFailed',
      message: `rollout of app:42 to ${service} FAILED: ECS deployment circuit breaker: tasks failed to start. (3 tasks failed)`,
    });
    expect(ecsMock.calls()).toHaveLength(1); // the one DescribeServices, nothing that changes the service
  });

  it('throws DeploymentFailed without a reason given', async () => {
    // Given
    givenService({ deployments: [primary({ rolloutState: 'FAILED' })] });

    // When
    const checked = invoke(checkDeployment, { ...poll, taskDefinition: null }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'DeploymentFailed',
      message: `rollout of app:42 to ${service} FAILED: no reason given (0 tasks failed)`,
    });
  });

  it('throws EcsRolledBack when the PRIMARY deployment carries another task definition', async () => {
    // Given
    givenService({
      desiredCount: 2,
      runningCount: 2,
      deployments: [
        primary({
          id: 'ecs-svc/3',
          taskDefinition: previous,
          rolloutState: 'IN_PROGRESS',
          rolloutStateReason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.',
        }),
        primary({ status: 'ACTIVE', rolloutState: 'FAILED' }),
      ],
    });

    // When
    const checked = invoke(checkDeployment, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'EcsRolledBack',
      message: `ECS rolled ${service} back on its own: the PRIMARY deployment carries app:41, not app:42 (ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.)`,
    });
  });

  it('throws EcsRolledBack even when the rolled-back deployment has COMPLETED', async () => {
    // Given
    givenService({ desiredCount: 2, runningCount: 2, deployments: [primary({ taskDefinition: previous })] });

    // When
    const checked = invoke(checkDeployment, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'EcsRolledBack',
      message: `ECS rolled ${service} back on its own: the PRIMARY deployment carries app:41, not app:42`,
    });
    expect(ecsMock.calls()).toHaveLength(1); // the one DescribeServices, nothing that changes the service
  });

  it('throws DeploymentTimedOut when the poll budget is spent before the rollout completes', async () => {
    // Given
    givenService({
      desiredCount: 2,
      runningCount: 3,
      deployments: [primary({ rolloutState: 'IN_PROGRESS', runningCount: 1 }), old],
    });

    // When
    const checked = invoke(checkDeployment, { ...poll, attempt: 4 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'DeploymentTimedOut',
      message: `rollout to ${service} did not complete within 5 polls: IN_PROGRESS, 1 of 2 running, 2 deployments`,
    });
    expect(ecsMock.calls()).toHaveLength(1); // the one DescribeServices, nothing that changes the service
  });

  it.each([
    ['the service is missing', undefined],
    ['the service has no PRIMARY deployment', { deployments: [old] }],
    ['the service has no deployments', { deployments: undefined }],
  ])('throws DeploymentFailed when %s', async (_, svc) => {
    // Given
    givenService(svc);

    // When
    const checked = invoke(checkDeployment, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'DeploymentFailed',
      message: `service ${service} in ${cluster} has no PRIMARY deployment`,
    });
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    ecsMock.on(DescribeServicesCommand).rejects(throttled());

    // When
    const checked = invoke(checkDeployment, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'ECS DescribeServices: ThrottlingException: Rate exceeded',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    ecsMock.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException', 'Cluster not found.'));

    // When
    const checked = invoke(checkDeployment, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
      message: 'Cluster not found.',
    });
  });

  it('treats a missing task definition like null: any PRIMARY task definition will do (the maintenance page)', async () => {
    // Given a service whose PRIMARY carries some other revision, complete
    const { taskDefinition: _, ...anyRevision } = poll;
    givenService({
      serviceName: service,
      desiredCount: 2,
      runningCount: 2,
      deployments: [primary({ taskDefinition: previous })],
    });

    // When
    const result = await invoke(checkDeployment, anyRevision, clients);

    // Then
    expect(result).toMatchObject({ done: true, attempt: 1, rolloutState: 'COMPLETED' });
  });
});

describe('check-deployment with the deployment our UpdateService started', () => {
  beforeEach(() => {
    ecsMock.reset();
  });

  it('is not done (rather than rolled back) when the first poll does not see our deployment yet', async () => {
    // Given an eventually consistent read that still shows the old deployment as PRIMARY
    givenService({
      serviceName: service,
      desiredCount: 2,
      runningCount: 2,
      deployments: [{ ...old, status: 'PRIMARY' }],
    });

    // When
    const result = await invoke(checkDeployment, { ...poll, deploymentId: 'ecs-svc/2' }, clients);

    // Then
    expect(result).toMatchObject({ done: false, attempt: 1, rolloutState: 'PENDING' });
  });

  it('throws EcsRolledBack when our deployment is still listed but no longer PRIMARY', async () => {
    // Given ECS started its own rollback deployment on the previous revision
    givenService({
      serviceName: service,
      desiredCount: 2,
      runningCount: 2,
      deployments: [
        primary({ id: 'ecs-svc/3', taskDefinition: previous, rolloutState: 'IN_PROGRESS' }),
        primary({ id: 'ecs-svc/2', status: 'ACTIVE', rolloutState: 'FAILED' }),
      ],
    });

    // When
    const checked = invoke(checkDeployment, { ...poll, attempt: 3, deploymentId: 'ecs-svc/2' }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'EcsRolledBack',
      message: expect.stringContaining('ecs-svc/2 is no longer PRIMARY'),
    });
  });

  it('waits for the desired count it set (a maintenance page scaling up is not done at 0 of 0)', async () => {
    // Given a stale read: desired still 0, running 0, rollout complete
    givenService({
      serviceName: 'maintenance-page',
      desiredCount: 0,
      runningCount: 0,
      deployments: [primary({ desiredCount: 0, runningCount: 0 })],
    });
    const page = { cluster, service: 'maintenance-page', attempt: 0, maxAttempts: 5, desiredCount: 1 };

    // When
    const result = await invoke(checkDeployment, page, clients);

    // Then
    expect(result).toMatchObject({ done: false, attempt: 1 });
  });

  it('with a range of desired counts, is done anywhere in it, and not outside it (a scaler taking a manual count on)', async () => {
    const at = async (count: number) => {
      givenService({
        desiredCount: count,
        runningCount: count,
        deployments: [primary({ desiredCount: count, runningCount: count })],
      });
      return (await invoke(checkDeployment, { ...poll, desiredRange: { min: 6, max: 8 } }, clients)).done;
    };
    expect([await at(5), await at(6), await at(8), await at(9)]).toEqual([false, true, true, false]);
  });

  it('is not done while the rollout is IN_PROGRESS, even with every count matching', async () => {
    // Given an IN_PROGRESS rollout whose counts already match (ECS still replacing tasks)
    givenService({
      serviceName: service,
      desiredCount: 2,
      runningCount: 2,
      deployments: [primary({ rolloutState: 'IN_PROGRESS' })],
    });
    // When / Then
    await expect(invoke(checkDeployment, poll, clients)).resolves.toMatchObject({
      done: false,
      rolloutState: 'IN_PROGRESS',
    });
  });

  it('throws DeploymentFailed when our deployment was replaced by another carrying the same task definition', async () => {
    // Given a later poll where another deployment of the same revision is PRIMARY and ours is gone
    givenService({
      serviceName: service,
      desiredCount: 2,
      runningCount: 2,
      deployments: [primary({ id: 'ecs-svc/9' })],
    });
    // When
    const checked = invoke(checkDeployment, { ...poll, attempt: 1, deploymentId: 'ecs-svc/2' }, clients);
    // Then it is not taken for ours
    await expect(checked).rejects.toMatchObject({
      name: 'DeploymentFailed',
      message:
        'our deployment ecs-svc/2 of app-service is gone: another deployment (ecs-svc/9) replaced it; the PRIMARY deployment carries app:42',
    });
  });

  it('throws DeploymentFailed when our deployment never appears after the first poll', async () => {
    // Given the old deployment still PRIMARY on the second poll, ours never listed
    givenService({
      serviceName: service,
      desiredCount: 2,
      runningCount: 2,
      deployments: [{ ...old, status: 'PRIMARY', taskDefinition: next }],
    });
    // When / Then
    await expect(
      invoke(checkDeployment, { ...poll, attempt: 1, deploymentId: 'ecs-svc/2' }, clients),
    ).rejects.toMatchObject({
      name: 'DeploymentFailed',
      message: expect.stringContaining('our deployment ecs-svc/2 of app-service is gone'),
    });
  });

  it('words its result for the timeline', () => {
    expect(
      checkDeployment.summarize?.({
        done: false,
        attempt: 2,
        rolloutState: 'IN_PROGRESS',
        running: 1,
        desired: 3,
        deployments: 2,
        healthy: null,
        unhealthyStreak: 0,
      }),
    ).toBe('IN_PROGRESS, 1/3 running');
    expect(
      checkDeployment.summarize?.({
        done: false,
        attempt: 2,
        rolloutState: 'IN_PROGRESS',
        running: 3,
        desired: 3,
        deployments: 2,
        healthy: 2,
        unhealthyStreak: 0,
      }),
    ).toBe('IN_PROGRESS, 3/3 running, 2/3 new targets healthy');
  });

  describe('on a service without a deployment circuit breaker', () => {
    const crashing = (failedTasks: number, breaker?: boolean) => ({
      desiredCount: 2,
      runningCount: 0,
      deployments: [primary({ rolloutState: 'IN_PROGRESS', runningCount: 0, failedTasks }), old],
      ...(breaker !== undefined && {
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: breaker, rollback: false } },
      }),
    });

    it('fails the rollout itself once as many tasks failed as the breaker would allow', async () => {
      givenService(crashing(3, false));
      await expect(invoke(checkDeployment, poll, clients)).rejects.toMatchObject({
        name: 'DeploymentFailed',
        message:
          '3 tasks of app:42 failed to start in app-service, which has no deployment circuit breaker to stop the rollout',
      });
      givenService(crashing(3));
      await expect(invoke(checkDeployment, poll, clients)).rejects.toMatchObject({
        name: 'DeploymentFailed',
      });
    });

    it('keeps waiting below the threshold, and leaves it to a breaker that is there', async () => {
      givenService(crashing(2, false));
      await expect(invoke(checkDeployment, poll, clients)).resolves.toMatchObject({ done: false });
      givenService(crashing(5, true));
      await expect(invoke(checkDeployment, poll, clients)).resolves.toMatchObject({ done: false });
    });

    it('does not count failed tasks against a change that made no deployment (a count alone)', async () => {
      // The PRIMARY deployment's failed tasks are those of whatever ran before (a scale that failed)
      givenService({
        desiredCount: 3,
        runningCount: 3,
        deployments: [primary({ desiredCount: 3, runningCount: 3, failedTasks: 9 })],
      });
      await expect(
        invoke(checkDeployment, { ...poll, deploymentMade: false }, clients),
      ).resolves.toMatchObject({ done: true });
      await expect(invoke(checkDeployment, poll, clients)).rejects.toMatchObject({
        name: 'DeploymentFailed',
      });
    });

    it('sets the threshold at half the desired count, at least 3 and at most 200', () => {
      expect([0, 6, 7, 401, 1000].map(circuitBreakerThreshold)).toEqual([3, 3, 4, 200, 200]);
    });
  });
});
