import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { PreflightFailed, TransientAwsError } from '../../../tasks/errors.ts';
import { type ScaleRequest, ScaleRequestSchema } from '../../../tasks/scale-service/input.ts';
import { holdingBounds, readScaleBaseline } from '../../../tasks/scale-service/read-scale-baseline.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const ecsMock = mockClient(ECSClient);
const autoscalingMock = mockClient(ApplicationAutoScalingClient);
const clients = testClients();

const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';
const request = (over: Partial<ScaleRequest> = {}): ScaleRequest =>
  ScaleRequestSchema.parse({
    procedure: 'scale-service',
    environment: 'prod',
    service: 'app',
    cluster: 'prod-cluster',
    serviceName: 'app-service',
    targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/0123456789abcdef',
    targetType: 'ip',
    desiredCount: 6,
    upOnly: false,
    bounds: { min: 2, max: 10 },
    scaleDownApprovalFraction: 0.25,
    approvalRequired: true,
    approvalTimeoutSeconds: 3600,
    approvalRule: null,
    approvalReminders: { remindAt: 0.5, pageAt: 0.9 },
    changeRequest: null,
    reason: 'launch',
    requestedBy: 'jane',
    lock: {
      key: 'ecs:prod-cluster/app-service',
      owner: 'x',
      procedure: 'scale-service',
      join: false,
      joinToken: null,
      member: null,
    },
    ...over,
  });

const service = (over: Record<string, unknown> = {}) => ({
  services: [
    {
      status: 'ACTIVE',
      desiredCount: 3,
      runningCount: 3,
      deployments: [
        { id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TD, rolloutState: 'COMPLETED' as const },
      ],
      ...over,
    },
  ],
});

