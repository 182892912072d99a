import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { type Deployment, DescribeServicesCommand, ECSClient, type Service } from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { captureBaseline } from '../../../tasks/production-deployment/capture-baseline.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const cloudwatchMock = mockClient(CloudWatchClient);
const clients = testClients();

const cluster = 'enterprise-prod-cluster';
const service = 'app-service';
const targetGroupArn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef';
const current = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:41';
const bounds = { min: 2, max: 10 };
const event = { cluster, service, targetGroupArn, alarms: ['app-5xx', 'app-latency'], bounds };

const primary: Deployment = {
  id: 'ecs-svc/1',
  status: 'PRIMARY',
  taskDefinition: current,
  rolloutState: 'COMPLETED',
  desiredCount: 2,
  runningCount: 2,
};
const steady: Service = {
  serviceName: service,
  status: 'ACTIVE',
  desiredCount: 2,
  runningCount: 2,
  deployments: [primary],
};
const target = (id: string, state: 'healthy' | 'unhealthy' | 'draining'): TargetHealthDescription => ({
  Target: { Id: id, Port: 8080 },
  TargetHealth: { State: state },
});

function givenService(svc: Service | undefined) {
  ecsMock.on(DescribeServicesCommand).resolves({ services: svc ? [svc] : [] });
}
function givenTargets(...targets: TargetHealthDescription[]) {
  elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: targets });
}
function givenAlarms(...alarms: { AlarmName: string; StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' }[]) {
  cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: alarms });
}

