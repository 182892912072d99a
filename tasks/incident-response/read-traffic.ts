// Diagnostics, the runbook's "Check system metrics": the service's target group on its load
// balancer, the load balancer, and the service itself over the last hour, in one GetMetricData
// call: requests and the targets' 5xx (of the service's target group), the load balancer's own 5xx
// (sums per minute), the targets' response time (average and worst per minute),
// and the service's CPU and memory (ECS's, average per minute). ELB publishes a count only for
// minutes that had one, so a minute with no datapoint is a zero. What stands out, in the last 15
// minutes: 5xx above ERROR_SHARE of the requests, responses slower than SLOW_SECONDS, CPU or memory
// above BUSY_PERCENT (the runbook's "High CPU/Memory").
import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { consoleUrl } from '../console.ts';
import { aws } from '../errors.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { IncidentRequestSchema } from './input.ts';
import { section, summarizeSection, windowOf } from './sections.ts';

export const TRAFFIC_MINUTES = 60;
/** The recent stretch judged, within the hour read. */
const RECENT_MINUTES = 15;
/** 5xx above this share of requests stands out. */
export const ERROR_SHARE = 0.01;
/** An average response time above this stands out. */
export const SLOW_SECONDS = 1;
/** A service's average CPU or memory above this stands out. */
export const BUSY_PERCENT = 80;

/**
 * The figures, and what they are of: the service's own target group on its load balancer (a shared
 * load balancer's other services are not this one's), the load balancer itself for its own 5xx
 * (ELB publishes those per load balancer), the ECS service.
 */
const METRICS = {
  requests: { of: 'targets', name: 'RequestCount', stat: 'Sum' },
  target5xx: { of: 'targets', name: 'HTTPCode_Target_5XX_Count', stat: 'Sum' },
  elb5xx: { of: 'loadBalancer', name: 'HTTPCode_ELB_5XX_Count', stat: 'Sum' },
  latency: { of: 'targets', name: 'TargetResponseTime', stat: 'Average' },
  latencyMax: { of: 'targets', name: 'TargetResponseTime', stat: 'Maximum' },
  cpu: { of: 'service', name: 'CPUUtilization', stat: 'Average' },
  memory: { of: 'service', name: 'MemoryUtilization', stat: 'Average' },
} as const;
type Figure = keyof typeof METRICS;

