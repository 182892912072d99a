// The runbook's Monitor Resource Usage: every figure of the environment over the window that ends
// now, and over the same window a week before, each in one batched GetMetricData call (not one call
// per metric), judged against its threshold. Changes nothing. The report says what breached, what had
// no data, and how loud its notice is (none without a breach).
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
  /** The figure over the window (the metric's value divided by its scale); null: CloudWatch had none. */
  value: z.number().nullable(),
  /** The same over the same window a week before. */
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

/** A number as a report shows it: at most two decimals (a figure is judged before it is rounded). */
const round = (n: number) => Math.round(n * 100) / 100;

/** The threshold in words: "at most 80 %". */
export const thresholdText = (f: Pick<Figure, 'threshold' | 'unit'>) =>
  f.threshold === null
    ? 'no threshold'
    : 'max' in f.threshold
      ? `at most ${f.threshold.max} ${f.unit}`
      : `at least ${f.threshold.min} ${f.unit}`;

/** A figure in one line: the verdict, what it is of, its value, its threshold and the week before. */
export function figureLine(f: Figure): string {
  const value = f.value === null ? `no data (${f.note ?? 'none in the window'})` : `${f.value} ${f.unit}`;
  const week =
    f.weekBefore === null
      ? 'no figure a week before'
      : `a week before ${f.weekBefore} ${f.unit}${f.value === null ? '' : `, ${f.value - f.weekBefore >= 0 ? '+' : ''}${round(f.value - f.weekBefore)}`}`;
  return `${f.verdict.toUpperCase()} ${f.resource} ${shown(f.target)} ${f.label}: ${value} (${thresholdText(f)}; ${week})`;
}