describe('capture-baseline', () => {
  beforeEach(() => {
    ecsMock.reset();
    elbMock.reset();
    cloudwatchMock.reset();
  });

  it('captures task definition, counts, healthy targets and alarm states of a steady service', async () => {
    // Given
    givenService(steady);
    givenTargets(target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy'));
    givenAlarms({ AlarmName: 'app-5xx', StateValue: 'OK' }, { AlarmName: 'app-latency', StateValue: 'OK' });

    // When
    const baseline = await invoke(captureBaseline, event, clients);

    // Then
    expect(baseline).toEqual({
      taskDefinition: current,
      desiredCount: 2,
      runningCount: 2,
      healthyTargets: 2,
      alarms: [
        { name: 'app-5xx', state: 'OK' },
        { name: 'app-latency', state: 'OK' },
      ],
    });
    expect(ecsMock).toHaveReceivedCommandExactlyOnceWith(DescribeServicesCommand, {
      cluster,
      services: [service],
    });
    expect(elbMock).toHaveReceivedCommandExactlyOnceWith(DescribeTargetHealthCommand, {
      TargetGroupArn: targetGroupArn,
    });
    expect(cloudwatchMock).toHaveReceivedCommandExactlyOnceWith(DescribeAlarmsCommand, {
      AlarmNames: ['app-5xx', 'app-latency'],
    });
  });

  it('skips CloudWatch when the service has no alarms configured', async () => {
    // Given
    givenService(steady);
    givenTargets(target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy'));

    // When
    const baseline = await invoke(captureBaseline, { ...event, alarms: [] }, clients);

    // Then
    expect(baseline.alarms).toEqual([]);
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('reads an alarm without a state as INSUFFICIENT_DATA', async () => {
    // Given
    givenService(steady);
    givenTargets(target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy'));
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'app-5xx' }] });

    // When
    const baseline = await invoke(captureBaseline, { ...event, alarms: ['app-5xx'] }, clients);

    // Then
    expect(baseline.alarms).toEqual([{ name: 'app-5xx', state: 'INSUFFICIENT_DATA' }]);
  });

  it.each([
    ['missing', undefined],
    ['DRAINING', { ...steady, status: 'DRAINING' }],
  ])('refuses a service that is %s with PreflightFailed', async (_, svc) => {
    // Given
    givenService(svc);

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: `service ${service} is not ACTIVE in cluster ${cluster}`,
    });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses a service without a PRIMARY deployment', async () => {
    // Given
    givenService({ ...steady, deployments: [{ ...primary, status: 'ACTIVE' }] });

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: `service ${service} has no PRIMARY deployment`,
    });
  });

  it('refuses a service with a deployment in progress (two deployments)', async () => {
    // Given
    givenService({
      ...steady,
      deployments: [
        { ...primary, rolloutState: 'IN_PROGRESS' },
        { ...primary, id: 'ecs-svc/0', status: 'ACTIVE' },
      ],
    });

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: `service ${service} already has a deployment in progress (2 deployments, PRIMARY IN_PROGRESS)`,
    });
  });

  it('refuses a COMPLETED PRIMARY deployment with a leftover ACTIVE one (its tasks still draining)', async () => {
    // Given the PRIMARY has completed, but an older deployment is still listed
    givenService({
      ...steady,
      deployments: [
        primary,
        {
          ...primary,
          id: 'ecs-svc/0',
          status: 'ACTIVE',
          taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:40',
        },
      ],
    });
    // When / Then the baseline is not steady: a rollback to it could not say which release it was
    await expect(invoke(captureBaseline, event, clients)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: `service ${service} already has a deployment in progress (2 deployments, PRIMARY COMPLETED)`,
    });
  });

  it('refuses a single PRIMARY deployment that has not COMPLETED', async () => {
    // Given
    givenService({ ...steady, deployments: [{ ...primary, rolloutState: 'FAILED' }] });

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining('(1 deployments, PRIMARY FAILED)'),
    });
  });

  it('refuses a service whose running count differs from its desired count', async () => {
    // Given
    givenService({ ...steady, runningCount: 1 });

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: `service ${service} is not steady: 1 running of 2 desired`,
    });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['below', 1],
    ['above', 11],
  ])(
    'refuses a service whose desired count is %s its configured bounds, before anything changes',
    async (_, count) => {
      // Given a steady, healthy service running a count outside 2..10
      ecsMock.on(DescribeServicesCommand).resolves({
        services: [
          {
            ...steady,
            desiredCount: count,
            runningCount: count,
            deployments: [{ ...primary, desiredCount: count, runningCount: count }],
          },
        ],
      });
      // When
      const captured = invoke(captureBaseline, event, clients);
      // Then the baseline is refused, naming the count and the bounds, before target health is read
      await expect(captured).rejects.toMatchObject({
        name: 'PreflightFailed',
        message: `service app-service runs ${count} tasks, outside its configured bounds (2 to 10): fix the service or the config first`,
      });
      expect(elbMock).not.toHaveReceivedAnyCommand();
    },
  );

  it('refuses a service with fewer healthy targets than desired tasks', async () => {
    // Given
    givenService(steady);
    givenTargets(
      target('10.0.1.10', 'healthy'),
      target('10.0.2.10', 'unhealthy'),
      target('10.0.3.10', 'draining'),
    );

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: `service ${service} is not healthy: 1 healthy targets for 2 desired tasks`,
    });
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses configured alarms that do not exist, naming them', async () => {
    // Given
    givenService(steady);
    givenTargets(target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy'));
    givenAlarms({ AlarmName: 'app-5xx', StateValue: 'OK' });

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: 'configured alarms do not exist: app-latency',
    });
  });

  it('refuses to start while an alarm is already in ALARM, naming it', async () => {
    // Given
    givenService(steady);
    givenTargets(target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy'));
    givenAlarms(
      { AlarmName: 'app-5xx', StateValue: 'ALARM' },
      { AlarmName: 'app-latency', StateValue: 'INSUFFICIENT_DATA' },
    );

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: 'alarms already in ALARM before the deployment: app-5xx',
    });
  });

  it.each([
    ['ECS DescribeServices', () => ecsMock.on(DescribeServicesCommand).rejects(throttled())],
    [
      'ELBv2 DescribeTargetHealth',
      () => {
        givenService(steady);
        elbMock.on(DescribeTargetHealthCommand).rejects(throttled());
      },
    ],
    [
      'CloudWatch DescribeAlarms',
      () => {
        givenService(steady);
        givenTargets(target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy'));
        cloudwatchMock.on(DescribeAlarmsCommand).rejects(throttled());
      },
    ],
  ])('surfaces throttling of %s as TransientAwsError', async (what, given) => {
    // Given
    given();

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: `${what}: ThrottlingException: Rate exceeded`,
    });
  });

  it('keeps the name of any other AWS error', async () => {
    // Given
    ecsMock.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException', 'Cluster not found.'));

    // When
    const captured = invoke(captureBaseline, event, clients);

    // Then
    await expect(captured).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
  });

  it('rejects input without alarms as InvalidInput naming the field', async () => {
    // Given
    const invalid = { cluster, service, targetGroupArn, bounds };

    // When
    const captured = invoke(captureBaseline, invalid, clients);

    // Then
    await expect(captured).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^capture-baseline: alarms: /),
    });
    expect(ecsMock).not.toHaveReceivedAnyCommand();
  });
});

describe('capture-baseline confirming an earlier baseline (after the approval wait)', () => {
  beforeEach(() => {
    ecsMock.reset();
    elbMock.reset();
    cloudwatchMock.reset();
    givenTargets(target('10.0.1.10', 'healthy'), target('10.0.2.10', 'healthy'));
    givenAlarms({ AlarmName: 'app-5xx', StateValue: 'OK' }, { AlarmName: 'app-latency', StateValue: 'OK' });
  });

  it('passes when the service still runs the same task definition and count', async () => {
    // Given
    givenService(steady);

    // When
    const confirmed = await invoke(
      captureBaseline,
      { ...event, expected: { taskDefinition: current } },
      clients,
    );

    // Then
    expect(confirmed).toMatchObject({ taskDefinition: current, desiredCount: 2 });
  });

  it('refuses with PreflightFailed when the service changed while the approval was pending', async () => {
    // Given someone scaled the service and deployed app:44 meanwhile
    const changed = 'arn:aws:ecs:us-east-1:123456789012:task-definition/app:44';
    givenService({ ...steady, deployments: [{ ...primary, taskDefinition: changed }] });

    // When
    const confirmed = invoke(captureBaseline, { ...event, expected: { taskDefinition: current } }, clients);

    // Then
    await expect(confirmed).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringContaining(
        `changed while the approval was pending (now ${changed}, was ${current})`,
      ),
    });
  });
});
