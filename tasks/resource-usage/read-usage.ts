// The runbook's Monitor Resource Usage: every figure of the environment over the window that ends
// now, and over the same window a week before, judged against its threshold. The figures are read
// in batches (GetMetricData, every figure of a kind in one call, not one call per metric): those of
// the window in one, S3's daily sizes in another, each now and a week before. Changes nothing. The
// report says what breached, what had no data, and how loud its notice is (none without a breach).
import { type MetricDataResult, paginateGetMetricData } from '@aws-sdk/client-cloudwatch';
import { TransientAwsError, UsageUnreadable } from '../errors.ts';
import { allPages } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type FigureSpec, FigureSpecSchema, type UsageRequest, UsageRequestSchema } from './input.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEK = 7 * DAY;
/**
 * How far back a daily figure is looked for: S3 stamps a bucket's size with the start of its day and
 * publishes it up to a day or more later (the documentation gives no bound), so the newest can be
 * over two days old; three days finds it.
 */
const DAILY_REACH = 3 * DAY;

export const FigureSchema = FigureSpecSchema.pick({
  resource: true,
  target: true,
  label: true,
  unit: true,
  threshold: true,
  follow: true,
}).extend({
  /** The figure (the metric's value divided by its scale); null: CloudWatch had none. */
  value: z.number().nullable(),
  /** When the period of `value` began (ISO): the window's start, or the day of a daily figure. */
  asOf: z.string().nullable(),
  /** The same figure a week earlier (the period seven days before `asOf`). */
  weekBefore: z.number().nullable(),
  /** ok: within its threshold, or it has none; breach: beyond it; no-data: nothing to judge. */
  verdict: z.enum(['ok', 'breach', 'no-data']),
  /** Why there is no figure, when there is none. */
  note: z.string().optional(),
});
export type Figure = z.infer<typeof FigureSchema>;

const windowSchema = z.strictObject({ start: z.string(), end: z.string() });

