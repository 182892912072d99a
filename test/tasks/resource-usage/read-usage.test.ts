import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransientAwsError, UsageUnreadable } from '../../../tasks/errors.ts';
import {
  type FigureSpec,
  type UsageRequest,
  UsageRequestSchema,
} from '../../../tasks/resource-usage/input.ts';
import {
  type Figure,
  figureLine,
  readUsage,
  type UsageReport,
} from '../../../tasks/resource-usage/read-usage.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const cloudwatchMock = mockClient(CloudWatchClient);
const clients = testClients();

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEK = 7 * DAY;
const HOUR = 60 * MINUTE;
const GIB = 1024 ** 3;

const figure = (over: Partial<FigureSpec>): FigureSpec => ({
  resource: 'ecs-service',
  target: 'prod-cluster/app-service',
  label: 'CPU',
  namespace: 'AWS/ECS',
  metricName: 'CPUUtilization',
  dimensions: [
    { Name: 'ClusterName', Value: 'prod-cluster' },
    { Name: 'ServiceName', Value: 'app-service' },
  ],
  stat: 'Average',
  periodSeconds: 3600,
  daily: false,
  scale: 1,
  unit: '%',
  threshold: { max: 80 },
  follow: 'https://console/app',
  ...over,
});

const cpu = figure({});
const storage = figure({
  resource: 'rds',
  target: 'enterprise-prod-db',
  label: 'free storage',
  namespace: 'AWS/RDS',
  metricName: 'FreeStorageSpace',
  dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'enterprise-prod-db' }],
  stat: 'Minimum',
  scale: GIB,
  unit: 'GiB',
  threshold: { min: 10 },
  follow: 'https://console/db',
});
const connections = figure({
  resource: 'rds',
  target: 'enterprise-prod-db',
  label: 'connections',
  namespace: 'AWS/RDS',
  metricName: 'DatabaseConnections',
  dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'enterprise-prod-db' }],
  stat: 'Maximum',
  unit: 'connections',
  threshold: null,
});
const bucket = figure({
  resource: 's3',
  target: 'enterprise-prod-app',
  label: 'size',
  namespace: 'AWS/S3',
  metricName: 'BucketSizeBytes',
  dimensions: [
    { Name: 'BucketName', Value: 'enterprise-prod-app' },
    { Name: 'StorageType', Value: 'StandardStorage' },
  ],
  periodSeconds: 86_400,
  daily: true,
  scale: GIB,
  unit: 'GiB',
  threshold: { max: 1024 },
  follow: 'https://console/bucket',
});

const request = (figures: FigureSpec[], over: Partial<UsageRequest> = {}): UsageRequest =>
  UsageRequestSchema.parse({
    procedure: 'resource-usage',
    environment: 'prod',
    service: 'resource usage',
    region: 'us-east-1',
    requestedBy: 'jane',
    reason: null,
    windowMinutes: 60,
    figures,
    notify: 'warning',
    ...over,
  });

// The step entered 30.5 s past 10:00: the window is 09:00 to 10:00, as CloudWatch rounds to the minute
const now = '2026-12-04T10:00:30.500Z';
const end = Date.parse('2026-12-04T10:00:00.000Z');

type Answer = (
  input: GetMetricDataCommandInput,
  call: number,
) => { MetricDataResults?: MetricDataResult[]; NextToken?: string };

/** Answers each GetMetricData call; records each input as it was sent (the paginator reuses one object). */
function answer(reply: Answer): GetMetricDataCommandInput[] {
  const sent: GetMetricDataCommandInput[] = [];
  cloudwatchMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    sent.push({ ...input });
    return { $metadata: {}, ...reply(input, sent.length - 1) };
  });
  return sent;
}

/** One result: timestamps (ms) and values, newest first. */
const result = (id: string, points: [number, number][], status = 'Complete'): MetricDataResult => ({
  Id: id,
  Label: id,
  Timestamps: points.map(([t]) => new Date(t)),
  Values: points.map(([, v]) => v),
  StatusCode: status as MetricDataResult['StatusCode'],
});