export const readTraffic = defineWorker({
  name: 'read-traffic',
  entry: import.meta.url,
  actions: ['elasticloadbalancing:DescribeTargetGroups', 'cloudwatch:GetMetricData'],
  input: z.object({ request: IncidentRequestSchema, now: z.iso.datetime({ offset: true }) }),
  run: async ({ request, now }, { elb, cloudwatch }) => {
    const groups = await aws('ELBv2 DescribeTargetGroups', () =>
      elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [request.targetGroupArn] })),
    );
    const lbArn = groups.TargetGroups?.[0]?.LoadBalancerArns?.[0];
    const follow = consoleUrl(request.region, `cloudwatch/home?region=${request.region}#alarmsV2:`);
    if (!lbArn)
      return section('traffic', 'Load balancer traffic, last hour', {
        attention: ['the target group is attached to no load balancer: no traffic reaches the service'],
        lines: [],
        follow,
      });
    const loadBalancer = lbArn.split(':loadbalancer/')[1] ?? lbArn;
    const { start, end } = windowOf(now, TRAFFIC_MINUTES);
    // Whole minutes: CloudWatch rounds the window down to the period.
    const onLoadBalancer = [{ Name: 'LoadBalancer', Value: loadBalancer }];
    const dimensions = {
      loadBalancer: onLoadBalancer,
      targets: [...onLoadBalancer, { Name: 'TargetGroup', Value: request.targetGroupArn.split(':').pop() }],
      service: [
        { Name: 'ClusterName', Value: request.cluster },
        { Name: 'ServiceName', Value: request.serviceName },
      ],
    };
    const queries: MetricDataQuery[] = Object.entries(METRICS).map(([id, m]) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: m.of === 'service' ? 'AWS/ECS' : 'AWS/ApplicationELB',
          MetricName: m.name,
          Dimensions: dimensions[m.of],
        },
        Period: 60,
        Stat: m.stat,
      },
    }));
    const series: Record<Figure, { t: number; v: number }[]> = {
      requests: [],
      target5xx: [],
      elb5xx: [],
      latency: [],
      latencyMax: [],
      cpu: [],
      memory: [],
    };
    let token: string | undefined;
    // Seven queries of at most 60 datapoints: one page, unless CloudWatch pages anyway.
    for (let page = 0; page < 10; page++) {
      const answer = await aws('CloudWatch GetMetricData', () =>
        cloudwatch.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: start,
            EndTime: end,
            ScanBy: 'TimestampDescending',
            ...(token && { NextToken: token }),
          }),
        ),
      );
      for (const r of answer.MetricDataResults ?? []) {
        const into = series[r.Id as Figure];
        (r.Timestamps ?? []).forEach((t, i) => {
          into?.push({ t: t.getTime(), v: r.Values?.[i] ?? 0 });
        });
      }
      token = answer.NextToken;
      if (!token) break;
    }
    const recentFrom = Date.parse(now) - RECENT_MINUTES * 60_000;
    const sum = (f: Figure, from = 0) => series[f].filter((p) => p.t >= from).reduce((n, p) => n + p.v, 0);
    const avg = (f: Figure, from = 0) => {
      const points = series[f].filter((p) => p.t >= from);
      return points.length === 0 ? null : points.reduce((n, p) => n + p.v, 0) / points.length;
    };
    const worst = series.latencyMax.reduce((m, p) => Math.max(m, p.v), 0);
    const share = (errors: number, requests: number) =>
      requests > 0 ? `${((100 * errors) / requests).toFixed(1)} %` : 'no requests';
    const recentRequests = sum('requests', recentFrom);
    const recent5xx = sum('target5xx', recentFrom) + sum('elb5xx', recentFrom);
    const recentLatency = avg('latency', recentFrom);
    const attention = [
      ...(recent5xx > ERROR_SHARE * recentRequests && recent5xx > 0
        ? [
            `${recent5xx} 5xx in the last ${RECENT_MINUTES} minutes (${share(recent5xx, recentRequests)} of ${recentRequests} requests)`,
          ]
        : []),
      ...(recentLatency !== null && recentLatency > SLOW_SECONDS
        ? [`responses take ${recentLatency.toFixed(2)} s on average in the last ${RECENT_MINUTES} minutes`]
        : []),
      ...(recentRequests === 0 ? [`no requests in the last ${RECENT_MINUTES} minutes`] : []),
      ...(['cpu', 'memory'] as const).flatMap((f) => {
        const recent = avg(f, recentFrom);
        return recent !== null && recent > BUSY_PERCENT
          ? [
              `the service's ${f === 'cpu' ? 'CPU' : 'memory'} is at ${recent.toFixed(0)} % on average in the last ${RECENT_MINUTES} minutes`,
            ]
          : [];
      }),
    ];
    const percent = (f: Figure, from = 0) => {
      const v = avg(f, from);
      return v === null ? 'no datapoints' : `${v.toFixed(0)} %`;
    };
    const hourLatency = avg('latency');
    const lines = [
      `last ${TRAFFIC_MINUTES} minutes: ${sum('requests')} requests, ${sum('target5xx')} target 5xx, ${sum('elb5xx')} load balancer 5xx (${share(sum('target5xx') + sum('elb5xx'), sum('requests'))})`,
      `response time: ${hourLatency === null ? 'no datapoints' : `${hourLatency.toFixed(3)} s on average`}, ${worst.toFixed(3)} s at worst (per-minute maximum)`,
      `last ${RECENT_MINUTES} minutes: ${recentRequests} requests, ${recent5xx} 5xx, ${recentLatency === null ? 'no response time' : `${recentLatency.toFixed(3)} s on average`}`,
      `the service's CPU ${percent('cpu')} and memory ${percent('memory')} on average over the hour; ${percent('cpu', recentFrom)} and ${percent('memory', recentFrom)} in the last ${RECENT_MINUTES} minutes`,
    ];
    return section('traffic', `Traffic and load, last hour (${loadBalancer}; ${request.serviceName})`, {
      attention,
      lines,
      follow: consoleUrl(
        request.region,
        `ec2/home?region=${request.region}#LoadBalancer:loadBalancerArn=${encodeURIComponent(lbArn)};tab=monitoring`,
      ),
    });
  },
  summarize: summarizeSection,
});

export const handler = lambdaHandler(readTraffic);
