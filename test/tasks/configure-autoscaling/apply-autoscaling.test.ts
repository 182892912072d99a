import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyAutoScaling } from '../../../tasks/configure-autoscaling/apply-autoscaling.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients } from '../support.ts';

const mock = mockClient(ApplicationAutoScalingClient);
const clients = testClients();
const RESOURCE = {
  ServiceNamespace: 'ecs',
  ResourceId: 'service/prod-cluster/app-service',
  ScalableDimension: 'ecs:service:DesiredCount',
};
const base = { cluster: 'prod-cluster', service: 'app-service' };
const wanted = {
  target: { min: 2, max: 10 },
  suspended: false,
  policy: {
    metric: 'ECSServiceAverageCPUUtilization',
    targetValue: 70,
    scaleInCooldownSeconds: 300,
    scaleOutCooldownSeconds: 60,
  },
};
const none = { target: null, suspended: false, policy: null };
const sent = () =>
  mock.calls().map((c) => {
    const command = c.args[0] as { constructor: { name: string }; input: unknown };
    return [command.constructor.name.replace(/Command$/, ''), command.input];
  });

describe('apply-autoscaling', () => {
  beforeEach(() => {
    mock.reset();
    mock.onAnyCommand().resolves({});
  });

  it('from nothing: registers the target, then puts the target-tracking policy, with the exact inputs', async () => {
    const result = await invoke(applyAutoScaling, { ...base, from: none, to: wanted }, clients);
    expect(sent()).toEqual([
      ['RegisterScalableTarget', { ...RESOURCE, MinCapacity: 2, MaxCapacity: 10 }],
      [
        'PutScalingPolicy',
        {
          ...RESOURCE,
          PolicyName: 'runbook-target-tracking',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: {
            TargetValue: 70,
            PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
            ScaleInCooldown: 300,
            ScaleOutCooldown: 60,
            DisableScaleIn: false,
          },
        },
      ],
    ]);
    expect(applyAutoScaling.summarize?.(result)).toBe(
      'scalable target min 2, max 10; policy runbook-target-tracking: ECSServiceAverageCPUUtilization at 70 %',
    );
  });

  it('only what differs: the same bounds are not registered again', async () => {
    await invoke(
      applyAutoScaling,
      { ...base, from: { ...wanted, policy: { ...wanted.policy, targetValue: 60 } }, to: wanted },
      clients,
    );
    expect(sent().map(([name]) => name)).toEqual(['PutScalingPolicy']);
    mock.resetHistory();
    const result = await invoke(applyAutoScaling, { ...base, from: wanted, to: wanted }, clients);
    expect(sent()).toEqual([]);
    expect(applyAutoScaling.summarize?.(result)).toBe('nothing to set');
  });

  it('putting back a target the run created deregisters it (and its policies with it)', async () => {
    await invoke(applyAutoScaling, { ...base, from: wanted, to: none }, clients);
    expect(sent()).toEqual([['DeregisterScalableTarget', RESOURCE]]);
  });

  it('putting back a policy the run created deletes it, and the old bounds are set again', async () => {
    await invoke(
      applyAutoScaling,
      { ...base, from: wanted, to: { target: { min: 3, max: 10 }, suspended: false, policy: null } },
      clients,
    );
    expect(sent()).toEqual([
      ['DeleteScalingPolicy', { ...RESOURCE, PolicyName: 'runbook-target-tracking' }],
      ['RegisterScalableTarget', { ...RESOURCE, MinCapacity: 3, MaxCapacity: 10 }],
    ]);
  });

  it('a thing already gone is done (a retry); any other refusal keeps its name', async () => {
    mock
      .on(DeregisterScalableTargetCommand)
      .rejects(awsError('ObjectNotFoundException', 'No scalable target registered'));
    await expect(invoke(applyAutoScaling, { ...base, from: wanted, to: none }, clients)).resolves.toEqual({
      done: ['scalable target deregistered'],
    });
    mock.on(DeleteScalingPolicyCommand).rejects(awsError('ObjectNotFoundException', 'No scaling policy'));
    await expect(
      invoke(applyAutoScaling, { ...base, from: wanted, to: { ...wanted, policy: null } }, clients),
    ).resolves.toEqual({ done: ['policy runbook-target-tracking deleted'] });
    mock.on(PutScalingPolicyCommand).rejects(awsError('ValidationException', 'bad'));
    await expect(
      invoke(applyAutoScaling, { ...base, from: none, to: wanted }, clients),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(mock).toHaveReceivedCommand(RegisterScalableTargetCommand);
  });

  it('resumes suspended dynamic scaling with the same bounds, naming only the dynamic directions', async () => {
    await invoke(applyAutoScaling, { ...base, from: { ...wanted, suspended: true }, to: wanted }, clients);
    expect(sent()).toEqual([
      [
        'RegisterScalableTarget',
        {
          ...RESOURCE,
          MinCapacity: 2,
          MaxCapacity: 10,
          SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false },
        },
      ],
    ]);
  });
});