export const UsageReportSchema = z.strictObject({
  environment: z.string(),
  window: windowSchema,
  weekBefore: windowSchema,
  counts: z.strictObject({ ok: z.number(), breach: z.number(), noData: z.number() }),
  /** One line: breaches first, then figures without data. */
  summary: z.string(),
  /** How loud its notice is; null: no breach, nothing to announce. */
  severity: z.enum(['info', 'warning', 'page']).nullable(),
  /** Breaches first, then figures without data, then the rest, each in the order of the request. */
  figures: z.array(FigureSchema),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

/** A number as a report shows it: at most two decimals. */
const round = (n: number) => Math.round(n * 100) / 100;

/** The threshold in words: "at most 80 %". */
export const thresholdText = (f: Pick<Figure, 'threshold' | 'unit'>) =>
  f.threshold === null
    ? 'no threshold'
    : 'max' in f.threshold
      ? `at most ${f.threshold.max} ${f.unit}`
      : `at least ${f.threshold.min} ${f.unit}`;

/** A figure in one line: the verdict, what it is of, its value (and the day of a daily one), its threshold and the week before. */
export function figureLine(f: Figure): string {
  const day = f.resource === 's3' && f.asOf !== null ? ` on ${f.asOf.slice(0, 10)}` : '';
  const value =
    f.value === null ? `no data (${f.note ?? 'none in the window'})` : `${f.value} ${f.unit}${day}`;
  const week =
    f.weekBefore === null
      ? 'no figure a week before'
      : `a week before ${f.weekBefore} ${f.unit}${f.value === null ? '' : `, ${f.value - f.weekBefore >= 0 ? '+' : ''}${round(f.value - f.weekBefore)}`}`;
  return `${f.verdict.toUpperCase()} ${f.resource} ${shown(f.target)} ${f.label}: ${value} (${thresholdText(f)}; ${week})`;
}

/** What one batch of figures answered: each figure's results by query id, and the ids left unread. */
interface Reads {
  readonly results: Map<string, MetricDataResult[]>;
  readonly unread: Set<string>;
}

/** One batched call (read to its end, within the page bound) for `figures` from `from` to `to` (ms). */
async function readBatch(
  cloudwatch: Parameters<typeof paginateGetMetricData>[0]['client'],
  figures: readonly { id: string; spec: FigureSpec }[],
  from: number,
  to: number,
  into: Reads,
): Promise<void> {
  if (figures.length === 0) return;
  const { items, truncated } = await allPages(
    'CloudWatch GetMetricData',
    paginateGetMetricData(
      { client: cloudwatch },
      {
        MetricDataQueries: figures.map(({ id, spec }) => ({
          Id: id,
          MetricStat: {
            Metric: { Namespace: spec.namespace, MetricName: spec.metricName, Dimensions: spec.dimensions },
            Period: spec.periodSeconds,
            Stat: spec.stat,
          },
          ReturnData: true,
        })),
        StartTime: new Date(from),
        EndTime: new Date(to),
        ScanBy: 'TimestampDescending',
      },
    ),
    (page) => page.MetricDataResults,
  );
  for (const result of items) {
    const id = result.Id ?? '';
    into.results.set(id, [...(into.results.get(id) ?? []), result]);
  }
  if (truncated) for (const { id } of figures) if (!into.results.has(id)) into.unread.add(id);
}

/** The newest datapoint of a query from `oldest` to `latest` (ms), or why there is none. */
function newest(reads: Reads, id: string, oldest: number, latest: number, spec: FigureSpec) {
  const parts = reads.results.get(id);
  let best: { at: number; value: number } | undefined;
  for (const part of parts ?? [])
    (part.Timestamps ?? []).forEach((t, i) => {
      const at = new Date(t).getTime();
      const value = part.Values?.[i];
      if (value !== undefined && at >= oldest && at <= latest && (best === undefined || at > best.at))
        best = { at, value };
    });
  if (best) return best;
  const refused = parts?.find((p) => p.StatusCode === 'Forbidden' || p.StatusCode === 'InternalError');
  const note = refused
    ? `CloudWatch answered ${refused.StatusCode}${refused.Messages?.length ? `: ${shown(refused.Messages.map((m) => m.Value).join('; '))}` : ''}`
    : reads.unread.has(id)
      ? 'CloudWatch had not answered for it in 20 pages'
      : spec.resource === 'ecs-cluster'
        ? "no datapoint in the window: ECS publishes a cluster's CPU and memory only for its EC2 capacity (a Fargate-only cluster has none)"
        : 'no datapoint in the window: is the metric published?';
  return { at: null, value: null, note };
}

/** A figure judged: beyond its threshold is a breach, no value is no data. */
function judge(spec: FigureSpec, value: number | null): Figure['verdict'] {
  if (value === null) return 'no-data';
  if (spec.threshold === null) return 'ok';
  return 'max' in spec.threshold
    ? value > spec.threshold.max
      ? 'breach'
      : 'ok'
    : value < spec.threshold.min
      ? 'breach'
      : 'ok';
}

const RANK: Record<Figure['verdict'], number> = { breach: 0, 'no-data': 1, ok: 2 };

export function usageReport(request: UsageRequest, end: number, now: Reads, before: Reads): UsageReport {
  const window = request.windowMinutes * MINUTE;
  const iso = (ms: number) => new Date(ms).toISOString();
  const figures = request.figures.map((spec, i): Figure => {
    const id = `m${i}`;
    const reach = spec.daily ? DAILY_REACH : window;
    const current = newest(now, id, end - reach, end, spec);
    // Like for like: the period seven days before the one read now (the same day of a daily figure).
    const latest = current.at === null ? end - WEEK : current.at - WEEK;
    const previous = newest(before, id, end - WEEK - reach, latest, spec);
    const exact = current.value === null ? null : current.value / spec.scale;
    const verdict = judge(spec, exact);
    // Judged exactly; shown rounded, unless rounding would hide the breach (80.004 % over 80 %).
    const shownValue =
      exact === null
        ? null
        : verdict === 'breach' && judge(spec, round(exact)) !== 'breach'
          ? exact
          : round(exact);
    return {
      resource: spec.resource,
      target: spec.target,
      label: spec.label,
      unit: spec.unit,
      threshold: spec.threshold,
      follow: spec.follow,
      value: shownValue,
      asOf: current.at === null ? null : iso(current.at),
      weekBefore: previous.value === null ? null : round(previous.value / spec.scale),
      verdict,
      ...(current.at === null && { note: current.note }),
    };
  });
  const sorted = figures
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.verdict] - RANK[b.f.verdict] || a.i - b.i)
    .map(({ f }) => f);
  const count = (verdict: Figure['verdict']) => figures.filter((f) => f.verdict === verdict).length;
  const counts = { ok: count('ok'), breach: count('breach'), noData: count('no-data') };
  const named = (f: Figure) => `${f.resource} ${shown(f.target)} ${f.label} ${f.value} ${f.unit}`;
  const breaches = sorted.filter((f) => f.verdict === 'breach');
  const listed = breaches
    .slice(0, 3)
    .map((f) => `${named(f)} (${thresholdText(f)})`)
    .join('; ');
  const over = `${figures.length} figures over the last ${request.windowMinutes} minutes`;
  const read = counts.ok + counts.breach;
  const summary =
    counts.breach > 0
      ? `${request.environment}: ${counts.breach} of ${over} breach their threshold: ${listed}${counts.breach > 3 ? `; and ${counts.breach - 3} more` : ''}.${counts.noData > 0 ? ` ${counts.noData} had no data.` : ''}`
      : counts.noData > 0
        ? `${request.environment}: no breach among the ${read} of ${over} that had data; ${counts.noData} had none.`
        : `${request.environment} is within every threshold: ${over}.`;
  return {
    environment: request.environment,
    window: { start: iso(end - window), end: iso(end) },
    weekBefore: { start: iso(end - WEEK - window), end: iso(end - WEEK) },
    counts,
    summary,
    severity: counts.breach > 0 ? request.notify : null,
    figures: sorted,
  };
}

