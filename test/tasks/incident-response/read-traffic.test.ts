import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readTraffic } from '../../../tasks/incident-response/read-traffic.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { at, now, request } from './request.ts';

const elb = mockClient(ElasticLoadBalancingV2Client);
const cloudwatch = mockClient(CloudWatchClient);
const clients = testClients();
const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/prod-alb/50dc6c495c0c9188';

/** One value for every minute of the hour, newest first, as the worker asks. */
const minutes = (value: (minutesBefore: number) => number | undefined) => {
  const points = Array.from({ length: 60 }, (_, i) => ({ t: at(i + 1), v: value(i + 1) })).filter(
    (p) => p.v !== undefined,
  );
  return { Timestamps: points.map((p) => p.t), Values: points.map((p) => p.v as number) };
};

function answer(figures: Record<string, (minutesBefore: number) => number | undefined>) {
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: Object.entries(figures).map(([Id, f]) => ({
      Id,
      StatusCode: 'Complete',
      ...minutes(f),
    })),
  });
}

const quiet = {
  requests: () => 1000,
  target5xx: (m: number) => (m % 10 === 0 ? 1 : undefined),
  elb5xx: () => undefined,
  latency: () => 0.1,
  latencyMax: () => 0.2,
  cpu: () => 40,
  memory: () => 50,
};

describe('read-traffic', () => {
  beforeEach(() => {
    elb.reset();
    cloudwatch.reset();
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ LoadBalancerArns: [LB] }] });
  });

  it("asks for the load balancer's and the service's figures of the last hour, per minute, in one call", async () => {
    answer(quiet);
    const section = await invoke(readTraffic, { request, now }, clients);
    expect(elb.commandCalls(DescribeTargetGroupsCommand)[0]?.args[0].input).toEqual({
      TargetGroupArns: [request.targetGroupArn],
    });
    const sent = cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      StartTime: at(60),
      EndTime: new Date(now),
      ScanBy: 'TimestampDescending',
    });
    const lb = [{ Name: 'LoadBalancer', Value: 'app/prod-alb/50dc6c495c0c9188' }];
    const tg = [...lb, { Name: 'TargetGroup', Value: 'targetgroup/enterprise-prod-app/6d0ecf831eec9f09' }];
    const svc = [
      { Name: 'ClusterName', Value: 'enterprise-prod-cluster' },
      { Name: 'ServiceName', Value: 'app-service' },
    ];
    expect(
      sent[0]?.MetricDataQueries?.map((q) => [
        q.Id,
        q.MetricStat?.Metric?.MetricName,
        q.MetricStat?.Stat,
        q.MetricStat?.Period,
        q.MetricStat?.Metric?.Dimensions,
      ]),
    ).toEqual([
      ['requests', 'RequestCount', 'Sum', 60, tg],
      ['target5xx', 'HTTPCode_Target_5XX_Count', 'Sum', 60, tg],
      ['elb5xx', 'HTTPCode_ELB_5XX_Count', 'Sum', 60, lb],
      ['latency', 'TargetResponseTime', 'Average', 60, tg],
      ['latencyMax', 'TargetResponseTime', 'Maximum', 60, tg],
      ['cpu', 'CPUUtilization', 'Average', 60, svc],
      ['memory', 'MemoryUtilization', 'Average', 60, svc],
    ]);
    expect(section.attention).toEqual([]);
    expect(section.lines[0]).toBe(
      'last 60 minutes: 60000 requests, 6 target 5xx, 0 load balancer 5xx (0.0 %)',
    );
  });

  it('5xx above 1 % of requests, slow responses and a busy CPU in the last 15 minutes stand out', async () => {
    answer({
      ...quiet,
      target5xx: (m) => (m <= 15 ? 30 : undefined),
      elb5xx: (m) => (m <= 15 ? 1 : undefined),
      latency: (m) => (m <= 15 ? 2 : 0.1),
      cpu: (m) => (m <= 15 ? 95 : 40),
    });
    const section = await invoke(readTraffic, { request, now }, clients);
    expect(section.attention).toEqual([
      '465 5xx in the last 15 minutes (3.1 % of 15000 requests)',
      'responses take 2.00 s on average in the last 15 minutes',
      "the service's CPU is at 95 % on average in the last 15 minutes",
    ]);
  });

  it('a busy memory stands out as the CPU does', async () => {
    answer({ ...quiet, memory: (m) => (m <= 15 ? 91 : 50) });
    expect((await invoke(readTraffic, { request, now }, clients)).attention).toEqual([
      "the service's memory is at 91 % on average in the last 15 minutes",
    ]);
  });

  it('exactly 1 % of requests is not above it', async () => {
    answer({ ...quiet, target5xx: (m) => (m <= 15 ? 10 : undefined) });
    expect((await invoke(readTraffic, { request, now }, clients)).attention).toEqual([]);
  });

  it('no requests at all stands out; so does a target group on no load balancer', async () => {
    answer({ ...quiet, requests: () => undefined, target5xx: () => undefined });
    expect((await invoke(readTraffic, { request, now }, clients)).attention).toEqual([
      'no requests in the last 15 minutes',
    ]);
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ LoadBalancerArns: [] }] });
    const none = await invoke(readTraffic, { request, now }, clients);
    expect(none.attention).toEqual([
      'the target group is attached to no load balancer: no traffic reaches the service',
    ]);
  });

  it('follows the pages CloudWatch gives', async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'requests', ...minutes(() => 500) }], NextToken: 'next' })
      .resolves({ MetricDataResults: [{ Id: 'requests', ...minutes(() => 500) }] });
    const section = await invoke(readTraffic, { request, now }, clients);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    expect(section.lines[0]).toMatch(/^last 60 minutes: 60000 requests/);
  });
});
