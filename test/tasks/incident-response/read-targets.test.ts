import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readTargets } from '../../../tasks/incident-response/read-targets.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { request } from './request.ts';

const elb = mockClient(ElasticLoadBalancingV2Client);
const clients = testClients();
const target = (
  id: string,
  State: string,
  Reason?: string,
  Description?: string,
): TargetHealthDescription => ({
  Target: { Id: id, Port: 8080 },
  TargetHealth: {
    State,
    ...(Reason && { Reason }),
    ...(Description && { Description }),
  } as TargetHealthDescription['TargetHealth'],
});

describe('read-targets', () => {
  beforeEach(() => {
    elb.reset();
  });

  it("reads the service's target group and counts the unhealthy targets by ELB's reason", async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        target('10.0.0.1', 'healthy'),
        target(
          '10.0.0.2',
          'unhealthy',
          'Target.ResponseCodeMismatch',
          'Health checks failed with these codes: [502]',
        ),
        target(
          '10.0.0.3',
          'unhealthy',
          'Target.ResponseCodeMismatch',
          'Health checks failed with these codes: [502]',
        ),
        target('10.0.0.4', 'draining', 'Target.DeregistrationInProgress'),
      ],
    });
    const section = await invoke(readTargets, { request }, clients);
    expect(elb.commandCalls(DescribeTargetHealthCommand)[0]?.args[0].input).toEqual({
      TargetGroupArn: request.targetGroupArn,
    });
    expect(section.attention).toEqual([
      '2 unhealthy: Target.ResponseCodeMismatch: Health checks failed with these codes: [502]',
    ]);
    expect(section.lines).toEqual([
      '4 targets: 1 healthy, 2 unhealthy, 1 draining',
      '10.0.0.2:8080 unhealthy Target.ResponseCodeMismatch',
      '10.0.0.3:8080 unhealthy Target.ResponseCodeMismatch',
      '10.0.0.4:8080 draining Target.DeregistrationInProgress',
    ]);
  });

  it('no healthy target stands out, with the fail-open warning; none registered too', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    const section = await invoke(readTargets, { request }, clients);
    expect(section.attention).toEqual([
      'no healthy target of 0 (the load balancer fails open: requests still go to unhealthy ones)',
    ]);
    expect(section.lines).toEqual(['0 targets: none registered']);
  });

  it('all healthy: nothing stands out', async () => {
    elb.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [target('10.0.0.1', 'healthy'), target('10.0.0.2', 'healthy')],
    });
    expect((await invoke(readTargets, { request }, clients)).attention).toEqual([]);
  });
});
