import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type ConfigureRequest, ConfigureRequestSchema } from '../../../tasks/configure-autoscaling/input.ts';
import { readAutoScaling } from '../../../tasks/configure-autoscaling/read-autoscaling.ts';
import { TransientAwsError } from '../../../tasks/errors.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients, throttled } from '../support.ts';

const mock = mockClient(ApplicationAutoScalingClient);
const ecsMock = mockClient(ECSClient);
const clients = testClients();
const RESOURCE = {
  ServiceNamespace: 'ecs',
  ResourceId: 'service/prod-cluster/app-service',
  ScalableDimension: 'ecs:service:DesiredCount',
} as const;

const request = (over: Partial<ConfigureRequest> = {}): ConfigureRequest =>
  ConfigureRequestSchema.parse({
    procedure: 'configure-autoscaling',
    environment: 'prod',
    service: 'app',
    cluster: 'prod-cluster',
    serviceName: 'app-service',
    check: false,
    wanted: {
      target: { min: 2, max: 10 },
      suspended: false,
      policy: {
        metric: 'ECSServiceAverageCPUUtilization',
        targetValue: 70,
        scaleInCooldownSeconds: 300,
        scaleOutCooldownSeconds: 60,
      },
    },
    changeRequest: null,
    reason: null,
    requestedBy: 'jane',
    lock: {
      key: 'ecs:prod-cluster/app-service',
      owner: 'x',
      procedure: 'configure-autoscaling',
      join: false,
      joinToken: null,
      member: null,
    },
    ...over,
  });

const policy = (over: Partial<ScalingPolicy> = {}, config: Record<string, unknown> = {}): ScalingPolicy => ({
  ...RESOURCE,
  PolicyName: 'runbook-target-tracking',
  PolicyARN: 'arn:p',
  PolicyType: 'TargetTrackingScaling',
  CreationTime: new Date(),
  TargetTrackingScalingPolicyConfiguration: {
    TargetValue: 70,
    PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
    ScaleInCooldown: 300,
    ScaleOutCooldown: 60,
    DisableScaleIn: false,
    ...config,
  },
  ...over,
});
const target = (min: number, max: number) => ({
  ...RESOURCE,
  MinCapacity: min,
  MaxCapacity: max,
  RoleARN: 'r',
  CreationTime: new Date(),
});

