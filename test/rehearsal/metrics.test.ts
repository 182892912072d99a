// The simulated CloudWatch answers GetMetricData as CloudWatch documents it: its limits and
// validation, periods from the start, samples only once they are readable, exact dimension sets,
// pages of MaxDatapoints; and the figures scenarios set.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { type AccountFaults, SimulatedAccount } from '../../rehearsal/account/account.ts';
import { DAILY_LAG, MINUTE_LAG } from '../../rehearsal/account/metrics.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GIB = 1024 ** 3;
// The rehearsal starts at 10:00:20 UTC
const start = new Date('2026-12-04T10:00:20.000Z');
const now = start.getTime();

const accountWith = (faults: AccountFaults = {}) =>
  new SimulatedAccount({ config: loadConfig(), faults, table: 'runbook-state', start });
const metricsOf = (faults: AccountFaults = {}) => accountWith(faults).service('cloudwatch').metrics;

const serviceCpu = (id = 'm0', period = 300) => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/ECS',
      MetricName: 'CPUUtilization',
      Dimensions: [
        { Name: 'ClusterName', Value: 'enterprise-prod-cluster' },
        { Name: 'ServiceName', Value: 'app-service' },
      ],
    },
    Period: period,
    Stat: 'Average',
  },
});
const rds = (metric: string, stat = 'Average', id = 'm0') => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/RDS',
      MetricName: metric,
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'enterprise-prod-db' }],
    },
    Period: 3600,
    Stat: stat,
  },
});
const bucketSize = (bucket = 'enterprise-prod-app') => ({
  Id: 'm0',
  MetricStat: {
    Metric: {
      Namespace: 'AWS/S3',
      MetricName: 'BucketSizeBytes',
      Dimensions: [
        { Name: 'BucketName', Value: bucket },
        { Name: 'StorageType', Value: 'StandardStorage' },
      ],
    },
    Period: 86_400,
    Stat: 'Average',
  },
});

const lastHour = { StartTime: new Date(now - HOUR), EndTime: new Date(now) };

