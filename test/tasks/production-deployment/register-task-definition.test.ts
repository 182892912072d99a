import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { registerTaskDefinition } from '../../../tasks/production-deployment/register-task-definition.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const ecsMock = mockClient(ECSClient);
const clients = testClients();

const from = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const next = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:42';
const oldImage = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'b'.repeat(64)}`;
const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:${'a'.repeat(64)}`;
const sidecar = {
  name: 'log-router',
  image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.0',
  essential: true,
};
const current: TaskDefinition = {
  taskDefinitionArn: from,
  family: 'app',
  revision: 41,
  status: 'ACTIVE',
  taskRoleArn: 'arn:aws:iam::123456789012:role/app-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/app-execution',
  networkMode: 'awsvpc',
  containerDefinitions: [
    { name: 'app', image: oldImage, essential: true, portMappings: [{ containerPort: 8080 }] },
    sidecar,
  ],
  volumes: [{ name: 'tmp' }],
  placementConstraints: [],
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  ephemeralStorage: { sizeInGiB: 30 },
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  registeredAt: new Date('2026-11-01T00:00:00Z'),
  registeredBy: 'arn:aws:iam::123456789012:role/deployer',
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
  compatibilities: ['EC2', 'FARGATE'],
  deregisteredAt: undefined,
  // A field a hand-picked copy would not know of: kept all the same.
  enableFaultInjection: true,
};
const event = { from, containerName: 'app', image };

describe('register-task-definition', () => {
  beforeEach(() => {
    ecsMock.reset();
  });

  it('registers the current revision with only the named container’s image replaced, keeping the tags', async () => {
    // Given
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: current,
      tags: [{ key: 'team', value: 'payments' }],
    });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: next } });

    // When
    const result = await invoke(registerTaskDefinition, event, clients);

    // Then
    expect(result).toEqual({ taskDefinition: next, from });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeTaskDefinitionCommand, {
      taskDefinition: from,
      include: ['TAGS'],
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(RegisterTaskDefinitionCommand, {
      family: 'app',
      taskRoleArn: 'arn:aws:iam::123456789012:role/app-task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/app-execution',
      networkMode: 'awsvpc',
      containerDefinitions: [
        { name: 'app', image, essential: true, portMappings: [{ containerPort: 8080 }] },
        sidecar,
      ],
      volumes: [{ name: 'tmp' }],
      placementConstraints: [],
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      ephemeralStorage: { sizeInGiB: 30 },
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      enableFaultInjection: true,
      tags: [{ key: 'team', value: 'payments' }],
    });
  });

  it('copies no read-only fields of the described revision, and no tags when it has none', async () => {
    // Given
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: current });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: next } });

    // When
    await invoke(registerTaskDefinition, event, clients);

    // Then
    const sent = ecsMock.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input ?? {};
    const given = Object.entries(sent)
      .filter(([, value]) => value !== undefined)
      .map(([field]) => field);
    expect(given.sort()).toEqual(
      [
        'family',
        'taskRoleArn',
        'executionRoleArn',
        'networkMode',
        'containerDefinitions',
        'volumes',
        'placementConstraints',
        'requiresCompatibilities',
        'cpu',
        'memory',
        'ephemeralStorage',
        'runtimePlatform',
        'enableFaultInjection',
      ].sort(),
    );
  });

  it('refuses a container name the task definition does not have, registering nothing', async () => {
    // Given
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: current });

    // When
    const registered = invoke(registerTaskDefinition, { ...event, containerName: 'web' }, clients);

    // Then
    await expect(registered).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `container 'web' is not in task definition ${from}`,
    });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it.each([
    ['no task definition', undefined],
    ['no family', { ...current, family: undefined }],
    ['no container definitions', { ...current, containerDefinitions: undefined }],
  ])('refuses a described revision with %s, registering nothing', async (_, taskDefinition) => {
    // Given
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition });

    // When
    const registered = invoke(registerTaskDefinition, event, clients);

    // Then
    await expect(registered).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `task definition ${from} could not be read`,
    });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('fails when ECS returns no ARN for the new revision', async () => {
    // Given
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: current });
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: {} });

    // When
    const registered = invoke(registerTaskDefinition, event, clients);

    // Then
    await expect(registered).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'ECS returned no ARN for the new revision of app',
    });
  });

  it('surfaces throttled DescribeTaskDefinition as TransientAwsError, registering nothing', async () => {
    // Given
    ecsMock.on(DescribeTaskDefinitionCommand).rejects(throttled());

    // When
    const registered = invoke(registerTaskDefinition, event, clients);

    // Then
    await expect(registered).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'ECS DescribeTaskDefinition: ThrottlingException: Rate exceeded',
    });
    expect(ecsMock).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('surfaces a server error of RegisterTaskDefinition as TransientAwsError', async () => {
    // Given
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: current });
    ecsMock.on(RegisterTaskDefinitionCommand).rejects(awsError('ServerException', 'internal error'));

    // When
    const registered = invoke(registerTaskDefinition, event, clients);

    // Then
    await expect(registered).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'ECS RegisterTaskDefinition: ServerException: internal error',
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    ecsMock
      .on(DescribeTaskDefinitionCommand)
      .rejects(awsError('ClientException', 'Unable to describe task definition.'));

    // When
    const registered = invoke(registerTaskDefinition, event, clients);

    // Then
    await expect(registered).rejects.toMatchObject({
      name: 'ClientException',
      message: 'Unable to describe task definition.',
    });
  });

  it('rejects a missing image as InvalidInput naming the field, without calling ECS', async () => {
    // Given
    const invalid = { from, containerName: 'app' };

    // When
    const registered = invoke(registerTaskDefinition, invalid, clients);

    // Then
    await expect(registered).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^register-task-definition: image: /),
    });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });
});
