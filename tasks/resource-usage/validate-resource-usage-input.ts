// First step of resource-usage: checks the input and resolves, from the config, every figure the run
// reads (the environment's ECS clusters and services, RDS instances and S3 buckets), each with its
// CloudWatch metric and its threshold; changes nothing.
import { type Issue, instancesOf, issuesError, lookUpEnvironment } from '../catalogue.ts';
import { consoleUrl } from '../console.ts';
import { type Catalogue, EmbeddedCatalogueSchema } from '../schemas/catalogue.ts';
import { EnvironmentRunInputFields, EnvironmentRunInputSchema } from '../schemas/environment-run.ts';
import { issuesOf } from '../schemas/issues.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type FigureSpec, type UsageRequest, UsageRequestSchema } from './input.ts';

/** Figures one run reads at most: its report stays small, and one GetMetricData call asks for them all. */
export const MAX_FIGURES = 200;

const GIB = 1024 ** 3;
/** S3 reports a bucket's size once a day. */
const DAY_SECONDS = 86_400;

/** Validates a resource-usage input against the catalogue; throws InvalidInput naming every problem. */
export function resolveResourceUsage(input: unknown, catalogue: Catalogue): UsageRequest {
  const strict = EnvironmentRunInputSchema.safeParse(input);
  const issues: Issue[] = strict.success ? [] : issuesOf(strict.error);
  const req = strict.success ? strict.data : EnvironmentRunInputFields.safeParse(input).data;
  if (!req) throw issuesError(issues);
  const env = lookUpEnvironment(catalogue, req.environment, issues);
  if (!env || issues.length > 0) throw issuesError(issues);
  const { region } = catalogue;
  const usage = env.resourceUsage;
  const period = usage.windowMinutes * 60;
  const ecsPage = (path: string) => consoleUrl(region, `ecs/v2/clusters/${path}?region=${region}`);
  const ecs = (
    resource: 'ecs-cluster' | 'ecs-service',
    target: string,
    dimensions: FigureSpec['dimensions'],
  ) =>
    (
      [
        ['CPU', 'CPUUtilization', usage.ecs.cpuPercent],
        ['memory', 'MemoryUtilization', usage.ecs.memoryPercent],
      ] as const
    ).map(
      ([label, metricName, max]): FigureSpec => ({
        resource,
        target,
        label,
        namespace: 'AWS/ECS',
        metricName,
        dimensions,
        stat: 'Average',
        periodSeconds: period,
        daily: false,
        scale: 1,
        unit: '%',
        threshold: { max },
        follow: ecsPage(resource === 'ecs-cluster' ? target : target.replace('/', '/services/')),
      }),
    );
  const clusters = [...new Set(Object.values(env.services).map((svc) => svc.cluster))];
  const rds = (instance: string): FigureSpec[] => {
    const figure = (
      label: string,
      metricName: string,
      stat: FigureSpec['stat'],
      unit: string,
      threshold: FigureSpec['threshold'],
      scale = 1,
    ): FigureSpec => ({
      resource: 'rds',
      target: instance,
      label,
      namespace: 'AWS/RDS',
      metricName,
      dimensions: [{ Name: 'DBInstanceIdentifier', Value: instance }],
      stat,
      periodSeconds: period,
      daily: false,
      scale,
      unit,
      threshold,
      follow: consoleUrl(region, `rds/home?region=${region}#database:id=${instance};is-cluster=false`),
    });
    const { cpuPercent, maxConnections, minFreeStorageGiB } = usage.rds;
    return [
      figure('CPU', 'CPUUtilization', 'Average', '%', { max: cpuPercent }),
      figure(
        'connections',
        'DatabaseConnections',
        'Maximum',
        'connections',
        maxConnections === undefined ? null : { max: maxConnections },
      ),
      figure('free storage', 'FreeStorageSpace', 'Minimum', 'GiB', { min: minFreeStorageGiB }, GIB),
    ];
  };
  const figures: FigureSpec[] = [
    ...clusters.flatMap((cluster) => ecs('ecs-cluster', cluster, [{ Name: 'ClusterName', Value: cluster }])),
    ...Object.values(env.services).flatMap((svc) =>
      ecs('ecs-service', `${svc.cluster}/${svc.service}`, [
        { Name: 'ClusterName', Value: svc.cluster },
        { Name: 'ServiceName', Value: svc.service },
      ]),
    ),
    ...instancesOf(env).flatMap(rds),
    ...usage.buckets.map(
      ({ bucket, maxSizeGiB }): FigureSpec => ({
        resource: 's3',
        target: bucket,
        label: 'size',
        namespace: 'AWS/S3',
        metricName: 'BucketSizeBytes',
        dimensions: [
          { Name: 'BucketName', Value: bucket },
          { Name: 'StorageType', Value: 'StandardStorage' },
        ],
        stat: 'Average',
        periodSeconds: DAY_SECONDS,
        daily: true,
        scale: GIB,
        unit: 'GiB',
        threshold: maxSizeGiB === undefined ? null : { max: maxSizeGiB },
        follow: consoleUrl(region, `s3/buckets/${bucket}?region=${region}&tab=metrics`),
      }),
    ),
  ];
  if (figures.length > MAX_FIGURES)
    throw issuesError([
      {
        path: 'environment',
        message: `${req.environment} has ${figures.length} figures to read, more than the ${MAX_FIGURES} one run reports: split its services or buckets across environments`,
      },
    ]);
  return UsageRequestSchema.parse({
    procedure: 'resource-usage',
    environment: req.environment,
    service: 'resource usage',
    region,
    requestedBy: req.requestedBy,
    reason: req.reason ?? null,
    windowMinutes: usage.windowMinutes,
    figures,
    notify: usage.notify,
  });
}

export const validateResourceUsageInput = defineWorker({
  name: 'validate-resource-usage-input',
  entry: import.meta.url,
  actions: [],
  input: z.object({ input: z.unknown(), catalogue: EmbeddedCatalogueSchema }),
  run: async ({ input, catalogue }) => resolveResourceUsage(input, catalogue),
  summarize: (r) => `${r.environment}: ${r.figures.length} figures over ${r.windowMinutes} minutes`,
});

export const handler = lambdaHandler(validateResourceUsageInput);