/** A reply giving the current window `current` and the week before `before`, by query id. */
const byWindow =
  (current: Record<string, [number, number][]>, before: Record<string, [number, number][]>): Answer =>
  (input) => {
    const isNow = new Date(input.EndTime as Date).getTime() === end;
    const points = isNow ? current : before;
    return { MetricDataResults: Object.entries(points).map(([id, p]) => result(id, p)) };
  };

const clientError = (name: string, message: string) =>
  Object.assign(awsError(name, message), { $fault: 'client' });

describe('read-usage', () => {
  beforeEach(() => {
    cloudwatchMock.reset();
  });

  it('asks for every figure in one GetMetricData call for the window, and one for the week before', async () => {
    // Given two figures of an hour's window
    const sent = answer(byWindow({ m0: [[end - 60 * MINUTE, 42]], m1: [[end - 60 * MINUTE, 60 * GIB]] }, {}));
    // When read
    await invoke(readUsage, { request: request([cpu, storage]), now }, clients);
    // Then exactly two calls, each with both queries, newest first, the window rounded to the minute
    const queries = [
      {
        Id: 'm0',
        MetricStat: {
          Metric: { Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: cpu.dimensions },
          Period: 3600,
          Stat: 'Average',
        },
        ReturnData: true,
      },
      {
        Id: 'm1',
        MetricStat: {
          Metric: { Namespace: 'AWS/RDS', MetricName: 'FreeStorageSpace', Dimensions: storage.dimensions },
          Period: 3600,
          Stat: 'Minimum',
        },
        ReturnData: true,
      },
    ];
    // (toEqual: the paginator also sends NextToken and MaxDatapoints, undefined)
    expect(sent).toEqual([
      {
        MetricDataQueries: queries,
        StartTime: new Date(end - 60 * MINUTE),
        EndTime: new Date(end),
        ScanBy: 'TimestampDescending',
      },
      {
        MetricDataQueries: queries,
        StartTime: new Date(end - WEEK - 60 * MINUTE),
        EndTime: new Date(end - WEEK),
        ScanBy: 'TimestampDescending',
      },
    ]);
  });

  it('reads daily figures (S3 sizes) in their own call from midnight three days back, taking the newest day', async () => {
    // Given a 50-minute window and a bucket
    const midnight = Date.parse('2026-12-01T00:00:00.000Z');
    const day = (d: number) => midnight + d * DAY;
    const sent = answer((input) => {
      const to = new Date(input.EndTime as Date).getTime();
      const daily = input.MetricDataQueries?.[0]?.Id === 'm1';
      if (to === end && !daily) return { MetricDataResults: [result('m0', [[end - 50 * MINUTE, 40]])] };
      if (to === end - WEEK && !daily)
        return { MetricDataResults: [result('m0', [[end - WEEK - 50 * MINUTE, 30]])] };
      // Now: the 2nd is the newest day published; a week before, the 25th of November (and the 26th,
      // which is not the same day a week earlier)
      if (to === end)
        return {
          MetricDataResults: [
            result('m1', [
              [day(1), 200 * GIB],
              [day(0), 190 * GIB],
            ]),
          ],
        };
      return {
        MetricDataResults: [
          result('m1', [
            [day(-6), 160 * GIB],
            [day(-7), 150 * GIB],
          ]),
        ],
      };
    });
    const report = await invoke(
      readUsage,
      { request: request([{ ...cpu, periodSeconds: 3000 }, bucket], { windowMinutes: 50 }), now },
      clients,
    );
    // Then four calls: the window and the days, now and a week before; each figure in one of them
    expect(sent.map((s) => [s.MetricDataQueries?.map((q) => q.Id), s.StartTime, s.EndTime])).toEqual([
      [['m0'], new Date(end - 50 * MINUTE), new Date(end)],
      [['m1'], new Date(day(0)), new Date(end)],
      [['m0'], new Date(end - WEEK - 50 * MINUTE), new Date(end - WEEK)],
      [['m1'], new Date(day(-7)), new Date(end - WEEK)],
    ]);
    expect(sent[1]?.MetricDataQueries?.[0]?.MetricStat?.Period).toBe(86_400);
    // The bucket's figure is its newest day, against the same day a week earlier
    expect(report.figures.map((f) => [f.label, f.value, f.asOf, f.weekBefore, f.verdict])).toEqual([
      ['CPU', 40, '2026-12-04T09:10:00.000Z', 30, 'ok'],
      ['size', 200, '2026-12-02T00:00:00.000Z', 160, 'ok'],
    ]);
    expect(figureLine(report.figures[1] as Figure)).toBe(
      'OK s3 enterprise-prod-app size: 200 GiB on 2026-12-02 (at most 1024 GiB; a week before 160 GiB, +40)',
    );
  });

  it('a window of a whole day is read as the last 24 hours, a daily figure still as days from midnight', async () => {
    const sent = answer(() => ({ MetricDataResults: [result('m0', [[end - DAY, 10]])] }));
    await invoke(
      readUsage,
      { request: request([{ ...cpu, periodSeconds: 86_400 }, bucket], { windowMinutes: 1440 }), now },
      clients,
    );
    expect(sent.slice(0, 2).map((s) => [s.MetricDataQueries?.map((q) => q.Id), s.StartTime])).toEqual([
      [['m0'], new Date(end - DAY)],
      [['m1'], new Date(Date.parse('2026-12-01T00:00:00.000Z'))],
    ]);
  });

  it('judges each figure: over a maximum or under a minimum is a breach, at it is not, no threshold is ok', async () => {
    answer(
      byWindow(
        {
          m0: [[end - 60 * MINUTE, 80]],
          m1: [[end - 60 * MINUTE, 9.99 * GIB]],
          m2: [[end - 60 * MINUTE, 900]],
        },
        {},
      ),
    );
    const report = await invoke(readUsage, { request: request([cpu, storage, connections]), now }, clients);
    expect(report.figures.map((f) => [f.label, f.value, f.verdict])).toEqual([
      ['free storage', 9.99, 'breach'],
      ['CPU', 80, 'ok'],
      ['connections', 900, 'ok'],
    ]);
    // And 80.01 % is over 80 %, 10 GiB exactly is enough
    answer(byWindow({ m0: [[end - 60 * MINUTE, 80.01]], m1: [[end - 60 * MINUTE, 10 * GIB]] }, {}));
    const next = await invoke(readUsage, { request: request([cpu, storage]), now }, clients);
    expect(next.figures.map((f) => [f.label, f.verdict])).toEqual([
      ['CPU', 'breach'],
      ['free storage', 'ok'],
    ]);
  });

  it('a figure with no datapoint in its window is no data, saying why; one CloudWatch refused names its status', async () => {
    const cluster = figure({
      resource: 'ecs-cluster',
      target: 'prod-cluster',
      dimensions: [{ Name: 'ClusterName', Value: 'prod-cluster' }],
    });
    answer((input) => {
      const isNow = new Date(input.EndTime as Date).getTime() === end;
      return {
        MetricDataResults: isNow
          ? [
              // Only a datapoint older than the window
              result('m0', [[end - 61 * MINUTE, 50]]),
              // Nothing at all
              result('m1', []),
              {
                Id: 'm2',
                Timestamps: [],
                Values: [],
                StatusCode: 'Forbidden',
                Messages: [{ Code: 'Forbidden', Value: 'not\u001b[2J allowed' }],
              },
              result('m3', []),
              result('m4', [[end - 60 * MINUTE, 12]]),
            ]
          : [result('m0', [[end - WEEK - 60 * MINUTE, 33]])],
      };
    });
    const report = await invoke(
      readUsage,
      { request: request([cpu, storage, connections, cluster, { ...cpu, target: 'other' }]), now },
      clients,
    );
    expect(report.figures.map((f) => [f.target, f.label, f.value, f.weekBefore, f.verdict, f.note])).toEqual([
      [
        'prod-cluster/app-service',
        'CPU',
        null,
        33,
        'no-data',
        'no datapoint in the window: is the metric published?',
      ],
      [
        'enterprise-prod-db',
        'free storage',
        null,
        null,
        'no-data',
        'no datapoint in the window: is the metric published?',
      ],
      [
        'enterprise-prod-db',
        'connections',
        null,
        null,
        'no-data',
        'CloudWatch answered Forbidden: not\\x1b[2J allowed',
      ],
      [
        'prod-cluster',
        'CPU',
        null,
        null,
        'no-data',
        "no datapoint in the window: ECS publishes a cluster's CPU and memory only for its EC2 capacity (a Fargate-only cluster has none)",
      ],
      ['other', 'CPU', 12, null, 'ok', undefined],
    ]);
    expect(report.counts).toEqual({ ok: 1, breach: 0, noData: 4 });
    expect(report.severity).toBeNull();
    expect(report.summary).toBe(
      'prod: no breach among the 1 of 5 figures over the last 60 minutes that had data; 4 had none.',
    );
  });

  it('no figure with data at all is no report: UsageUnreadable, naming why', async () => {
    answer(() => ({ MetricDataResults: [result('m0', []), result('m1', [])] }));
    const error = await invoke(readUsage, { request: request([cpu, storage]), now }, clients).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageUnreadable);
    expect((error as Error).message).toBe(
      'no figure of prod had data: no datapoint in the window: is the metric published?',
    );
  });

  it('reads every page, following NextToken, and puts together a figure split across pages', async () => {
    // The CPU figure's datapoints come in two parts, the newer on the second page
    const sent = answer((_input, call) => {
      if (call === 0)
        return { MetricDataResults: [result('m0', [[end - 2 * HOUR, 10]], 'PartialData')], NextToken: 'p2' };
      if (call === 1)
        return {
          MetricDataResults: [result('m0', [[end - HOUR, 91]]), result('m1', [[end - HOUR, 5 * GIB]])],
        };
      return { MetricDataResults: [] };
    });
    const report = await invoke(readUsage, { request: request([cpu, storage]), now }, clients);
    expect(sent.map((s) => s.NextToken)).toEqual([undefined, 'p2', undefined]);
    expect(report.figures.map((f) => [f.label, f.value])).toEqual([
      ['CPU', 91],
      ['free storage', 5],
    ]);
  });

  it('a figure CloudWatch had not answered for after 20 pages is no data, saying so', async () => {
    // Every page answers the CPU figure only, and always has more
    answer(() => ({
      MetricDataResults: [result('m0', [[end - 60 * MINUTE, 20]], 'PartialData')],
      NextToken: 'more',
    }));
    const report = await invoke(readUsage, { request: request([cpu, storage]), now }, clients);
    expect(report.figures.map((f) => [f.label, f.verdict, f.note])).toEqual([
      ['free storage', 'no-data', 'CloudWatch had not answered for it in 20 pages'],
      ['CPU', 'ok', undefined],
    ]);
  });

  it('reports breaches first, then no data, then the rest; the summary names three breaches and counts the others', async () => {
    const figures = [
      figure({ target: 'a' }),
      figure({ target: 'b' }),
      figure({ target: 'c' }),
      figure({ target: 'd' }),
      figure({ target: 'e' }),
      figure({ target: 'f' }),
    ];
    answer(
      byWindow(
        {
          m0: [[end - 60 * MINUTE, 10]],
          m1: [[end - 60 * MINUTE, 81]],
          m3: [[end - 60 * MINUTE, 82]],
          m4: [[end - 60 * MINUTE, 83]],
          m5: [[end - 60 * MINUTE, 84.4449]],
        },
        { m1: [[end - WEEK - 60 * MINUTE, 40]] },
      ),
    );
    const report: UsageReport = await invoke(
      readUsage,
      { request: request(figures, { notify: 'page' }), now },
      clients,
    );
    expect(report.figures.map((f) => `${f.target} ${f.verdict}`)).toEqual([
      'b breach',
      'd breach',
      'e breach',
      'f breach',
      'c no-data',
      'a ok',
    ]);
    expect(report.counts).toEqual({ ok: 1, breach: 4, noData: 1 });
    expect(report.severity).toBe('page');
    expect(report.window).toEqual({ start: '2026-12-04T09:00:00.000Z', end: '2026-12-04T10:00:00.000Z' });
    expect(report.weekBefore).toEqual({ start: '2026-11-27T09:00:00.000Z', end: '2026-11-27T10:00:00.000Z' });
    expect(report.summary).toBe(
      'prod: 4 of 6 figures over the last 60 minutes breach their threshold: ecs-service b CPU 81 % (at most 80 %); ecs-service d CPU 82 % (at most 80 %); ecs-service e CPU 83 % (at most 80 %); and 1 more. 1 had no data.',
    );
    expect(report.figures.find((f) => f.target === 'f')?.value).toBe(84.44);
    expect(readUsage.summarize?.(report)).toBe('prod: 4 breach, 1 without data, 1 within');
  });

  it('a throttled call is transient, for the state machine to retry', async () => {
    cloudwatchMock.on(GetMetricDataCommand).rejects(throttled());
    await expect(invoke(readUsage, { request: request([cpu]), now }, clients)).rejects.toBeInstanceOf(
      TransientAwsError,
    );
  });

  it("a refusal CloudWatch answers is UsageUnreadable, naming CloudWatch's error harmlessly", async () => {
    cloudwatchMock
      .on(GetMetricDataCommand)
      .rejects(
        clientError('AccessDenied', 'User is not authorized\u001b[31m to perform: cloudwatch:GetMetricData'),
      );
    const error = await invoke(readUsage, { request: request([cpu]), now }, clients).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageUnreadable);
    expect((error as Error).message).toBe(
      'CloudWatch GetMetricData: AccessDenied: User is not authorized\\x1b[31m to perform: cloudwatch:GetMetricData',
    );
  });

  it('an error that is no answer of CloudWatch keeps its own name', async () => {
    cloudwatchMock.on(GetMetricDataCommand).rejects(new TypeError('cannot read properties of undefined'));
    const error = await invoke(readUsage, { request: request([cpu]), now }, clients).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
  });

  it('declares the one action it calls', () => {
    expect(readUsage.actions).toEqual(['cloudwatch:GetMetricData']);
  });
});

