import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { updateService } from '../../tasks/update-service.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const ecsMock = mockClient(ECSClient);
const clients = testClients();

const cluster = 'enterprise-prod-cluster';
const service = 'app-service';
const next = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:42';

describe('update-service', () => {
  beforeEach(() => {
    ecsMock.reset();
  });

  it('points the service at the task definition with the zero-downtime deployment settings', async () => {
    // Given
    ecsMock.on(UpdateServiceCommand).resolves({
      service: {
        desiredCount: 2,
        deployments: [
          { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: next },
          {
            id: 'ecs-svc/1',
            status: 'ACTIVE',
            taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41',
          },
        ],
      },
    });

    // When
    const result = await invoke(updateService, { cluster, service, taskDefinition: next }, clients);

    // Then
    expect(result).toEqual({ taskDefinition: next, desiredCount: 2, deploymentId: 'ecs-svc/2' });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(UpdateServiceCommand, {
      cluster,
      service,
      taskDefinition: next,
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
    });
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).not.toHaveProperty('desiredCount');
  });

  it('sends the service’s own deployment configuration back with only the two percentages changed', async () => {
    // Given a service with a circuit breaker, deployment alarms and a rolling strategy
    const configuration = {
      maximumPercent: 150,
      minimumHealthyPercent: 50,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      alarms: { alarmNames: ['app-5xx'], enable: true, rollback: false },
      strategy: 'ROLLING' as const,
    };
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ deploymentConfiguration: configuration }] });
    ecsMock.on(UpdateServiceCommand).resolves({ service: { desiredCount: 2, deployments: [] } });

    // When
    await invoke(updateService, { cluster, service, taskDefinition: next }, clients);

    // Then it read the service first, and kept everything but the percentages
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
      cluster,
      services: [service],
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(UpdateServiceCommand, {
      cluster,
      service,
      taskDefinition: next,
      deploymentConfiguration: { ...configuration, maximumPercent: 200, minimumHealthyPercent: 100 },
    });
  });

  it('surfaces a throttled read of the service as TransientAwsError, changing nothing', async () => {
    ecsMock.on(DescribeServicesCommand).rejects(throttled());
    await expect(
      invoke(updateService, { cluster, service, taskDefinition: next }, clients),
    ).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('ECS DescribeServices'),
    });
    expect(ecsMock).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('changes only the desired count when no task definition is given (scaling)', async () => {
    // Given
    ecsMock.on(UpdateServiceCommand).resolves({ service: { desiredCount: 0, deployments: [] } });

    // When
    const result = await invoke(updateService, { cluster, service, desiredCount: 0 }, clients);

    // Then
    expect(result).toEqual({ taskDefinition: null, desiredCount: 0, deploymentId: null });
    const sent = ecsMock.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input);
    expect(sent).toStrictEqual([{ cluster, service, desiredCount: 0 }]);
    expect(ecsMock).not.toHaveReceivedCommand(DescribeServicesCommand);
  });

  it('sends task definition and desired count together when both are given', async () => {
    // Given
    ecsMock.on(UpdateServiceCommand).resolves({});

    // When
    const result = await invoke(
      updateService,
      { cluster, service, taskDefinition: next, desiredCount: 4 },
      clients,
    );

    // Then
    expect(result).toEqual({ taskDefinition: next, desiredCount: 4, deploymentId: null });
    const sent = ecsMock.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input);
    expect(sent).toStrictEqual([
      {
        cluster,
        service,
        taskDefinition: next,
        deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
        desiredCount: 4,
      },
    ]);
  });

  it('forces a new deployment of the same task definition, sending nothing else', async () => {
    // Given
    ecsMock.on(UpdateServiceCommand).resolves({
      service: {
        desiredCount: 3,
        deployments: [{ id: 'ecs-svc/9', status: 'PRIMARY', taskDefinition: next }],
      },
    });
    // When
    const result = await invoke(updateService, { cluster, service, forceNewDeployment: true }, clients);
    // Then the service keeps its task definition, count and deployment configuration
    expect(result).toEqual({ taskDefinition: next, desiredCount: 3, deploymentId: 'ecs-svc/9' });
    expect(ecsMock.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster, service, forceNewDeployment: true },
    ]);
    expect(ecsMock.commandCalls(DescribeServicesCommand)).toEqual([]);
  });

  it('refuses an update that changes nothing as InvalidInput, without calling ECS', async () => {
    // Given
    const nothing = { cluster, service, taskDefinition: null, desiredCount: null };

    // When
    const updated = invoke(updateService, nothing, clients);

    // Then
    await expect(updated).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        'update-service: (input): nothing to change: give taskDefinition, desiredCount or forceNewDeployment',
    });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });

  it('rejects a negative desired count as InvalidInput naming the field, without calling ECS', async () => {
    // Given
    const invalid = { cluster, service, desiredCount: -1 };

    // When
    const updated = invoke(updateService, invalid, clients);

    // Then
    await expect(updated).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^update-service: desiredCount: /),
    });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    ecsMock.on(UpdateServiceCommand).rejects(throttled());

    // When
    const updated = invoke(updateService, { cluster, service, taskDefinition: next }, clients);

    // Then
    await expect(updated).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'ECS UpdateService: ThrottlingException: Rate exceeded',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    ecsMock
      .on(UpdateServiceCommand)
      .rejects(awsError('ServiceNotActiveException', 'Service was not ACTIVE.'));

    // When
    const updated = invoke(updateService, { cluster, service, taskDefinition: next }, clients);

    // Then
    await expect(updated).rejects.toMatchObject({
      name: 'ServiceNotActiveException',
      message: 'Service was not ACTIVE.',
    });
  });
});
