import {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientAwsError } from '../../../tasks/errors.ts';
import { applyScale } from '../../../tasks/scale-service/apply-scale.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const ecsMock = mockClient(ECSClient);
const autoscalingMock = mockClient(ApplicationAutoScalingClient);
const clients = testClients();
const base = { cluster: 'prod-cluster', service: 'app-service', desiredCount: 6 };

describe('apply-scale', () => {
  beforeEach(() => {
    ecsMock.reset();
    autoscalingMock.reset();
    ecsMock.on(UpdateServiceCommand).resolves({ service: { desiredCount: 6 } });
    autoscalingMock.on(RegisterScalableTargetCommand).resolves({ ScalableTargetARN: 'arn:t' });
  });

  it('without a scaler, sets only the count: no task definition, no deployment configuration', async () => {
    const result = await invoke(applyScale, { ...base, scalableTarget: null }, clients);
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(ecsMock.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toStrictEqual({
      cluster: 'prod-cluster',
      service: 'app-service',
      desiredCount: 6,
    });
    expect(autoscalingMock).toHaveReceivedCommandTimes(RegisterScalableTargetCommand, 0);
    expect(result).toEqual({ desiredCount: 6, scalableTarget: null });
    expect(applyScale.summarize?.(result)).toBe('desired 6');
  });

  it('with a scaler, sets its bounds first, then the count', async () => {
    const order: string[] = [];
    autoscalingMock.on(RegisterScalableTargetCommand).callsFake(() => {
      order.push('bounds');
      return { ScalableTargetARN: 'arn:t' };
    });
    ecsMock.on(UpdateServiceCommand).callsFake(() => {
      order.push('count');
      return { service: { desiredCount: 6 } };
    });
    const result = await invoke(applyScale, { ...base, scalableTarget: { min: 6, max: 10 } }, clients);
    expect(order).toEqual(['bounds', 'count']);
    expect(autoscalingMock.commandCalls(RegisterScalableTargetCommand)[0]?.args[0].input).toStrictEqual({
      ServiceNamespace: 'ecs',
      ResourceId: 'service/prod-cluster/app-service',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 6,
      MaxCapacity: 10,
    });
    expect(applyScale.summarize?.(result)).toBe('desired 6, scalable target min 6 max 10');
  });

  it('a refused bound changes no count; throttling is transient', async () => {
    autoscalingMock
      .on(RegisterScalableTargetCommand)
      .rejects(awsError('ValidationException', 'Minimum capacity cannot be greater than maximum capacity'));
    await expect(
      invoke(applyScale, { ...base, scalableTarget: { min: 6, max: 10 } }, clients),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(ecsMock).toHaveReceivedCommandTimes(UpdateServiceCommand, 0);
    ecsMock.on(UpdateServiceCommand).rejects(throttled());
    await expect(invoke(applyScale, { ...base, scalableTarget: null }, clients)).rejects.toBeInstanceOf(
      TransientAwsError,
    );
  });
});
