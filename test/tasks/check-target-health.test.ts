import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
  type TargetHealthReasonEnum,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkTargetHealth } from '../../tasks/check-target-health.ts';
import { invoke } from '../../tasks/worker.ts';
import { awsError, testClients, throttled } from './support.ts';

const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const clients = testClients();

const cluster = 'enterprise-prod-cluster';
const service = 'app-service';
const targetGroupArn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef';
const previous = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const next = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:42';
const poll = {
  cluster,
  service,
  targetGroupArn,
  taskDefinition: next,
  attempt: 0,
  maxAttempts: 5,
  unhealthyStreak: 0,
  unhealthyLimit: 3,
};

const taskArn = (n: number) =>
  `arn:aws:ecs:us-east-1:123456789012:task/${cluster}/${String(n).padStart(32, '0')}`;

/** A Fargate task whose ENI attachment carries its private IP the way ECS reports it. */
function task(n: number, ip: string, taskDefinitionArn = next, lastStatus = 'RUNNING'): Task {
  return {
    taskArn: taskArn(n),
    taskDefinitionArn,
    lastStatus,
    attachments: [
      {
        type: 'ElasticNetworkInterface',
        status: 'ATTACHED',
        details: [
          { name: 'subnetId', value: 'subnet-0123456789abcdef0' },
          { name: 'networkInterfaceId', value: `eni-${n}` },
          { name: 'macAddress', value: '0a:00:00:00:00:01' },
          { name: 'privateIPv4Address', value: ip },
        ],
      },
    ],
  };
}

function target(
  ip: string,
  State: TargetHealthStateEnum,
  Reason?: TargetHealthReasonEnum,
  Description?: string,
): TargetHealthDescription {
  return { Target: { Id: ip, Port: 8080 }, TargetHealth: { State, Reason, Description } };
}

function given({
  desired = 2,
  tasks,
  targets,
}: {
  desired?: number;
  tasks: Task[];
  targets: TargetHealthDescription[];
}) {
  ecsMock
    .on(DescribeServicesCommand)
    .resolves({ services: [{ serviceName: service, desiredCount: desired }] });
  ecsMock.on(ListTasksCommand).resolves({ taskArns: tasks.map((t) => t.taskArn ?? '') });
  ecsMock.on(DescribeTasksCommand).resolves({ tasks });
  elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: targets });
}