/** Every figure's datapoints from `from` to `to` (ms), by query id, as one batched call answers them. */
async function readWindow(
  cloudwatch: Parameters<typeof paginateGetMetricData>[0]['client'],
  figures: readonly FigureSpec[],
  from: number,
  to: number,
): Promise<{ results: Map<string, MetricDataResult[]>; truncated: boolean }> {
  const { items, truncated } = await allPages(
    'CloudWatch GetMetricData',
    paginateGetMetricData(
      { client: cloudwatch },
      {
        MetricDataQueries: figures.map((f, i) => ({
          Id: `m${i}`,
          MetricStat: {
            Metric: { Namespace: f.namespace, MetricName: f.metricName, Dimensions: f.dimensions },
            Period: f.periodSeconds,
            Stat: f.stat,
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
  const results = new Map<string, MetricDataResult[]>();
  for (const result of items) results.set(result.Id ?? '', [...(results.get(result.Id ?? '') ?? []), result]);
  return { results, truncated };
}

/** The newest datapoint of a query at or after `oldest` (ms), or why there is none. */
function newest(parts: readonly MetricDataResult[] | undefined, oldest: number, truncated: boolean) {
  let best: { at: number; value: number } | undefined;
  for (const part of parts ?? [])
    (part.Timestamps ?? []).forEach((t, i) => {
      const at = new Date(t).getTime();
      const value = part.Values?.[i];
      if (value !== undefined && at >= oldest && (best === undefined || at > best.at)) best = { at, value };
    });
  if (best) return { value: best.value };
  const refused = parts?.find((p) => p.StatusCode === 'Forbidden' || p.StatusCode === 'InternalError');
  if (refused)
    return {
      value: null,
      note: `CloudWatch answered ${refused.StatusCode}${refused.Messages?.length ? `: ${shown(refused.Messages.map((m) => m.Value).join('; '))}` : ''}`,
    };
  if (parts === undefined && truncated)
    return { value: null, note: 'CloudWatch had not answered for it in 20 pages' };
  return { value: null, note: 'no datapoint in the window: is the metric published?' };
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

/** A figure reported once a day (S3's sizes), read over more than its window. */
const isDaily = (spec: FigureSpec, window: number) => spec.periodSeconds * 1000 > window;

/**
 * How far back (ms) one call reads: the window, or, when a figure is daily, whole windows covering
 * DAILY_REACH, so that each figure's newest period is still the window itself.
 */
export function spanOf(request: UsageRequest): number {
  const window = request.windowMinutes * MINUTE;
  return request.figures.some((f) => isDaily(f, window)) ? Math.ceil(DAILY_REACH / window) * window : window;
}

export function usageReport(
  request: UsageRequest,
  end: number,
  now: { results: Map<string, MetricDataResult[]>; truncated: boolean },
  before: { results: Map<string, MetricDataResult[]>; truncated: boolean },
): UsageReport {
  const window = request.windowMinutes * MINUTE;
  const span = spanOf(request);
  const figures = request.figures.map((spec, i): Figure => {
    // A daily figure (S3's sizes) is the newest of everything read; any other, the window's.
    const reach = isDaily(spec, window) ? span : window;
    const current = newest(now.results.get(`m${i}`), end - reach, now.truncated);
    const previous = newest(before.results.get(`m${i}`), end - WEEK - reach, before.truncated);
    const exact = current.value === null ? null : current.value / spec.scale;
    return {
      resource: spec.resource,
      target: spec.target,
      label: spec.label,
      unit: spec.unit,
      threshold: spec.threshold,
      follow: spec.follow,
      value: exact === null ? null : round(exact),
      weekBefore: previous.value === null ? null : round(previous.value / spec.scale),
      verdict: judge(spec, exact),
      ...(current.value === null && { note: current.note }),
    };
  });
  const sorted = figures
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.verdict] - RANK[b.f.verdict] || a.i - b.i)
    .map(({ f }) => f);
  const count = (verdict: Figure['verdict']) => figures.filter((f) => f.verdict === verdict).length;
  const counts = { ok: count('ok'), breach: count('breach'), noData: count('no-data') };
  const named = (f: Figure) =>
    `${f.resource} ${shown(f.target)} ${f.label} ${f.value ?? 'no data'}${f.value === null ? '' : ` ${f.unit}`}`;
  const breaches = sorted.filter((f) => f.verdict === 'breach');
  const listed = breaches
    .slice(0, 3)
    .map((f) => `${named(f)} (${thresholdText(f)})`)
    .join('; ');
  const over = `${figures.length} figures over the last ${request.windowMinutes} minutes`;
  const summary =
    (counts.breach === 0
      ? `${request.environment} is within every threshold: ${over}.`
      : `${request.environment}: ${counts.breach} of ${over} breach their threshold: ${listed}${counts.breach > 3 ? `; and ${counts.breach - 3} more` : ''}.`) +
    (counts.noData > 0 ? ` ${counts.noData} had no data.` : '');
  const iso = (ms: number) => new Date(ms).toISOString();
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
    // Whole minutes, as CloudWatch rounds a recent start and end.
    const end = Math.floor(Date.parse(now) / MINUTE) * MINUTE;
    const span = spanOf(request);
    try {
      const current = await readWindow(cloudwatch, request.figures, end - span, end);
      const before = await readWindow(cloudwatch, request.figures, end - WEEK - span, end - WEEK);
      return usageReport(request, end, current, before);
    } catch (error) {
      // Throttling is retried by the state machine; a refusal CloudWatch answers is final. Anything
      // else (a fault of this code) keeps its own name.
      const answered = error instanceof Error && (error as { $fault?: unknown }).$fault === 'client';
      if (error instanceof TransientAwsError || !answered) throw error;
      throw new UsageUnreadable(`CloudWatch GetMetricData: ${error.name}: ${shown(error.message)}`);
    }
  },
  summarize: (r) =>
    `${r.environment}: ${r.counts.breach} breach, ${r.counts.noData} without data, ${r.counts.ok} within`,
});

export const handler = lambdaHandler(readUsage);