export const readUsage = defineWorker({
  name: 'read-usage',
  entry: import.meta.url,
  actions: ['cloudwatch:GetMetricData'],
  input: z.object({ request: UsageRequestSchema, now: z.iso.datetime({ offset: true }) }),
  run: async ({ request, now }, { cloudwatch }): Promise<UsageReport> => {
    // The window ends on the minute the step started (CloudWatch keeps recent data by the minute);
    // daily figures are read from midnight UTC, so that each period is one of S3's days.
    const end = Math.floor(Date.parse(now) / MINUTE) * MINUTE;
    const window = request.windowMinutes * MINUTE;
    const entries = request.figures.map((spec, i) => ({ id: `m${i}`, spec }));
    const windowed = entries.filter((e) => !e.spec.daily);
    const daily = entries.filter((e) => e.spec.daily);
    const reads = {
      now: { results: new Map(), unread: new Set<string>() },
      before: { results: new Map(), unread: new Set<string>() },
    };
    try {
      for (const [offset, into] of [
        [0, reads.now],
        [WEEK, reads.before],
      ] as const) {
        const to = end - offset;
        await readBatch(cloudwatch, windowed, to - window, to, into);
        await readBatch(cloudwatch, daily, Math.floor((to - DAILY_REACH) / DAY) * DAY, to, into);
      }
    } catch (error) {
      // Throttling is retried by the state machine; a refusal CloudWatch answers is final. Anything
      // else (a fault of this code) keeps its own name.
      const answered = error instanceof Error && (error as { $fault?: unknown }).$fault === 'client';
      if (error instanceof TransientAwsError || !answered) throw error;
      throw new UsageUnreadable(`CloudWatch GetMetricData: ${error.name}: ${shown(error.message)}`);
    }
    const report = usageReport(request, end, reads.now, reads.before);
    // Nothing to judge at all is no watch: the run fails and says why, rather than reporting calm.
    if (report.counts.ok + report.counts.breach === 0)
      throw new UsageUnreadable(
        `no figure of ${request.environment} had data: ${report.figures[0]?.note ?? 'none was asked for'}`,
      );
    return report;
  },
  summarize: (r) =>
    `${r.environment}: ${r.counts.breach} breach, ${r.counts.noData} without data, ${r.counts.ok} within`,
});

export const handler = lambdaHandler(readUsage);
