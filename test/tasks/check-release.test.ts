import { DescribeTaskDefinitionCommand, ECSClient, type TaskDefinition } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkRelease } from '../../tasks/check-release.ts';
import { invoke } from '../../tasks/worker.ts';
import { testClients, throttled } from './support.ts';

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
});
