import { describe, expect, it } from 'vitest';
import {
  MAX_FIGURES,
  resolveResourceUsage,
  validateResourceUsageInput,
} from '../../../tasks/resource-usage/validate-resource-usage-input.ts';
import { type Catalogue, CatalogueSchema } from '../../../tasks/schemas/catalogue.ts';
import { invoke } from '../../../tasks/worker.ts';
import { bareConfigPolicy, bareConfigService, testClients } from '../support.ts';

const policy = bareConfigPolicy();
const service = (cluster: string, name: string, database?: string) =>
  bareConfigService({
    cluster,
    service: name,
    desiredCount: { min: 1, max: 10 },
    ...(database && { database }),
  });

const catalogue: Catalogue = CatalogueSchema.parse({
  account: '123456789012',
  region: 'us-east-1',
  environments: {
    prod: {
      policy,
      databases: { main: { instance: 'Enterprise-Prod-DB' } },
      services: {
        app: service('prod-cluster', 'app-service', 'enterprise-prod-db'),
        worker: service('prod-cluster', 'worker-service'),
      },
      resourceUsage: {
        windowMinutes: 30,
        ecs: { cpuPercent: 70, memoryPercent: 85 },
        rds: { cpuPercent: 60, maxConnections: 400, minFreeStorageGiB: 20 },
        buckets: [{ bucket: 'enterprise-prod-app', maxSizeGiB: 1024 }, { bucket: 'enterprise-prod-logs' }],
        notify: 'page',
      },
    },
    dev: { policy, databases: {}, services: { app: service('dev-cluster', 'app') } },
  },
});

const input = { environment: 'prod', requestedBy: 'jane@company.com', reason: 'before the launch' };

