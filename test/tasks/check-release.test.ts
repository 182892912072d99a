import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkRelease } from '../../tasks/check-release.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const ecsMock = mockClient(ECSClient);
const clients = testClients();

const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const pinned = (tag: string) => `${registry}/app@sha256:${tag.repeat(64).slice(0, 64)}`;
const baseline = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';
const given = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:43';
const taskRole = 'arn:aws:iam::123456789012:role/app-task';
const executionRole = 'arn:aws:iam::123456789012:role/app-execution';
const sidecar = { name: 'log-router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable' };

const event = {
  environment: 'prod',
  service: 'app',
  cluster: 'enterprise-prod-cluster',
  serviceName: 'app-service',
  baseline,
  taskDefinition: null as string | null,
  containerName: 'app',
  imagePolicy: { digestPinned: true, allowedRegistries: [registry] },
  taskRoleArns: [taskRole, executionRole],
};

function givenTaskDefinitions(defs: Record<string, TaskDefinition>) {
  ecsMock
    .on(DescribeTaskDefinitionCommand)
    .callsFake((input: { taskDefinition: string }) => ({ taskDefinition: defs[input.taskDefinition] }));
}

const running: TaskDefinition = {
  family: 'prod-app',
  taskRoleArn: taskRole,
  executionRoleArn: executionRole,
  containerDefinitions: [{ name: 'app', image: pinned('a') }, sidecar],
};

describe('check-release', () => {
  beforeEach(() => {
    ecsMock.reset();
  });

  it('accepts a new revision built from a baseline whose roles the runbook may pass', async () => {
    // Given
    givenTaskDefinitions({ [baseline]: running });

    // When
    const result = await invoke(checkRelease, event, clients);

    // Then
    expect(result).toEqual({ taskDefinition: null, family: 'prod-app', roles: [taskRole, executionRole] });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: baseline });
  });

  it('refuses with PreflightFailed a baseline whose roles are not configured, naming them', async () => {
    // Given
    givenTaskDefinitions({
      [baseline]: { ...running, executionRoleArn: 'arn:aws:iam::123456789012:role/other' },
    });

    // When
    const checked = invoke(checkRelease, event, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('role/other; add them to taskRoleArns'),
    });
  });

  it('refuses with PreflightFailed a baseline without the configured container', async () => {
    // Given
    givenTaskDefinitions({ [baseline]: { ...running, containerDefinitions: [sidecar] } });

    // When
    const checked = invoke(checkRelease, event, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining("container 'app' is not in prod-app"),
    });
  });

  it('accepts a given task definition of the family whose changed images meet the rules (unchanged sidecars pass)', async () => {
    // Given
    givenTaskDefinitions({
      [baseline]: running,
      [given]: { ...running, containerDefinitions: [{ name: 'app', image: pinned('b') }, sidecar] },
    });

    // When
    const result = await invoke(checkRelease, { ...event, taskDefinition: given }, clients);

    // Then
    expect(result).toMatchObject({ taskDefinition: given, family: 'prod-app' });
  });

  it('refuses with InvalidInput a given task definition of another family, or with a changed image by tag, naming every problem', async () => {
    // Given
    givenTaskDefinitions({
      [baseline]: running,
      [given]: {
        family: 'dev-app',
        containerDefinitions: [{ name: 'app', image: `${registry}/app:latest` }, sidecar],
      },
    });

    // When
    const checked = invoke(checkRelease, { ...event, taskDefinition: given }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(
        /taskDefinition: belongs to family dev-app, not prod-app.*container app \(.*:latest\): prod requires an image pinned by digest/,
      ),
    });
  });

  it('surfaces throttling as TransientAwsError', async () => {
    // Given
    ecsMock.on(DescribeTaskDefinitionCommand).rejects(throttled());

    // When
    const checked = invoke(checkRelease, event, clients);

    // Then
    await expect(checked).rejects.toMatchObject({ name: 'TransientAwsError' });
  });

  it('reads the baseline from the service when none is given (a rollback), from its PRIMARY deployment', async () => {
    // Given no baseline, and a service whose PRIMARY deployment runs it (an older one still ACTIVE)
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        {
          deployments: [
            {
              status: 'ACTIVE',
              taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/other:1',
            },
            { status: 'PRIMARY', taskDefinition: baseline },
          ],
        },
      ],
    });
    givenTaskDefinitions({
      [baseline]: running,
      [given]: { ...running, containerDefinitions: [{ name: 'app', image: pinned('b') }, sidecar] },
    });
    // When
    const result = await invoke(checkRelease, { ...event, baseline: null, taskDefinition: given }, clients);
    // Then the family was compared with what the PRIMARY deployment runs
    expect(result).toEqual({
      taskDefinition: given,
      family: 'prod-app',
      images: [pinned('b'), sidecar.image],
    });
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: 'enterprise-prod-cluster',
      services: ['app-service'],
    });
  });

  it('refuses with PreflightFailed a service without a PRIMARY deployment when no baseline is given', async () => {
    // Given a service with only an ACTIVE deployment
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [{ deployments: [{ status: 'ACTIVE', taskDefinition: baseline }] }] });
    // When / Then
    await expect(invoke(checkRelease, { ...event, baseline: null }, clients)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: 'app-service in enterprise-prod-cluster has no PRIMARY deployment',
    });
    expect(ecsMock).not.toHaveReceivedCommand(DescribeTaskDefinitionCommand);
  });

  it('refuses with InvalidInput a task definition that does not exist, as ECS says it (ClientException)', async () => {
    // Given ECS does not know the given revision
    ecsMock
      .on(DescribeTaskDefinitionCommand, { taskDefinition: baseline })
      .resolves({ taskDefinition: running })
      .on(DescribeTaskDefinitionCommand, { taskDefinition: given })
      .rejects(awsError('ClientException', 'Unable to describe task definition.'));
    // When / Then
    await expect(invoke(checkRelease, { ...event, taskDefinition: given }, clients)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `Invalid input: taskDefinition: ${given} does not exist`,
    });
  });

  it('keeps any other ECS error as it is, and an empty answer as not existing', async () => {
    // Given an access error, then an answer without a task definition
    ecsMock
      .on(DescribeTaskDefinitionCommand)
      .rejectsOnce(awsError('AccessDeniedException', 'no'))
      .resolvesOnce({});
    // When / Then
    await expect(invoke(checkRelease, event, clients)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    await expect(invoke(checkRelease, event, clients)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: `Invalid input: taskDefinition: ${baseline} does not exist`,
    });
  });

  it('refuses a role it may not pass, naming only that one', async () => {
    // Given a baseline with a task role that is not configured, and an allowed execution role
    givenTaskDefinitions({ [baseline]: { ...running, taskRoleArn: 'arn:aws:iam::123456789012:role/x' } });
    // When / Then
    await expect(invoke(checkRelease, event, clients)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message:
        'app runs with roles the runbook may not pass to ECS: arn:aws:iam::123456789012:role/x; add them to taskRoleArns in the config',
    });
  });
});
