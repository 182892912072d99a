// Simulated CloudWatch metrics, as GetMetricData answers them: ECS's CPUUtilization and
// MemoryUtilization of each service with tasks running, and of a cluster whose tasks run on EC2
// (a Fargate-only cluster publishes none), RDS's CPUUtilization,
// DatabaseConnections and FreeStorageSpace of each instance RDS has (not while it is being created),
// S3's daily BucketSizeBytes of each bucket the config watches, and each application load balancer's
// RequestCount, HTTPCode_Target_5XX_Count, HTTPCode_ELB_5XX_Count and TargetResponseTime (of the
// load balancer, and of each of its target groups). A count ELB did not see in a minute is not
// published for it (no datapoint, rather than a zero), as ELB's count metrics are. Values follow a slow daily wave
// around ordinary levels, or what a scenario sets. A metric identified by anything else (another
// namespace, name or set of dimensions: CloudWatch matches the whole set) has no datapoints, and is
// answered Complete and empty, as CloudWatch answers for a metric that was never published.
//
// Where the documentation gives no figure, the pessimistic reading: a minute's ECS or RDS sample is
// readable only MINUTE_LAG after its minute; a day's S3 size (timestamped at 00:00 UTC) only
// DAILY_LAG after that; 1-minute samples are kept 15 days, as documented, and older ones are not
// aggregated into coarser periods here (nothing reads them).
import type { Config } from '../../infra/config.ts';
import type { SimulatedEcs } from './ecs.ts';
import type { SimulatedElb } from './elb.ts';
import { awsError } from './errors.ts';
import type { SimulatedRds } from './rds.ts';

/** How a scenario makes the environment's figures look. */
export interface MetricsFaults {
  /** Every configured service's CPU, in percent, over the two hours before the rehearsal started and since. */
  readonly serviceCpuPercent?: number;
  /** Every configured database's free storage, in GiB, when the rehearsal starts: down steadily over the week before. */
  readonly freeStorageGiB?: number;
  /** The watched buckets have no size metric (S3 has not reported one: a new bucket, or metrics off). */
  readonly bucketMissing?: boolean;
  /**
   * Since this many minutes before the rehearsal started, the load balancers' targets answer this
   * share of requests with a 5xx, and this slowly: an incident's traffic.
   */
  readonly loadBalancer?: {
    readonly sinceMinutes: number;
    readonly target5xxPercent: number;
    readonly elb5xxPercent: number;
    readonly responseSeconds: number;
  };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GIB = 1024 ** 3;
/** A minute's ECS or RDS sample is readable this long after the minute (no documented bound; pessimistic). */
export const MINUTE_LAG = 3 * MINUTE;
/** S3 reports a bucket's size once a day; readable this long after the day it is stamped with began (pessimistic). */
export const DAILY_LAG = 30 * HOUR;
/** CloudWatch keeps 1-minute datapoints for 15 days. */
const MINUTE_RETENTION = 15 * DAY;
/** GetMetricData's limits: queries in one call, datapoints in one page unless MaxDatapoints says fewer. */
const MAX_QUERIES = 500;
const MAX_DATAPOINTS = 100_800;
const STATS = new Set(['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount']);

/** A metric's raw samples: one every `every` ms (on multiples of it), readable `lag` after it. */
interface Series {
  readonly every: number;
  readonly lag: number;
  /** The sample at `t`, or undefined when there was none. */
  readonly at: (t: number) => number | undefined;
}

/** What of a GetMetricData request it reads. */
interface GetMetricDataInput {
  MetricDataQueries?: {
    Id?: string;
    MetricStat?: {
      Metric?: { Namespace?: string; MetricName?: string; Dimensions?: { Name?: string; Value?: string }[] };
      Period?: number;
      Stat?: string;
    };
    Expression?: string;
    ReturnData?: boolean;
  }[];
  StartTime?: Date | string | number;
  EndTime?: Date | string | number;
  NextToken?: string;
  ScanBy?: string;
  MaxDatapoints?: number;
}

/** A slow wave of `amplitude` around `level`, one cycle each `cycle` ms: the same moment of each day is alike. */
const wave = (level: number, amplitude: number, cycle: number) => (t: number) =>
  level + amplitude * Math.sin((2 * Math.PI * t) / cycle);

export class SimulatedMetrics {
  private readonly startedAt: number;
  private readonly buckets: Set<string>;
  private readonly services: Set<string>;
  private readonly databases: Set<string>;