describe('read-scale-baseline', () => {
  beforeEach(() => {
    ecsMock.reset();
    autoscalingMock.reset();
    ecsMock.on(DescribeServicesCommand).resolves(service());
    autoscalingMock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    autoscalingMock.on(DescribeScalingPoliciesCommand).resolves({
      ScalingPolicies: [
        {
          PolicyName: 'cpu',
          PolicyARN: 'p',
          ServiceNamespace: 'ecs',
          ResourceId: 'r',
          ScalableDimension: 'ecs:service:DesiredCount',
          PolicyType: 'TargetTrackingScaling',
          CreationTime: new Date(),
        },
      ],
    });
  });

  it("reads the service and its scalable target: the exact calls, and a plain scale-up's plan", async () => {
    const baseline = await invoke(readScaleBaseline, { request: request() }, clients);
    expect(ecsMock).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: 'prod-cluster',
      services: ['app-service'],
    });
    expect(autoscalingMock).toHaveReceivedCommandExactlyOnceWith(DescribeScalableTargetsCommand, {
      ServiceNamespace: 'ecs',
      ResourceIds: ['service/prod-cluster/app-service'],
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    // No scalable target: its policies are not read
    expect(autoscalingMock).toHaveReceivedCommandTimes(DescribeScalingPoliciesCommand, 0);
    expect(baseline).toStrictEqual({
      from: 3,
      running: 3,
      taskDefinition: TD,
      scalableTarget: null,
      scalableTargetText: 'none',
      policies: 0,
      hold: null,
      settle: { min: 6, max: 6 },
      restoreSettle: { min: 3, max: 3 },
      change: 'up',
      approvalNeeded: false,
      plan: 'app-service from 3 to 6 tasks of prod-app:41',
    });
    expect(readScaleBaseline.summarize?.(baseline)).toBe('app-service from 3 to 6 tasks of prod-app:41');
  });

  it('with a scaler, plans the bounds that hold the new count, and says so', async () => {
    autoscalingMock.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ServiceNamespace: 'ecs',
          ResourceId: 'service/prod-cluster/app-service',
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: 3,
          MaxCapacity: 5,
          RoleARN: 'r',
          CreationTime: new Date(),
        },
      ],
    });
    const baseline = await invoke(readScaleBaseline, { request: request() }, clients);
    expect(autoscalingMock).toHaveReceivedCommandWith(DescribeScalingPoliciesCommand, {
      ServiceNamespace: 'ecs',
      ResourceId: 'service/prod-cluster/app-service',
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    expect(baseline.scalableTarget).toEqual({ min: 3, max: 5 });
    expect(baseline.hold).toEqual({ min: 6, max: 6 });
    // The policy may take the count on up to the new maximum; putting back, anywhere in the old bounds
    expect(baseline.settle).toEqual({ min: 6, max: 6 });
    expect(baseline.restoreSettle).toEqual({ min: 3, max: 5 });
    expect(baseline.plan).toBe(
      'app-service from 3 to 6 tasks of prod-app:41; its scalable target goes from min 3, max 5 to min 6, max 6 so that the scaler keeps the new count (min = max: the scaler cannot scale at all, not even in a spike), and stays so after the run: set it back (aws application-autoscaling register-scalable-target) when the manual count is no longer wanted',
    );
  });

  it('asks an approval only for a scale-down beyond the fraction, where approvals are required', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(service({ desiredCount: 8 }));
    const at = async (to: number, over: Partial<ScaleRequest> = {}) =>
      (await invoke(readScaleBaseline, { request: request({ desiredCount: to, ...over }) }, clients))
        .approvalNeeded;
    // A quarter of 8 is 2: 6 is at it, 5 beyond it
    expect(await at(6)).toBe(false);
    expect(await at(5)).toBe(true);
    expect(await at(10)).toBe(false);
    expect(await at(5, { approvalRequired: false })).toBe(false);
    expect(await at(5, { scaleDownApprovalFraction: null })).toBe(false);
    expect(await at(2, { scaleDownApprovalFraction: 0.75 })).toBe(false);
    expect(await at(1, { scaleDownApprovalFraction: 0.75 })).toBe(true);
  });

  it('the count it already has is nothing to change, even with a scaler', async () => {
    autoscalingMock.on(DescribeScalableTargetsCommand).resolves({
      ScalableTargets: [
        {
          ServiceNamespace: 'ecs',
          ResourceId: 'service/prod-cluster/app-service',
          ScalableDimension: 'ecs:service:DesiredCount',
          MinCapacity: 2,
          MaxCapacity: 10,
          RoleARN: 'r',
          CreationTime: new Date(),
        },
      ],
    });
    const baseline = await invoke(readScaleBaseline, { request: request({ desiredCount: 3 }) }, clients);
    expect([baseline.change, baseline.hold, baseline.plan]).toEqual([
      'none',
      null,
      'app-service already runs 3 (desired), nothing to change',
    ]);
  });

  it.each([
    ['no service', { services: [] }],
    ['an inactive service', service({ status: 'DRAINING' })],
    ['no PRIMARY deployment', service({ deployments: [] })],
    [
      'a deployment under way',
      service({
        deployments: [
          { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: TD, rolloutState: 'IN_PROGRESS' },
          { id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: TD, rolloutState: 'COMPLETED' },
        ],
      }),
    ],
    [
      'a rollout not completed',
      service({
        deployments: [
          { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: TD, rolloutState: 'IN_PROGRESS' },
        ],
      }),
    ],
  ])('refuses %s as PreflightFailed, before reading the scaler', async (_what, answer) => {
    ecsMock.on(DescribeServicesCommand).resolves(answer);
    await expect(invoke(readScaleBaseline, { request: request() }, clients)).rejects.toBeInstanceOf(
      PreflightFailed,
    );
    expect(autoscalingMock).toHaveReceivedCommandTimes(DescribeScalableTargetsCommand, 0);
  });

  it('upOnly: a count at or below the one the service wants is refused before anything is read further', async () => {
    for (const desiredCount of [3, 2])
      await expect(
        invoke(readScaleBaseline, { request: request({ desiredCount, upOnly: true }) }, clients),
      ).rejects.toMatchObject({
        name: 'PreflightFailed',
        message: `app-service already wants 3 tasks: a scale-up to ${desiredCount} would not add any; nothing was changed`,
      });
    // Above it, the plan is the scale-up's
    const up = await invoke(
      readScaleBaseline,
      { request: request({ desiredCount: 4, upOnly: true }) },
      clients,
    );
    expect(up.change).toBe('up');
  });

  it('throttling is transient; a refusal keeps its AWS name', async () => {
    autoscalingMock.on(DescribeScalableTargetsCommand).rejects(throttled());
    await expect(invoke(readScaleBaseline, { request: request() }, clients)).rejects.toBeInstanceOf(
      TransientAwsError,
    );
    autoscalingMock.on(DescribeScalableTargetsCommand).rejects(awsError('AccessDeniedException', 'no'));
    await expect(invoke(readScaleBaseline, { request: request() }, clients)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});

describe('holdingBounds', () => {
  it('with a policy: raises the floor to a scale-up (and the ceiling if it must), lowers the ceiling to a scale-down (and the floor if it must)', () => {
    expect(holdingBounds({ min: 3, max: 10 }, 3, 6, 1)).toEqual({ min: 6, max: 10 });
    expect(holdingBounds({ min: 3, max: 5 }, 3, 6, 1)).toEqual({ min: 6, max: 6 });
    expect(holdingBounds({ min: 3, max: 10 }, 6, 4, 1)).toEqual({ min: 3, max: 4 });
    expect(holdingBounds({ min: 3, max: 10 }, 6, 2, 1)).toEqual({ min: 2, max: 2 });
    expect(holdingBounds({ min: 3, max: 10 }, 6, 6, 1)).toBeNull();
  });
  it('without one, the bounds alone act: moved only when the count is outside them, only as far as it', () => {
    expect(holdingBounds({ min: 3, max: 10 }, 3, 6, 0)).toBeNull();
    expect(holdingBounds({ min: 3, max: 5 }, 3, 6, 0)).toEqual({ min: 3, max: 6 });
    expect(holdingBounds({ min: 3, max: 10 }, 6, 2, 0)).toEqual({ min: 2, max: 10 });
  });
});

describe('read-scale-baseline after an approval', () => {
  beforeEach(() => {
    ecsMock.reset();
    autoscalingMock.reset();
    autoscalingMock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
  });
  it('finds the same count and bounds, or stops: the approved plan is stale', async () => {
    ecsMock.on(DescribeServicesCommand).resolves(service());
    const approved = await invoke(readScaleBaseline, { request: request({ desiredCount: 2 }) }, clients);
    await expect(
      invoke(readScaleBaseline, { request: request({ desiredCount: 2 }), expected: approved }, clients),
    ).resolves.toEqual(approved);
    ecsMock.on(DescribeServicesCommand).resolves(service({ desiredCount: 5 }));
    await expect(
      invoke(readScaleBaseline, { request: request({ desiredCount: 2 }), expected: approved }, clients),
    ).rejects.toMatchObject({
      name: 'PreflightFailed',
      message:
        'app-service changed while the approval was pending: it was approved from 3 tasks (scalable target none) and now wants 5 (scalable target none); nothing was changed: ask again',
    });
  });
});