/** The error a resolve throws, as "name: message", or 'accepted'. */
const problems = (given: unknown, from: Catalogue = catalogue) => {
  try {
    resolveResourceUsage(given, from);
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('resolveResourceUsage', () => {
  it('resolves every figure of the environment: each cluster once, each service, each database once, each bucket', () => {
    // Given an environment of two services on one cluster, a database named twice, two buckets
    // When it is resolved
    const request = resolveResourceUsage(input, catalogue);
    // Then the request carries the config's window and severity, and one figure per metric
    expect({ ...request, figures: undefined }).toStrictEqual({
      procedure: 'resource-usage',
      environment: 'prod',
      service: 'resource usage',
      region: 'us-east-1',
      requestedBy: 'jane@company.com',
      reason: 'before the launch',
      windowMinutes: 30,
      figures: undefined,
      notify: 'page',
    });
    expect(request.figures.map((f) => `${f.resource} ${f.target} ${f.label}`)).toEqual([
      'ecs-cluster prod-cluster CPU',
      'ecs-cluster prod-cluster memory',
      'ecs-service prod-cluster/app-service CPU',
      'ecs-service prod-cluster/app-service memory',
      'ecs-service prod-cluster/worker-service CPU',
      'ecs-service prod-cluster/worker-service memory',
      'rds enterprise-prod-db CPU',
      'rds enterprise-prod-db connections',
      'rds enterprise-prod-db free storage',
      's3 enterprise-prod-app size',
      's3 enterprise-prod-logs size',
    ]);
  });

  it("names each figure's metric exactly as CloudWatch publishes it, with the config's thresholds", () => {
    const byName = Object.fromEntries(
      resolveResourceUsage(input, catalogue).figures.map((f) => [`${f.target} ${f.label}`, f]),
    );
    expect(byName['prod-cluster CPU']).toStrictEqual({
      resource: 'ecs-cluster',
      target: 'prod-cluster',
      label: 'CPU',
      namespace: 'AWS/ECS',
      metricName: 'CPUUtilization',
      dimensions: [{ Name: 'ClusterName', Value: 'prod-cluster' }],
      stat: 'Average',
      periodSeconds: 1800,
      daily: false,
      scale: 1,
      unit: '%',
      threshold: { max: 70 },
      follow: 'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod-cluster?region=us-east-1',
    });
    expect(byName['prod-cluster/worker-service memory']).toMatchObject({
      metricName: 'MemoryUtilization',
      dimensions: [
        { Name: 'ClusterName', Value: 'prod-cluster' },
        { Name: 'ServiceName', Value: 'worker-service' },
      ],
      threshold: { max: 85 },
      follow:
        'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod-cluster/services/worker-service?region=us-east-1',
    });
    expect(byName['enterprise-prod-db CPU']).toMatchObject({
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'enterprise-prod-db' }],
      stat: 'Average',
      threshold: { max: 60 },
    });
    expect(byName['enterprise-prod-db connections']).toMatchObject({
      metricName: 'DatabaseConnections',
      stat: 'Maximum',
      unit: 'connections',
      threshold: { max: 400 },
    });
    expect(byName['enterprise-prod-db free storage']).toMatchObject({
      metricName: 'FreeStorageSpace',
      stat: 'Minimum',
      scale: 1024 ** 3,
      unit: 'GiB',
      threshold: { min: 20 },
      follow:
        'https://us-east-1.console.aws.amazon.com/rds/home?region=us-east-1#database:id=enterprise-prod-db;is-cluster=false',
    });
    expect(byName['enterprise-prod-app size']).toStrictEqual({
      resource: 's3',
      target: 'enterprise-prod-app',
      label: 'size',
      namespace: 'AWS/S3',
      metricName: 'BucketSizeBytes',
      dimensions: [
        { Name: 'BucketName', Value: 'enterprise-prod-app' },
        { Name: 'StorageType', Value: 'StandardStorage' },
      ],
      stat: 'Average',
      periodSeconds: 86_400,
      daily: true,
      scale: 1024 ** 3,
      unit: 'GiB',
      threshold: { max: 1024 },
      follow:
        'https://us-east-1.console.aws.amazon.com/s3/buckets/enterprise-prod-app?region=us-east-1&tab=metrics',
    });
    // Without a configured limit a figure is reported and not judged
    expect(byName['enterprise-prod-logs size']?.threshold).toBeNull();
  });

  it('an environment with the defaults: an hour, 80 %, no connection limit, at least 10 GiB free, warning', () => {
    const request = resolveResourceUsage(
      { environment: 'dev', requestedBy: 'EventBridge Scheduler' },
      catalogue,
    );
    expect(request.reason).toBeNull();
    expect(request.windowMinutes).toBe(60);
    expect(request.notify).toBe('warning');
    expect(request.figures.map((f) => [f.target, f.label, f.threshold, f.periodSeconds])).toEqual([
      ['dev-cluster', 'CPU', { max: 80 }, 3600],
      ['dev-cluster', 'memory', { max: 80 }, 3600],
      ['dev-cluster/app', 'CPU', { max: 80 }, 3600],
      ['dev-cluster/app', 'memory', { max: 80 }, 3600],
    ]);
  });

  it('refuses an input naming every problem, an unknown or inherited environment, and unknown fields', () => {
    expect(problems({ ...input, environment: 'staging' })).toBe(
      "InvalidInput: Invalid input: environment: 'staging' is not configured (known: prod, dev)",
    );
    expect(problems({ ...input, environment: 'constructor' })).toMatch(
      /^InvalidInput: .*'constructor' is not configured/,
    );
    expect(problems({ ...input, environment: '__proto__' })).toMatch(/^InvalidInput: .*is not configured/);
    expect(problems({ environment: 'prod', window: 5 })).toMatch(
      /^InvalidInput: .*requestedBy.*window|^InvalidInput: .*window.*requestedBy/,
    );
    expect(problems(null)).toMatch(/^InvalidInput: /);
    expect(problems({ ...input, requestedBy: 'x'.repeat(129) })).toMatch(/^InvalidInput: .*requestedBy/);
  });

  it(`refuses an environment of more than ${MAX_FIGURES} figures, naming the environment`, () => {
    // Given 50 buckets and 75 services on one cluster: 2 + 150 + 50 = 202 figures
    const prod = catalogue.environments.prod;
    if (!prod) throw new Error('no prod');
    const big: Catalogue = {
      ...catalogue,
      environments: {
        prod: {
          ...prod,
          databases: {},
          services: Object.fromEntries(
            Array.from({ length: 75 }, (_, i) => [
              `s${i}`,
              { ...service('big', `s${i}`), targetType: 'ip', alarms: [], taskRoleArns: [] },
            ]),
          ) as typeof prod.services,
          resourceUsage: {
            ...prod.resourceUsage,
            buckets: Array.from({ length: 50 }, (_, i) => ({ bucket: `bucket-${i}` })),
          },
        },
      },
    };
    expect(problems(input, big)).toBe(
      'InvalidInput: Invalid input: environment: prod has 202 figures to read, more than the 200 one run reports: split its services or buckets across environments',
    );
    // And 200 exactly is read
    const fits: Catalogue = {
      ...big,
      environments: {
        prod: {
          ...big.environments.prod,
          resourceUsage: {
            ...prod.resourceUsage,
            buckets: Array.from({ length: 48 }, (_, i) => ({ bucket: `bucket-${i}` })),
          },
        } as NonNullable<Catalogue['environments']['prod']>,
      },
    };
    expect(resolveResourceUsage(input, fits).figures).toHaveLength(200);
  });
});

describe('validate-resource-usage-input worker', () => {
  it('takes the input and the embedded catalogue and says what it resolved', async () => {
    const request = await invoke(
      validateResourceUsageInput,
      { input, catalogue: JSON.stringify(catalogue) },
      testClients(),
    );
    expect(request.figures).toHaveLength(11);
    expect(validateResourceUsageInput.summarize?.(request)).toBe('prod: 11 figures over 30 minutes');
    expect(validateResourceUsageInput.actions).toEqual([]);
  });
});