  constructor(
    config: Config,
    private readonly faults: MetricsFaults | undefined,
    private readonly ecs: SimulatedEcs,
    private readonly rds: SimulatedRds,
    private readonly elb: SimulatedElb,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
    const envs = Object.values(config.environments);
    this.buckets = new Set(
      faults?.bucketMissing ? [] : envs.flatMap((e) => e.resourceUsage.buckets.map((b) => b.bucket)),
    );
    this.services = new Set(
      envs.flatMap((e) => Object.values(e.services).map((s) => `${s.cluster}/${s.service}`)),
    );
    this.databases = new Set(
      envs.flatMap((e) => [
        ...Object.values(e.databases).map((d) => d.instance.toLowerCase()),
        ...Object.values(e.services).flatMap((s) => (s.database ? [s.database.toLowerCase()] : [])),
      ]),
    );
  }

  private serviceCpu(key: string) {
    const ordinary = wave(35, 4, 6 * HOUR);
    const hot = this.faults?.serviceCpuPercent;
    return (t: number) =>
      hot !== undefined && this.services.has(key) && t >= this.startedAt - 2 * HOUR
        ? wave(hot, 1, HOUR)(t)
        : ordinary(t);
  }

  private freeStorage(instance: string) {
    const low = this.faults?.freeStorageGiB;
    return (t: number) => {
      const ordinary = 60 - (0.05 * (t - this.startedAt)) / DAY;
      if (low === undefined || !this.databases.has(instance)) return ordinary * GIB;
      // Down in a straight line from the ordinary level a week before the rehearsal to `low` at its start.
      const weekAgo = this.startedAt - 7 * DAY;
      const share = Math.min(1, Math.max(0, (t - weekAgo) / (7 * DAY)));
      return (ordinary + (low - ordinary) * share) * GIB;
    };
  }

  /** A load balancer's (or one of its target groups') figures; dimensions as ELB's: app/<name>/<id>, targetgroup/<name>/<id>. */
  private loadBalancerSeries(
    metricName: string,
    names: string,
    dims: Record<string, string>,
  ): Series | undefined {
    if (names !== 'LoadBalancer' && names !== 'LoadBalancer,TargetGroup') return;
    const lb = [...this.elb.loadBalancers.keys()].find(
      (arn) => arn.split(':loadbalancer/')[1] === dims.LoadBalancer,
    );
    const groups = [...this.elb.targetGroups].filter(
      ([arn, g]) =>
        lb !== undefined &&
        g.loadBalancerArns.includes(lb) &&
        (names === 'LoadBalancer' || arn.endsWith(`:${dims.TargetGroup}`)),
    );
    if (groups.length === 0) return;
    const trouble = this.faults?.loadBalancer;
    const since = this.startedAt - (trouble?.sinceMinutes ?? 0) * MINUTE;
    const troubled = (t: number) => trouble !== undefined && t >= since;
    const requests = (t: number) => groups.length * Math.round(wave(1200, 200, 6 * HOUR)(t));
    const count = (n: number) => (n > 0 ? n : undefined);
    const minute = (t: number) => Math.floor(t / MINUTE);
    const perMinute = (at: (t: number) => number | undefined): Series => ({
      every: MINUTE,
      lag: MINUTE_LAG,
      at,
    });
    if (metricName === 'RequestCount') return perMinute(requests);
    if (metricName === 'HTTPCode_Target_5XX_Count')
      // Ordinarily an odd error now and then: one in some minutes, none in most.
      return perMinute((t) =>
        count(
          troubled(t)
            ? Math.round((requests(t) * (trouble?.target5xxPercent ?? 0)) / 100)
            : Number(minute(t) % 9 === 0),
        ),
      );
    if (metricName === 'HTTPCode_ELB_5XX_Count' && names === 'LoadBalancer')
      return perMinute((t) =>
        count(troubled(t) ? Math.round((requests(t) * (trouble?.elb5xxPercent ?? 0)) / 100) : 0),
      );
    if (metricName === 'TargetResponseTime')
      return perMinute((t) => (troubled(t) ? (trouble?.responseSeconds ?? 0) : wave(0.12, 0.02, HOUR)(t)));
    return;
  }

