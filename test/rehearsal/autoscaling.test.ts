// The simulated Application Auto Scaling answers as the API documents it, and its scaler does what
// a target-tracking policy does to a manual count: undoes it, unless the bounds hold it.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { type AccountFaults, SimulatedAccount } from '../../rehearsal/account/account.ts';
import { SCALER_SECONDS } from '../../rehearsal/account/autoscaling.ts';

const APP = 'service/enterprise-prod-cluster/app-service';
const accountWith = (faults: AccountFaults = { autoscaling: { scalableTarget: { min: 3, max: 10 } } }) =>
  new SimulatedAccount({ config: loadConfig(), faults, table: 'runbook-state' });
const desired = (account: SimulatedAccount) =>
  account.service('ecs').services.get('enterprise-prod-cluster/app-service')?.desiredCount;
const refused = (call: () => unknown) => {
  try {
    call();
    return 'answered';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('the simulated Application Auto Scaling', () => {
  it('undoes a manual count within the bounds: the policy wants what the load needs', () => {
    const account = accountWith();
    account
      .service('ecs')
      .updateService({ cluster: 'enterprise-prod-cluster', service: 'app-service', desiredCount: 6 });
    // (the clock moves in 5-second ticks: the scaler sees the count at the first)
    account.clock.advance(SCALER_SECONDS);
    expect(desired(account)).toBe(6);
    account.clock.advance(5);
    expect(desired(account)).toBe(3);
    expect(account.moments.list).toEqual([
      expect.objectContaining({
        kind: 'scaled',
        service: 'enterprise-prod-cluster/app-service',
        from: 6,
        to: 3,
      }),
    ]);
  });

  it('keeps a count its bounds hold', () => {
    const account = accountWith();
    const autoscaling = account.service('autoscaling');
    autoscaling.registerScalableTarget({
      ServiceNamespace: 'ecs',
      ResourceId: APP,
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 6,
    });
    account
      .service('ecs')
      .updateService({ cluster: 'enterprise-prod-cluster', service: 'app-service', desiredCount: 6 });
    account.clock.advance(10 * SCALER_SECONDS);
    expect(desired(account)).toBe(6);
  });

  it('new bounds that leave the count outside them bring it inside at once (the API reference)', () => {
    // The load needs 8: only the ceiling explains a count of 4
    const account = accountWith({ autoscaling: { scalableTarget: { min: 3, max: 10 }, loadNeeds: 8 } });
    account.service('autoscaling').registerScalableTarget({
      ServiceNamespace: 'ecs',
      ResourceId: APP,
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 2,
      MaxCapacity: 4,
    });
    expect(desired(account)).toBe(3);
    account.service('autoscaling').registerScalableTarget({
      ServiceNamespace: 'ecs',
      ResourceId: APP,
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 5,
      MaxCapacity: 6,
    });
    expect(desired(account)).toBe(5);
    account.clock.advance(10 * SCALER_SECONDS);
    expect(desired(account)).toBe(6);
  });

  it('a suspended direction is not scaled', () => {
    const account = accountWith();
    account.service('autoscaling').registerScalableTarget({
      ServiceNamespace: 'ecs',
      ResourceId: APP,
      ScalableDimension: 'ecs:service:DesiredCount',
      SuspendedState: { DynamicScalingInSuspended: true },
    });
    account
      .service('ecs')
      .updateService({ cluster: 'enterprise-prod-cluster', service: 'app-service', desiredCount: 6 });
    account.clock.advance(10 * SCALER_SECONDS);
    expect(desired(account)).toBe(6);
  });

  it('describes targets as the API does: by namespace, ids and dimension, in pages of MaxResults', () => {
    const autoscaling = accountWith().service('autoscaling');
    const answer = autoscaling.describeScalableTargets({ ServiceNamespace: 'ecs', ResourceIds: [APP] });
    expect(answer.ScalableTargets).toEqual([
      expect.objectContaining({
        ServiceNamespace: 'ecs',
        ResourceId: APP,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 3,
        MaxCapacity: 10,
        ScalableTargetARN: expect.stringMatching(
          /^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target\/[0-9a-f]{36}$/,
        ),
      }),
    ]);
    expect(
      autoscaling.describeScalableTargets({ ServiceNamespace: 'ecs', ResourceIds: ['service/x/y'] })
        .ScalableTargets,
    ).toEqual([]);
    expect(autoscaling.describeScalableTargets({ ServiceNamespace: 'dynamodb' }).ScalableTargets).toEqual([]);
    expect(
      accountWith({}).service('autoscaling').describeScalableTargets({ ServiceNamespace: 'ecs' })
        .ScalableTargets,
    ).toEqual([]);
    expect(refused(() => autoscaling.describeScalableTargets({}))).toMatch(
      /^ValidationException: .*ServiceNamespace/,
    );
    expect(
      refused(() => autoscaling.describeScalableTargets({ ServiceNamespace: 'ecs', MaxResults: 51 })),
    ).toMatch(/MaxResults/);
    expect(
      refused(() => autoscaling.describeScalableTargets({ ServiceNamespace: 'ecs', NextToken: 'x' })),
    ).toMatch(/^InvalidNextTokenException/);
    expect(
      autoscaling.describeScalingPolicies({ ServiceNamespace: 'ecs', ResourceId: APP }).ScalingPolicies,
    ).toEqual([expect.objectContaining({ PolicyType: 'TargetTrackingScaling', ResourceId: APP })]);
  });

  it('registers as the API does: both bounds for a new target, the minimum never above the maximum, only a service ECS has', () => {
    const autoscaling = accountWith({}).service('autoscaling');
    const ecsTarget = {
      ServiceNamespace: 'ecs',
      ResourceId: APP,
      ScalableDimension: 'ecs:service:DesiredCount',
    };
    expect(refused(() => autoscaling.registerScalableTarget({ ...ecsTarget, MinCapacity: 2 }))).toMatch(
      /MinCapacity and MaxCapacity are required/,
    );
    expect(
      refused(() => autoscaling.registerScalableTarget({ ...ecsTarget, MinCapacity: 5, MaxCapacity: 4 })),
    ).toBe('ValidationException: Minimum capacity cannot be greater than maximum capacity');
    expect(
      refused(() =>
        autoscaling.registerScalableTarget({
          ...ecsTarget,
          ResourceId: 'service/nope/nope',
          MinCapacity: 1,
          MaxCapacity: 2,
        }),
      ),
    ).toMatch(/ECS service doesn't exist/);
    expect(
      refused(() =>
        autoscaling.registerScalableTarget({
          ...ecsTarget,
          ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
          MinCapacity: 1,
          MaxCapacity: 2,
        }),
      ),
    ).toMatch(/Unsupported scalable dimension/);
    const { ScalableTargetARN } = autoscaling.registerScalableTarget({
      ...ecsTarget,
      MinCapacity: 2,
      MaxCapacity: 8,
    });
    expect(ScalableTargetARN).toBe(
      `arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/${autoscaling.idOf(APP)}`,
    );
    expect(autoscaling.report().scalableTargets).toEqual([
      { resourceId: APP, min: 2, max: 8, suspended: false, policies: [] },
    ]);
  });

  it('is authorized as IAM does: RegisterScalableTarget on the scalable target with its namespace and dimension, and the service described and updated', async () => {
    const { loadIamFacts, needsOf, requestsOf } = await import('../../rehearsal/iam/requests.ts');
    await loadIamFacts();
    const account = accountWith();
    const needs = needsOf(
      'autoscaling',
      'RegisterScalableTarget',
      {
        ServiceNamespace: 'ecs',
        ResourceId: APP,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 6,
      },
      account.callEnv,
    );
    const requests = requestsOf(needs, account.callEnv);
    expect(requests.map((r) => [r.action, r.resource])).toEqual([
      [
        'application-autoscaling:RegisterScalableTarget',
        `arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/${account.service('autoscaling').idOf(APP)}`,
      ],
      [
        'ecs:DescribeServices',
        'arn:aws:ecs:us-east-1:123456789012:service/enterprise-prod-cluster/app-service',
      ],
      ['ecs:UpdateService', 'arn:aws:ecs:us-east-1:123456789012:service/enterprise-prod-cluster/app-service'],
    ]);
    expect(requests[0]?.context).toEqual({
      'application-autoscaling:service-namespace': 'ecs',
      'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
    });
  });

  it('puts, replaces and deletes policies, and deregisters targets, as the API does', () => {
    const autoscaling = accountWith({}).service('autoscaling');
    const ecsTarget = {
      ServiceNamespace: 'ecs',
      ResourceId: APP,
      ScalableDimension: 'ecs:service:DesiredCount',
    };
    const tracking = (
      TargetValue: number | undefined,
      PredefinedMetricType = 'ECSServiceAverageCPUUtilization',
    ) => ({
      ...ecsTarget,
      PolicyName: 'p',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue,
        PredefinedMetricSpecification: { PredefinedMetricType },
      },
    });
    // No target yet: nothing to put a policy on, or to delete
    expect(refused(() => autoscaling.putScalingPolicy(tracking(70)))).toMatch(
      /^ObjectNotFoundException: No scalable target registered/,
    );
    expect(refused(() => autoscaling.deregisterScalableTarget(ecsTarget))).toMatch(
      /^ObjectNotFoundException/,
    );
    autoscaling.registerScalableTarget({ ...ecsTarget, MinCapacity: 2, MaxCapacity: 10 });
    expect(refused(() => autoscaling.putScalingPolicy(tracking(undefined)))).toMatch(
      /TargetValue must not be null/,
    );
    expect(
      refused(() => autoscaling.putScalingPolicy(tracking(70, 'RDSReaderAverageCPUUtilization'))),
    ).toMatch(/Unsupported predefined metric/);
    expect(
      refused(() => autoscaling.putScalingPolicy({ ...tracking(70), PolicyType: 'StepScaling' })),
    ).toMatch(/only TargetTrackingScaling/);
    autoscaling.putScalingPolicy(tracking(70));
    autoscaling.putScalingPolicy(tracking(55));
    expect(autoscaling.report().scalableTargets[0]?.policies).toEqual([
      {
        name: 'p',
        metric: 'ECSServiceAverageCPUUtilization',
        targetValue: 55,
        scaleInCooldown: 300,
        scaleOutCooldown: 300,
        disableScaleIn: false,
      },
    ]);
    expect(
      autoscaling.describeScalingPolicies({
        ServiceNamespace: 'ecs',
        ResourceId: APP,
        PolicyNames: ['other'],
      }).ScalingPolicies,
    ).toEqual([]);
    autoscaling.deleteScalingPolicy({ ...ecsTarget, PolicyName: 'p' });
    expect(refused(() => autoscaling.deleteScalingPolicy({ ...ecsTarget, PolicyName: 'p' }))).toMatch(
      /^ObjectNotFoundException: No scaling policy/,
    );
    autoscaling.putScalingPolicy(tracking(70));
    autoscaling.deregisterScalableTarget(ecsTarget);
    expect(autoscaling.report().scalableTargets).toEqual([]);
  });

  it('authorizes policy and target changes on the scalable target, with its condition keys', async () => {
    const { loadIamFacts, needsOf, requestsOf } = await import('../../rehearsal/iam/requests.ts');
    await loadIamFacts();
    const account = accountWith();
    for (const command of ['PutScalingPolicy', 'DeleteScalingPolicy', 'DeregisterScalableTarget']) {
      const input = {
        ServiceNamespace: 'ecs',
        ResourceId: APP,
        ScalableDimension: 'ecs:service:DesiredCount',
        PolicyName: 'p',
      };
      const requests = requestsOf(needsOf('autoscaling', command, input, account.callEnv), account.callEnv);
      expect(requests.map((r) => [r.action, r.resource, r.context])).toEqual([
        [
          `application-autoscaling:${command}`,
          `arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/${account.service('autoscaling').idOf(APP)}`,
          {
            'application-autoscaling:service-namespace': 'ecs',
            'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
          },
        ],
      ]);
    }
  });
});
