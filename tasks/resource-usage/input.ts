// resource-usage's input as a person (or its schedule) writes it, and the request its first step
// resolves: every figure the run reads, each with its CloudWatch metric and its threshold.
import * as z from '../zod.ts';

export const RESOURCES = ['ecs-cluster', 'ecs-service', 'rds', 's3'] as const;

/** One figure: which metric, read how, and what it is held to. */
export const FigureSpecSchema = z.strictObject({
  resource: z.enum(RESOURCES),
  /** What it is of: a cluster, cluster/service, an instance or a bucket. */
  target: z.string(),
  /** What the figure is, in a few words (CPU, memory, connections, free storage, size). */
  label: z.string(),
  namespace: z.string(),
  metricName: z.string(),
  dimensions: z.array(z.strictObject({ Name: z.string(), Value: z.string() })),
  /** The statistic over each period: Average, Maximum or Minimum. */
  stat: z.enum(['Average', 'Maximum', 'Minimum']),
  /** Seconds a datapoint covers: the window, or a day for S3's daily sizes. */
  periodSeconds: z.number().int(),
  /** Published once a day (S3's sizes): its newest day is read, not the window. */
  daily: z.boolean(),
  /** What the metric's value is divided by to give the figure (bytes to GiB), and the figure's unit. */
  scale: z.number(),
  unit: z.string(),
  /** The figure must stay at or under `max`, or at or over `min`; null: reported, not judged. */
  threshold: z.union([z.strictObject({ max: z.number() }), z.strictObject({ min: z.number() })]).nullable(),
  /** The AWS console page of the target. */
  follow: z.string(),
});
export type FigureSpec = z.infer<typeof FigureSpecSchema>;

/** What resource-usage's first step resolves and its read step takes as $.request. */
export const UsageRequestSchema = z.strictObject({
  procedure: z.literal('resource-usage'),
  environment: z.string(),
  /** What the notices name as the run's target. */
  service: z.literal('resource usage'),
  region: z.string(),
  requestedBy: z.string(),
  reason: z.string().nullable(),
  windowMinutes: z.number().int(),
  figures: z.array(FigureSpecSchema),
  notify: z.enum(['info', 'warning', 'page']),
});
export type UsageRequest = z.infer<typeof UsageRequestSchema>;