  /** The series a metric identity names, or undefined when nothing publishes it. */
  private seriesOf(namespace: string, metricName: string, dims: Record<string, string>): Series | undefined {
    const names = Object.keys(dims).sort().join(',');
    const perMinute = (at: (t: number) => number | undefined): Series => ({
      every: MINUTE,
      lag: MINUTE_LAG,
      at,
    });
    if (namespace === 'AWS/ECS') {
      if (names !== 'ClusterName' && names !== 'ClusterName,ServiceName') return;
      const running = [...this.ecs.tasks.values()].filter((t) => t.lastStatus === 'RUNNING');
      // A service publishes while it has tasks running. A cluster's own figure is of its EC2
      // capacity (ECS Developer Guide: cluster utilization is per registered container instance):
      // only a cluster whose tasks run on EC2 has one, and then it is its services' average here.
      const services = [...this.ecs.services.values()].filter(
        (s) =>
          s.cluster === dims.ClusterName &&
          (names === 'ClusterName' || s.name === dims.ServiceName) &&
          running.some(
            (t) => t.serviceKey === s.key && (names !== 'ClusterName' || t.placement !== undefined),
          ),
      );
      if (services.length === 0) return;
      const one =
        metricName === 'CPUUtilization'
          ? (key: string) => this.serviceCpu(key)
          : metricName === 'MemoryUtilization'
            ? () => wave(55, 2, 12 * HOUR)
            : undefined;
      if (!one) return;
      const each = services.map((s) => one(`${s.cluster}/${s.name}`));
      return perMinute((t) => each.reduce((sum, f) => sum + f(t), 0) / each.length);
    }
    if (namespace === 'AWS/RDS' && names === 'DBInstanceIdentifier') {
      const instance = this.rds.instances.get(dims.DBInstanceIdentifier ?? '');
      if (!instance || instance.status === 'creating') return;
      const id = instance.id.toLowerCase();
      if (metricName === 'CPUUtilization') return perMinute(wave(30, 5, 6 * HOUR));
      if (metricName === 'DatabaseConnections') return perMinute((t) => Math.round(wave(38, 4, HOUR)(t)));
      if (metricName === 'FreeStorageSpace') return perMinute(this.freeStorage(id));
      return;
    }
    if (namespace === 'AWS/ApplicationELB') return this.loadBalancerSeries(metricName, names, dims);
    if (
      namespace === 'AWS/S3' &&
      metricName === 'BucketSizeBytes' &&
      names === 'BucketName,StorageType' &&
      dims.StorageType === 'StandardStorage' &&
      this.buckets.has(dims.BucketName ?? '')
    )
      return {
        every: DAY,
        lag: DAILY_LAG,
        at: (t) => Math.round((120 + (0.4 * (t - this.startedAt)) / DAY) * GIB),
      };
    return;
  }