describe('figureLine', () => {
  const base = {
    resource: 'ecs-service' as const,
    target: 'prod/app',
    label: 'CPU',
    unit: '%',
    threshold: { max: 80 },
    follow: 'https://console/app',
    asOf: '2026-12-04T09:00:00.000Z',
  };
  it('says the verdict, the figure, its threshold and the change from a week before', () => {
    expect(figureLine({ ...base, value: 93, weekBefore: 35.25, verdict: 'breach' })).toBe(
      'BREACH ecs-service prod/app CPU: 93 % (at most 80 %; a week before 35.25 %, +57.75)',
    );
    expect(
      figureLine({
        ...base,
        label: 'free storage',
        unit: 'GiB',
        threshold: { min: 10 },
        value: 40,
        weekBefore: 60,
        verdict: 'ok',
      }),
    ).toBe('OK ecs-service prod/app free storage: 40 GiB (at least 10 GiB; a week before 60 GiB, -20)');
    expect(figureLine({ ...base, threshold: null, value: 5, weekBefore: null, verdict: 'ok' })).toBe(
      'OK ecs-service prod/app CPU: 5 % (no threshold; no figure a week before)',
    );
    expect(figureLine({ ...base, value: null, weekBefore: 20, verdict: 'no-data', note: 'none here' })).toBe(
      'NO-DATA ecs-service prod/app CPU: no data (none here) (at most 80 %; a week before 20 %)',
    );
  });
  it('shows a hostile target harmlessly', () => {
    expect(
      figureLine({ ...base, target: 'a\u001b]0;pwned\u0007', value: 1, weekBefore: 1, verdict: 'ok' }),
    ).toContain('a\\x1b]0;pwned\\x07 CPU');
  });
});