describe('check-target-health', () => {
  beforeEach(() => {
    ecsMock.reset();
    elbMock.reset();
  });

  it('is done when the targets of the new tasks are healthy, reading them from ECS and the target group', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy')],
    });

    // When
    const result = await invoke(checkTargetHealth, poll, clients);

    // Then
    expect(result).toEqual({
      done: true,
      attempt: 1,
      unhealthyStreak: 0,
      healthy: 2,
      desired: 2,
      registered: 2,
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
      cluster,
      services: [service],
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(ListTasksCommand, {
      cluster,
      serviceName: service,
      desiredStatus: 'RUNNING',
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeTasksCommand, {
      cluster,
      tasks: [taskArn(1), taskArn(2)],
    });
    expect(elbMock).toHaveReceivedCommandExactlyOnceWith(DescribeTargetHealthCommand, {
      TargetGroupArn: targetGroupArn,
    });
  });

  it('does not count healthy targets of old tasks, nor draining ones, while the new targets register', async () => {
    // Given
    given({
      tasks: [
        task(1, '10.0.1.10'),
        task(2, '10.0.2.10'),
        task(3, '10.0.1.20', previous),
        task(4, '10.0.2.20', previous),
      ],
      targets: [
        target('10.0.1.10', 'initial', 'Elb.RegistrationInProgress'),
        target('10.0.2.10', 'draining', 'Target.DeregistrationInProgress'),
        target('10.0.1.20', 'healthy'),
        target('10.0.2.20', 'healthy'),
      ],
    });

    // When
    const result = await invoke(checkTargetHealth, poll, clients);

    // Then
    expect(result).toEqual({
      done: false,
      attempt: 1,
      unhealthyStreak: 0,
      healthy: 0,
      desired: 2,
      registered: 2,
    });
  });

  it('does not count a healthy target of a new task that is not RUNNING yet, nor an IP of no task', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10', next, 'ACTIVATING')],
      targets: [
        target('10.0.1.10', 'healthy'),
        target('10.0.2.10', 'healthy'),
        target('10.0.3.99', 'healthy'),
      ],
    });

    // When
    const result = await invoke(checkTargetHealth, poll, clients);

    // Then
    expect(result).toMatchObject({ done: false, healthy: 1, desired: 2, registered: 1 });
  });

  it('never reads an empty target group as healthy', async () => {
    // Given
    given({ tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')], targets: [] });

    // When
    const result = await invoke(checkTargetHealth, poll, clients);

    // Then
    expect(result).toEqual({
      done: false,
      attempt: 1,
      unhealthyStreak: 0,
      healthy: 0,
      desired: 2,
      registered: 0,
    });
  });

  it('never reads a service without running tasks as healthy, and describes no tasks', async () => {
    // Given
    given({ tasks: [], targets: [target('10.0.1.20', 'healthy'), target('10.0.2.20', 'healthy')] });

    // When
    const result = await invoke(checkTargetHealth, poll, clients);

    // Then
    expect(result).toMatchObject({ done: false, healthy: 0, registered: 0 });
    expect(ecsMock).not.toHaveReceivedCommand(DescribeTasksCommand);
  });

  it('is done at once for a service scaled to zero', async () => {
    // Given
    given({ desired: 0, tasks: [], targets: [] });

    // When
    const result = await invoke(checkTargetHealth, poll, clients);

    // Then
    expect(result).toEqual({
      done: true,
      attempt: 1,
      unhealthyStreak: 0,
      healthy: 0,
      desired: 0,
      registered: 0,
    });
  });

  it('counts a poll with an unhealthy new target into the streak, below the limit', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'unhealthy', 'Target.Timeout')],
    });

    // When
    const result = await invoke(checkTargetHealth, { ...poll, attempt: 1, unhealthyStreak: 1 }, clients);

    // Then
    expect(result).toEqual({
      done: false,
      attempt: 2,
      unhealthyStreak: 2,
      healthy: 1,
      desired: 2,
      registered: 2,
    });
  });

  it('starts the streak at zero when the input does not carry one', async () => {
    // Given
    const { unhealthyStreak: _, ...first } = poll;
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'unhealthy', 'Target.Timeout'), target('10.0.2.10', 'initial')],
    });

    // When
    const result = await invoke(checkTargetHealth, first, clients);

    // Then
    expect(result).toMatchObject({ done: false, unhealthyStreak: 1 });
  });

  it('resets the streak once no new target is unhealthy (a blip)', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'initial', 'Elb.RegistrationInProgress')],
    });

    // When
    const result = await invoke(checkTargetHealth, { ...poll, attempt: 2, unhealthyStreak: 2 }, clients);

    // Then
    expect(result).toMatchObject({ done: false, attempt: 3, unhealthyStreak: 0 });
  });

  it('throws TargetsUnhealthy with the reason codes when the streak reaches the limit', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10'), task(3, '10.0.1.20', previous)],
      targets: [
        target(
          '10.0.1.10',
          'unhealthy',
          'Target.ResponseCodeMismatch',
          'Health checks failed with these codes: [502]',
        ),
        target('10.0.2.10', 'unhealthy', 'Target.Timeout'),
        target('10.0.1.20', 'unhealthy', 'Target.FailedHealthChecks'),
      ],
    });

    // When
    const checked = invoke(checkTargetHealth, { ...poll, attempt: 2, unhealthyStreak: 2 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message:
        `2 of 2 new targets of ${service} unhealthy for 3 polls in a row: ` +
        '10.0.1.10 Target.ResponseCodeMismatch Health checks failed with these codes: [502]; 10.0.2.10 Target.Timeout',
    });
  });

  it('throws TargetsUnhealthy on the first unhealthy poll when the limit is 1, even with budget left', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'unhealthy', 'Target.Timeout')],
    });

    // When
    const checked = invoke(checkTargetHealth, { ...poll, unhealthyLimit: 1 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: `1 of 2 new targets of ${service} unhealthy for 1 polls in a row: 10.0.2.10 Target.Timeout`,
    });
  });

  it('throws TargetsUnhealthy naming each target’s state when the poll budget is spent', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'initial', 'Elb.RegistrationInProgress')],
    });

    // When
    const checked = invoke(checkTargetHealth, { ...poll, attempt: 4 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: `only 1 of 2 new targets of ${service} became healthy within 5 polls: 10.0.1.10 healthy; 10.0.2.10 initial (Elb.RegistrationInProgress)`,
    });
  });

  it('throws TargetsUnhealthy when the budget is spent and no new task ever registered a target', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(3, '10.0.1.20', previous)],
      targets: [target('10.0.1.20', 'healthy')],
    });

    // When
    const checked = invoke(checkTargetHealth, { ...poll, attempt: 4 }, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: `only 0 of 2 new targets of ${service} became healthy within 5 polls: no targets registered for the new tasks`,
    });
  });

  it('is done when the targets become healthy on the last poll of the budget', async () => {
    // Given
    given({
      tasks: [task(1, '10.0.1.10'), task(2, '10.0.2.10')],
      targets: [target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy')],
    });

    // When
    const result = await invoke(checkTargetHealth, { ...poll, attempt: 4 }, clients);

    // Then
    expect(result).toMatchObject({ done: true, attempt: 5 });
  });

  it('throws TargetsUnhealthy for a service that is not found, instead of reading it as zero desired', async () => {
    // Given
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [], failures: [{ arn: service, reason: 'MISSING' }] });

    // When
    const checked = invoke(checkTargetHealth, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetsUnhealthy',
      message: `service ${service} not found in cluster ${cluster}`,
    });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('reads every page of running tasks and describes them 100 at a time', async () => {
    // Given
    const ips = Array.from({ length: 150 }, (_, i) => `10.0.${Math.floor(i / 100)}.${i % 100}`);
    const all = ips.map((ip, i) => task(i, ip));
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ desiredCount: 75 }] });
    ecsMock
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: all.slice(0, 100).map((t) => t.taskArn ?? ''), nextToken: 'page-2' })
      .resolvesOnce({ taskArns: all.slice(100).map((t) => t.taskArn ?? '') });
    ecsMock
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: all.slice(0, 100) })
      .resolvesOnce({ tasks: all.slice(100) });
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: ips.slice(75).map((ip) => target(ip, 'healthy')),
    });

    // When
    const result = await invoke(checkTargetHealth, poll, clients);

    // Then
    expect(result).toMatchObject({ done: true, healthy: 75, desired: 75, registered: 75 });
    expect(ecsMock).toHaveReceivedCommandTimes(ListTasksCommand, 2);
    expect(ecsMock).toHaveReceivedNthCommandWith(ListTasksCommand, 2, {
      cluster,
      serviceName: service,
      desiredStatus: 'RUNNING',
      nextToken: 'page-2',
    });
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTasksCommand, 2);
    expect(ecsMock).toHaveReceivedNthCommandWith(DescribeTasksCommand, 1, {
      cluster,
      tasks: all.slice(0, 100).map((t) => t.taskArn ?? ''),
    });
    expect(ecsMock).toHaveReceivedNthCommandWith(DescribeTasksCommand, 2, {
      cluster,
      tasks: all.slice(100).map((t) => t.taskArn ?? ''),
    });
  });

  it.each([
    ['ECS DescribeServices', () => ecsMock.on(DescribeServicesCommand).rejects(throttled())],
    ['ECS ListTasks', () => ecsMock.on(ListTasksCommand).rejects(throttled())],
    ['ECS DescribeTasks', () => ecsMock.on(DescribeTasksCommand).rejects(throttled())],
    ['ELBv2 DescribeTargetHealth', () => elbMock.on(DescribeTargetHealthCommand).rejects(throttled())],
  ])('surfaces throttling of %s as TransientAwsError', async (what, fail) => {
    // Given
    given({ tasks: [task(1, '10.0.1.10')], targets: [target('10.0.1.10', 'healthy')] });
    fail();

    // When
    const checked = invoke(checkTargetHealth, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: `${what}: ThrottlingException: Rate exceeded`,
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    given({ tasks: [task(1, '10.0.1.10')], targets: [] });
    elbMock.on(DescribeTargetHealthCommand).rejects(awsError('TargetGroupNotFoundException', 'not found'));

    // When
    const checked = invoke(checkTargetHealth, poll, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'TargetGroupNotFoundException',
      message: 'not found',
    });
  });

  it.each([
    ['unhealthyLimit', { ...poll, unhealthyLimit: 0 }],
    ['taskDefinition', { ...poll, taskDefinition: null }],
    ['targetGroupArn', { ...poll, targetGroupArn: '' }],
  ])(
    'rejects an invalid %s as InvalidInput naming the field, without calling AWS',
    async (field, invalid) => {
      // Given
      const event = invalid;

      // When
      const checked = invoke(checkTargetHealth, event, clients);

      // Then
      await expect(checked).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining(`check-target-health: ${field}: `),
      });
      expect(ecsMock).not.toHaveReceivedAnyCommand();
      expect(elbMock).not.toHaveReceivedAnyCommand();
    },
  );
});