describe('read-autoscaling', () => {
  beforeEach(() => {
    mock.reset();
    ecsMock.reset();
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ status: 'ACTIVE', desiredCount: 3 }] });
    mock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [target(2, 10)] });
    mock.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [policy()] });
  });

  it('reads the service, the target and its policies with the exact calls; as the config says is in sync', async () => {
    const report = await invoke(readAutoScaling, { request: request() }, clients);
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: 'prod-cluster',
      services: ['app-service'],
    });
    expect(mock).toHaveReceivedCommandWith(DescribeScalableTargetsCommand, {
      ServiceNamespace: 'ecs',
      ResourceIds: ['service/prod-cluster/app-service'],
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    expect(mock).toHaveReceivedCommandWith(DescribeScalingPoliciesCommand, RESOURCE);
    expect(report).toStrictEqual({
      current: {
        target: { min: 2, max: 10 },
        suspended: false,
        policy: {
          metric: 'ECSServiceAverageCPUUtilization',
          targetValue: 70,
          scaleInCooldownSeconds: 300,
          scaleOutCooldownSeconds: 60,
        },
      },
      desiredCount: 3,
      differences: [],
      inSync: true,
      otherPolicies: [],
      summary:
        "app-service's auto scaling is as the config says: min 2, max 10, average CPU at 70 %, cooldowns 300 s in and 60 s out.",
      severity: null,
    });
    expect(readAutoScaling.summarize?.(report)).toBe('in sync with the config');
  });

  it('names each difference before -> after', async () => {
    mock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [target(3, 12)] });
    mock
      .on(DescribeScalingPoliciesCommand)
      .resolves({ ScalingPolicies: [policy({}, { TargetValue: 60, ScaleOutCooldown: 120 })] });
    const report = await invoke(readAutoScaling, { request: request() }, clients);
    expect(report.differences).toEqual([
      { what: 'minimum capacity', before: '3', after: '2' },
      { what: 'maximum capacity', before: '12', after: '10' },
      { what: 'target (%)', before: '60', after: '70' },
      { what: 'scale-out cooldown (s)', before: '120', after: '60' },
    ]);
    expect(report.inSync).toBe(false);
    expect(report.summary).toBe(
      "app-service's auto scaling differs from the config in 4 ways: minimum capacity 3 -> 2; maximum capacity 12 -> 10; target (%) 60 -> 70; scale-out cooldown (s) 120 -> 60.",
    );
  });

  it('nothing there yet is two differences: the target and the policy', async () => {
    mock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    mock.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] });
    const report = await invoke(readAutoScaling, { request: request() }, clients);
    expect(report.current).toEqual({ target: null, suspended: false, policy: null });
    expect(report.differences.map((d) => [d.what, d.before])).toEqual([
      ['scalable target', 'none'],
      ['target-tracking policy runbook-target-tracking', 'none'],
    ]);
  });

  it('after a change, anything not as set fails AutoScalingNotApplied', async () => {
    mock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [target(3, 10)] });
    await expect(
      invoke(readAutoScaling, { request: request(), expectInSync: true }, clients),
    ).rejects.toMatchObject({
      name: 'AutoScalingNotApplied',
      message:
        "read back after the change, app-service's auto scaling differs from the config in 1 way: minimum capacity 3 -> 2.",
    });
  });

  it.each([
    [
      'step scaling',
      policy({ PolicyType: 'StepScaling', TargetTrackingScalingPolicyConfiguration: undefined }),
    ],
    [
      'a metric that is not the service one',
      policy({}, { PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget' } }),
    ],
    ['no scale-in', policy({}, { DisableScaleIn: true })],
  ])(
    "a policy of the runbook's name with %s is someone else's: refused before a change, reported in a check",
    async (_what, foreign) => {
      mock.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [foreign] });
      await expect(invoke(readAutoScaling, { request: request() }, clients)).rejects.toMatchObject({
        name: 'PreflightFailed',
      });
      const report = await invoke(readAutoScaling, { request: request({ check: true }) }, clients);
      expect(report.inSync).toBe(false);
      expect(report.differences[0]?.what).toBe('policy runbook-target-tracking');
      expect(report.current.policy).toBeNull();
    },
  );

  it('throttling is transient', async () => {
    mock.on(DescribeScalableTargetsCommand).rejects(throttled());
    await expect(invoke(readAutoScaling, { request: request() }, clients)).rejects.toBeInstanceOf(
      TransientAwsError,
    );
  });

  it("bounds that would move the count are refused before a change (a scale is not this run's), reported in a check", async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [{ status: 'ACTIVE', desiredCount: 12 }] });
    await expect(invoke(readAutoScaling, { request: request() }, clients)).rejects.toMatchObject({
      name: 'PreflightFailed',
      message: expect.stringMatching(
        /^app-service runs 12 tasks \(desired\), outside the bounds the config gives it \(min 2, max 10\)/,
      ),
    });
    await expect(
      invoke(readAutoScaling, { request: request({ check: true }) }, clients),
    ).resolves.toMatchObject({ desiredCount: 12 });
    // Reading back or reading to put back never refuses
    await expect(
      invoke(readAutoScaling, { request: request(), beforeChange: false }, clients),
    ).resolves.toMatchObject({ inSync: true });
  });

  it('suspended dynamic scaling is a difference; other policies are named, not changed', async () => {
    mock.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [{ ...target(2, 10), SuspendedState: { DynamicScalingInSuspended: true } }],
    });
    mock.on(DescribeScalingPoliciesCommand).resolves({
      ScalingPolicies: [policy(), policy({ PolicyName: 'memory\nstep', PolicyType: 'StepScaling' })],
    });
    const report = await invoke(readAutoScaling, { request: request({ check: true }) }, clients);
    expect(report.differences).toEqual([{ what: 'dynamic scaling', before: 'suspended', after: 'on' }]);
    expect(report.otherPolicies).toEqual(['memory\\nstep (StepScaling)']);
    expect(report.summary).toMatch(
      /Other scaling policies on it, not the runbook's: memory\\nstep \(StepScaling\)\.$/,
    );
    expect(report.severity).toBe('warning');
  });

  it('a policy on memory where the config says CPU is a difference to apply, not a stranger', async () => {
    mock.on(DescribeScalingPoliciesCommand).resolves({
      ScalingPolicies: [
        policy(
          {},
          { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' } },
        ),
      ],
    });
    const report = await invoke(readAutoScaling, { request: request() }, clients);
    expect(report.differences).toEqual([{ what: 'metric', before: 'average memory', after: 'average CPU' }]);
  });
});