describe('the simulated GetMetricData', () => {
  it('answers one datapoint a period from the start (rounded to the minute), newest first, Complete', () => {
    const answer = metricsOf().getMetricData({ MetricDataQueries: [serviceCpu()], ...lastHour });
    const [result] = answer.MetricDataResults;
    expect(result?.Id).toBe('m0');
    expect(result?.Label).toBe('CPUUtilization');
    expect(result?.StatusCode).toBe('Complete');
    // 09:00:20 rounds to 09:00: twelve 5-minute periods, the newest first
    expect(result?.Timestamps.map((t) => t.toISOString())).toEqual(
      Array.from({ length: 12 }, (_, i) =>
        new Date(Date.parse('2026-12-04T09:55:00.000Z') - i * 5 * MINUTE).toISOString(),
      ),
    );
    for (const v of result?.Values ?? []) {
      expect(v).toBeGreaterThan(30);
      expect(v).toBeLessThan(40);
    }
    expect(answer.NextToken).toBeUndefined();
    // Oldest first when asked
    const ascending = metricsOf().getMetricData({
      MetricDataQueries: [serviceCpu()],
      ...lastHour,
      ScanBy: 'TimestampAscending',
    });
    expect(ascending.MetricDataResults[0]?.Timestamps[0]?.toISOString()).toBe('2026-12-04T09:00:00.000Z');
  });

  it(`a minute's sample is readable only ${MINUTE_LAG / MINUTE} minutes after it: the newest period has fewer samples`, () => {
    const count = (id: string) =>
      metricsOf().getMetricData({
        MetricDataQueries: [
          { ...serviceCpu(id, 300), MetricStat: { ...serviceCpu(id, 300).MetricStat, Stat: 'SampleCount' } },
        ],
        ...lastHour,
      }).MetricDataResults[0]?.Values;
    // 09:55 to 10:00: samples of 09:55, 09:56 and 09:57 are readable at 10:00:20; 09:58 and 09:59 are not yet
    expect(count('m0')?.slice(0, 2)).toEqual([3, 5]);
  });

  it('has nothing of a metric identity nobody publishes: Complete and empty', () => {
    const cluster = serviceCpu();
    const answer = metricsOf().getMetricData({
      MetricDataQueries: [
        // The dimensions must be the whole published set: ServiceName alone is no metric
        {
          ...cluster,
          MetricStat: {
            ...cluster.MetricStat,
            Metric: {
              ...cluster.MetricStat.Metric,
              Dimensions: [{ Name: 'ServiceName', Value: 'app-service' }],
            },
          },
        },
        // A service with no tasks to run publishes nothing
        {
          ...serviceCpu('m1'),
          MetricStat: {
            ...cluster.MetricStat,
            Metric: {
              ...cluster.MetricStat.Metric,
              Dimensions: [
                { Name: 'ClusterName', Value: 'enterprise-prod-cluster' },
                { Name: 'ServiceName', Value: 'maintenance-page' },
              ],
            },
          },
        },
        rds('ReadIOPS', 'Average', 'm2'),
        { ...bucketSize('someone-elses-bucket'), Id: 'm3' },
      ],
      ...lastHour,
    });
    expect(answer.MetricDataResults).toEqual(
      ['m0', 'm1', 'm2', 'm3'].map((Id) =>
        expect.objectContaining({ Id, Timestamps: [], Values: [], StatusCode: 'Complete' }),
      ),
    );
  });

  it("a cluster's figure is of its services' tasks on EC2 (none on Fargate); RDS's statistics are of each period's samples", () => {
    const metrics = metricsOf();
    const clusterCpu = {
      Id: 'c',
      MetricStat: {
        Metric: {
          Namespace: 'AWS/ECS',
          MetricName: 'CPUUtilization',
          Dimensions: [{ Name: 'ClusterName', Value: 'enterprise-prod-cluster' }],
        },
        Period: 300,
        Stat: 'Average',
      },
    };
    // A Fargate-only cluster (the app's tasks are awsvpc, on Fargate) publishes no cluster figure
    const fargate = metrics.getMetricData({ MetricDataQueries: [serviceCpu('s'), clusterCpu], ...lastHour });
    expect(fargate.MetricDataResults[0]?.Values.length).toBe(12);
    expect(fargate.MetricDataResults[1]?.Values).toEqual([]);
    // On EC2 capacity it does: of the services with tasks running (the hot app, not its idle maintenance page)
    const config = loadConfig();
    const prod = config.environments.prod;
    const app = prod?.services.app;
    if (!prod || !app) throw new Error('no prod app');
    const ec2 = new SimulatedAccount({
      config: {
        ...config,
        environments: {
          ...config.environments,
          prod: { ...prod, services: { app: { ...app, targetType: 'instance' } } },
        },
      },
      faults: { cloudwatch: { metrics: { serviceCpuPercent: 93 } } },
      table: 'runbook-state',
      start,
    })
      .service('cloudwatch')
      .metrics.getMetricData({ MetricDataQueries: [serviceCpu('s'), clusterCpu], ...lastHour });
    expect(ec2.MetricDataResults[1]?.Values).toEqual(ec2.MetricDataResults[0]?.Values);
    expect(ec2.MetricDataResults[1]?.Values[0]).toBeGreaterThan(90);
    const db = metrics.getMetricData({
      MetricDataQueries: [
        rds('DatabaseConnections', 'Maximum', 'a'),
        rds('DatabaseConnections', 'Minimum', 'b'),
        rds('FreeStorageSpace', 'Minimum', 'c'),
      ],
      ...lastHour,
    });
    const [max, min, free] = db.MetricDataResults.map((r) => r.Values[0] ?? Number.NaN);
    expect(max).toBeGreaterThan(min ?? 0);
    expect(Number.isInteger(max)).toBe(true);
    expect((free ?? 0) / GIB).toBeCloseTo(60, 0);
  });

  it(`S3 sizes are daily, stamped 00:00 UTC, readable ${DAILY_LAG / HOUR} hours later`, () => {
    const answer = metricsOf().getMetricData({
      MetricDataQueries: [bucketSize()],
      StartTime: new Date('2026-12-01T00:00:00.000Z'),
      EndTime: new Date(now),
      ScanBy: 'TimestampAscending',
    });
    // At 10:00 on the 4th, the 3rd's size (readable from 06:00 on the 4th) is the newest
    expect(answer.MetricDataResults[0]?.Timestamps.map((t) => t.toISOString())).toEqual([
      '2026-12-01T00:00:00.000Z',
      '2026-12-02T00:00:00.000Z',
      '2026-12-03T00:00:00.000Z',
    ]);
    const [a = 0, b = 0] = answer.MetricDataResults[0]?.Values ?? [];
    expect((b - a) / GIB).toBeCloseTo(0.4, 1);
    // Without the bucket's metric (the scenario), nothing
    expect(
      metricsOf({ cloudwatch: { metrics: { bucketMissing: true } } }).getMetricData({
        MetricDataQueries: [bucketSize()],
        StartTime: new Date(now - 3 * DAY),
        EndTime: new Date(now),
      }).MetricDataResults[0]?.Values,
    ).toEqual([]);
  });

  it('pages by MaxDatapoints, query after query, a query going on in the next page PartialData', () => {
    const metrics = metricsOf();
    const request = { MetricDataQueries: [serviceCpu('a'), serviceCpu('b')], ...lastHour, MaxDatapoints: 10 };
    const first = metrics.getMetricData(request);
    expect(first.MetricDataResults.map((r) => [r.Id, r.Values.length, r.StatusCode])).toEqual([
      ['a', 10, 'PartialData'],
    ]);
    const second = metrics.getMetricData({ ...request, NextToken: first.NextToken });
    expect(second.MetricDataResults.map((r) => [r.Id, r.Values.length, r.StatusCode])).toEqual([
      ['a', 2, 'Complete'],
      ['b', 8, 'PartialData'],
    ]);
    const third = metrics.getMetricData({ ...request, NextToken: second.NextToken });
    expect(third.MetricDataResults.map((r) => [r.Id, r.Values.length, r.StatusCode])).toEqual([
      ['b', 4, 'Complete'],
    ]);
    expect(third.NextToken).toBeUndefined();
    // Put together, the same as one page
    const whole = metrics.getMetricData({ ...request, MaxDatapoints: undefined });
    expect(
      [...first.MetricDataResults, ...second.MetricDataResults]
        .filter((r) => r.Id === 'a')
        .flatMap((r) => r.Values),
    ).toEqual(whole.MetricDataResults[0]?.Values);
    expect(() => metrics.getMetricData({ ...request, NextToken: 'forged' })).toThrow(
      expect.objectContaining({ name: 'InvalidNextToken' }),
    );
  });

  it('refuses what CloudWatch refuses, naming it', () => {
    const metrics = metricsOf();
    const refused = (input: Parameters<typeof metrics.getMetricData>[0]) => {
      try {
        metrics.getMetricData(input);
        return 'answered';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    };
    expect(refused({ MetricDataQueries: [], ...lastHour })).toMatch(/^ValidationError: .*1 to 500/);
    expect(
      refused({ MetricDataQueries: Array.from({ length: 501 }, (_, i) => serviceCpu(`m${i}`)), ...lastHour }),
    ).toMatch(/^ValidationError: .*1 to 500/);
    expect(refused({ MetricDataQueries: [serviceCpu('M0')], ...lastHour })).toMatch(
      /^ValidationError: .*member\.1\.Id/,
    );
    expect(refused({ MetricDataQueries: [serviceCpu('a'), serviceCpu('a')], ...lastHour })).toMatch(
      /not unique/,
    );
    expect(refused({ MetricDataQueries: [serviceCpu('a', 90)], ...lastHour })).toMatch(
      /Period must be a multiple of 60/,
    );
    expect(refused({ MetricDataQueries: [serviceCpu('a', 30)], ...lastHour })).toMatch(
      /Period must be a multiple of 60/,
    );
    expect(
      refused({ MetricDataQueries: [serviceCpu()], StartTime: new Date(now), EndTime: new Date(now - HOUR) }),
    ).toBe('ValidationError: The parameter StartTime must be less than the parameter EndTime.');
    // 10:00:20 and 10:00:40 are the same minute
    expect(
      refused({
        MetricDataQueries: [serviceCpu()],
        StartTime: new Date(now),
        EndTime: new Date(now + 20_000),
      }),
    ).toMatch(/StartTime must be less/);
    expect(
      refused({
        MetricDataQueries: [{ ...serviceCpu(), MetricStat: { ...serviceCpu().MetricStat, Stat: 'p99' } }],
        ...lastHour,
      }),
    ).toMatch(/statistic "p99"/);
    expect(refused({ MetricDataQueries: [serviceCpu()], ...lastHour })).toBe('answered');
  });

  it('keeps 1-minute samples 15 days: an older window at a 1-minute period has none', () => {
    const old = metricsOf().getMetricData({
      MetricDataQueries: [serviceCpu('m0', 60)],
      StartTime: new Date(now - 16 * DAY),
      EndTime: new Date(now - 16 * DAY + HOUR),
    });
    expect(old.MetricDataResults[0]?.Values).toEqual([]);
  });

  it('shows what the scenarios set: a hot service for the last two hours, free storage down to the figure', () => {
    const hot = metricsOf({ cloudwatch: { metrics: { serviceCpuPercent: 93 } } });
    const [recent] = hot.getMetricData({
      MetricDataQueries: [serviceCpu('m0', 3600)],
      ...lastHour,
    }).MetricDataResults;
    expect(recent?.Values[0]).toBeCloseTo(93, 0);
    const [weekAgo] = hot.getMetricData({
      MetricDataQueries: [serviceCpu('m0', 3600)],
      StartTime: new Date(now - 7 * DAY - HOUR),
      EndTime: new Date(now - 7 * DAY),
    }).MetricDataResults;
    expect(weekAgo?.Values[0]).toBeLessThan(40);
    const low = metricsOf({ cloudwatch: { metrics: { freeStorageGiB: 4 } } });
    const [free] = low.getMetricData({
      MetricDataQueries: [rds('FreeStorageSpace', 'Minimum')],
      ...lastHour,
    }).MetricDataResults;
    expect((free?.Values[0] ?? 0) / GIB).toBeCloseTo(4, 0);
  });

  it('an instance being created publishes nothing yet', () => {
    const account = accountWith();
    const instance = account.service('rds').instances.get('enterprise-prod-db');
    if (!instance) throw new Error('no instance');
    instance.status = 'creating';
    expect(
      account
        .service('cloudwatch')
        .metrics.getMetricData({ MetricDataQueries: [rds('CPUUtilization')], ...lastHour })
        .MetricDataResults[0]?.Values,
    ).toEqual([]);
  });
});