  /**
   * As CloudWatch answers it: 1 to 500 queries with unique ids that start with a lower-case letter;
   * a period of at least 60 seconds a multiple of 60 (no high-resolution metrics here); a start before
   * the end, both rounded down to the minute; each period's statistic over the samples readable by
   * now, in periods from the start; the datapoints ordered as ScanBy says (newest first by default),
   * in pages of MaxDatapoints, a query whose datapoints go on in the next page marked PartialData.
   */
  getMetricData(input: GetMetricDataInput) {
    const queries = input.MetricDataQueries ?? [];
    if (queries.length < 1 || queries.length > MAX_QUERIES)
      throw awsError(
        'ValidationError',
        `The collection MetricDataQueries must have 1 to ${MAX_QUERIES} members.`,
      );
    const ids = new Set<string>();
    for (const [n, q] of queries.entries()) {
      const id = q.Id ?? '';
      if (!/^[a-z][a-zA-Z0-9_]*$/.test(id))
        throw awsError(
          'ValidationError',
          `The value ${JSON.stringify(id)} for parameter MetricDataQueries.member.${n + 1}.Id is invalid: it must start with a lower-case letter and hold only letters, digits and underscores.`,
        );
      if (ids.has(id))
        throw awsError('ValidationError', 'The values for parameter id in MetricDataQueries are not unique.');
      ids.add(id);
      if (q.Expression !== undefined)
        throw awsError(
          'ValidationError',
          'the simulated account evaluates no metric math or Metrics Insights expressions',
        );
      const period = q.MetricStat?.Period ?? 0;
      if (period < 60 || period % 60 !== 0)
        throw awsError(
          'ValidationError',
          `The value ${period} for parameter MetricDataQueries.member.${n + 1}.MetricStat.Period must be a multiple of 60.`,
        );
      if (!STATS.has(q.MetricStat?.Stat ?? ''))
        throw awsError(
          'ValidationError',
          `The statistic ${JSON.stringify(q.MetricStat?.Stat)} is not supported here.`,
        );
    }
    const floorMinute = (t: Date | string | number | undefined) =>
      Math.floor(new Date(t ?? Number.NaN).getTime() / MINUTE) * MINUTE;
    const start = floorMinute(input.StartTime);
    const end = floorMinute(input.EndTime);
    if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end)
      throw awsError('ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
    const max = input.MaxDatapoints ?? MAX_DATAPOINTS;
    if (!Number.isInteger(max) || max < 1)
      throw awsError('ValidationError', `The value ${max} for parameter MaxDatapoints must be at least 1.`);
    const now = this.now();
    const ascending = input.ScanBy === 'TimestampAscending';
    const all = queries.map((q) => {
      const stat = q.MetricStat ?? {};
      const metric = stat.Metric ?? {};
      const dims = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
      const series = this.seriesOf(metric.Namespace ?? '', metric.MetricName ?? '', dims);
      const period = (stat.Period ?? 60) * 1000;
      const points: { t: number; v: number }[] = [];
      for (let from = start; series && from < end; from += period) {
        const to = Math.min(from + period, end);
        const samples: number[] = [];
        for (let t = Math.ceil(from / series.every) * series.every; t < to; t += series.every) {
          const v =
            t + series.lag <= now && (series.every > MINUTE || now - t <= MINUTE_RETENTION)
              ? series.at(t)
              : undefined;
          if (v !== undefined) samples.push(v);
        }
        if (samples.length > 0) points.push({ t: from, v: statistic(stat.Stat ?? '', samples) });
      }
      if (!ascending) points.reverse();
      return { id: q.Id ?? '', label: metric.MetricName ?? '', points, returned: q.ReturnData !== false };
    });
    // The pages: every query's datapoints in turn, `max` a page; the token is where the next page starts.
    const skip = Number(input.NextToken ?? 0);
    if (!Number.isInteger(skip) || skip < 0)
      throw awsError('InvalidNextToken', 'The service cannot find the next token.');
    const returned = all.filter((q) => q.returned);
    const total = returned.reduce((n, q) => n + q.points.length, 0);
    if (skip > 0 && skip >= total)
      throw awsError('InvalidNextToken', 'The service cannot find the next token.');
    let offset = 0;
    const results = returned.flatMap((q) => {
      const from = Math.max(skip - offset, 0);
      const to = Math.min(skip + max - offset, q.points.length);
      offset += q.points.length;
      // A query with no datapoints is answered, Complete and empty, on the first page.
      if (q.points.length === 0)
        return skip === 0
          ? [{ Id: q.id, Label: q.label, Timestamps: [], Values: [], StatusCode: 'Complete' }]
          : [];
      if (from >= to) return [];
      const page = q.points.slice(from, to);
      return [
        {
          Id: q.id,
          Label: q.label,
          Timestamps: page.map((p) => new Date(p.t)),
          Values: page.map((p) => p.v),
          StatusCode: to < q.points.length ? 'PartialData' : 'Complete',
        },
      ];
    });
    const next = skip + max;
    return { MetricDataResults: results, Messages: [], ...(next < total && { NextToken: String(next) }) };
  }
}

/** One period's statistic over its samples. */
function statistic(stat: string, samples: number[]): number {
  if (stat === 'Maximum') return Math.max(...samples);
  if (stat === 'Minimum') return Math.min(...samples);
  if (stat === 'SampleCount') return samples.length;
  const sum = samples.reduce((a, b) => a + b, 0);
  return stat === 'Sum' ? sum : sum / samples.length;
}
