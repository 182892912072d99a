import { describe, expect, it } from 'vitest';
import {
  resolveHealthCheck,
  validateHealthCheckInput,
} from '../../../tasks/health-check/validate-health-check-input.ts';
import {
  type Catalogue,
  DEFAULT_HEALTH_CHECK,
  DEFAULT_RESOURCE_USAGE,
} from '../../../tasks/schemas/catalogue.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const policy = {
  approvalRequired: true,
  approvalTimeoutMinutes: 60,
  approvalReminders: { remindAt: 0.5, pageAt: 0.9 },
  snapshotRequired: true,
  snapshotRetention: { keepNewest: 20, minAgeDays: 14 },
  digestPinnedImages: true,
  changeRequestRequired: false,
  maintenancePage: false,
  bakeMinutes: 30,
  bakeWithoutAlarms: false,
  scaleDownApprovalFraction: 0.5,
};
const targetGroup = (name: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const service = (name: string, database?: string) => ({
  cluster: 'enterprise-cluster',
  service: `${name}-service`,
  containerName: name,
  targetGroupArn: targetGroup(name),
  targetType: 'ip' as const,
  ...(database && { database }),
  alarms: [],
  allowedRegistries: ['123456789012.dkr.ecr.us-east-1.amazonaws.com'],
  desiredCount: { min: 1, max: 10 },
  taskRoleArns: [],
});
const prodLog = {
  logGroup: '/aws/application/enterprise-prod',
  filterPattern: 'ERROR',
  windowMinutes: 60,
  maxEvents: 20,
};

const catalogue: Catalogue = {
  account: '123456789012',
  region: 'us-east-1',
  ciPrincipals: [],
  environments: {
    prod: {
      policy,
      approvers: ['arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approver_*/alice'],
      requiredApprovals: 1,
      procedureApprovals: {},
      databases: {
        main: { instance: 'Enterprise-Prod-DB' },
        reports: { instance: 'enterprise-prod-reports' },
      },
      healthCheck: {
        schedule: { time: '07:30', timeZone: 'Europe/London' },
        vpcTag: { key: 'Stage', value: 'production' },
        alarmNamePrefix: 'enterprise-prod-',
        logs: [
          prodLog,
          { logGroup: '/aws/ecs/worker', filterPattern: 'FATAL', windowMinutes: 30, maxEvents: 0 },
        ],
        notify: { fail: 'page', warn: 'warning' },
      },
      resourceUsage: DEFAULT_RESOURCE_USAGE,
      services: {
        app: service('app', 'enterprise-prod-db'),
        worker: service('worker', 'Enterprise-Prod-Cache'),
        web: service('web'),
      },
    },
    staging: {
      policy: { ...policy, approvalRequired: false },
      approvers: [],
      requiredApprovals: 1,
      procedureApprovals: {},
      databases: {},
      healthCheck: DEFAULT_HEALTH_CHECK,
      resourceUsage: DEFAULT_RESOURCE_USAGE,
      services: { app: service('app') },
    },
  },
};

const input = { environment: 'prod', requestedBy: 'jane@company.com', reason: 'Morning Health Check' };

/** The error a resolve throws, as "name: message", or 'accepted'. */
const problems = (given: unknown) => {
  try {
    resolveHealthCheck(given, catalogue);
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('resolveHealthCheck', () => {
  it("resolves a configured environment into what its checks read: the config's tag, databases, services, alarms, logs and severities", () => {
    // Given
    const given = input;

    // When
    const request = resolveHealthCheck(given, catalogue);

    // Then the databases are the environment's and its services', lower case, each once
    expect(request).toStrictEqual({
      procedure: 'health-check',
      environment: 'prod',
      service: 'health check',
      region: 'us-east-1',
      requestedBy: 'jane@company.com',
      reason: 'Morning Health Check',
      vpcTag: { key: 'Stage', value: 'production' },
      databases: ['enterprise-prod-db', 'enterprise-prod-reports', 'enterprise-prod-cache'],
      services: [
        {
          name: 'app',
          cluster: 'enterprise-cluster',
          service: 'app-service',
          targetGroupArn: targetGroup('app'),
        },
        {
          name: 'worker',
          cluster: 'enterprise-cluster',
          service: 'worker-service',
          targetGroupArn: targetGroup('worker'),
        },
        {
          name: 'web',
          cluster: 'enterprise-cluster',
          service: 'web-service',
          targetGroupArn: targetGroup('web'),
        },
      ],
      alarmNamePrefix: 'enterprise-prod-',
      logs: [
        prodLog,
        { logGroup: '/aws/ecs/worker', filterPattern: 'FATAL', windowMinutes: 30, maxEvents: 0 },
      ],
      notify: { fail: 'page', warn: 'warning' },
    });
  });

  it('resolves an environment with the default health check: tagged Environment=<its name>, every alarm, no logs', () => {
    // Given
    const given = { environment: 'staging', requestedBy: 'schedule' };

    // When
    const request = resolveHealthCheck(given, catalogue);

    // Then
    expect(request).toStrictEqual({
      procedure: 'health-check',
      environment: 'staging',
      service: 'health check',
      region: 'us-east-1',
      requestedBy: 'schedule',
      reason: null,
      vpcTag: { key: 'Environment', value: 'staging' },
      databases: [],
      services: [
        {
          name: 'app',
          cluster: 'enterprise-cluster',
          service: 'app-service',
          targetGroupArn: targetGroup('app'),
        },
      ],
      alarmNamePrefix: null,
      logs: [],
      notify: { fail: 'warning', warn: 'info' },
    });
  });

  it('does not change the catalogue it resolves against', () => {
    // Given
    const before = structuredClone(catalogue);

    // When
    resolveHealthCheck(input, catalogue);

    // Then
    expect(catalogue).toStrictEqual(before);
  });

  it.each(['staging-2', 'constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'refuses an environment named %s as not configured, naming environment',
    (name) => {
      // Given
      const given = { ...input, environment: name };

      // When
      const refused = problems(given);

      // Then
      expect(refused).toBe(
        `InvalidInput: Invalid input: environment: '${name}' is not configured (known: prod, staging)`,
      );
    },
  );

  it.each([
    ['an unknown field', { ...input, force: true }, 'force'],
    ['a missing requestedBy', { environment: 'prod' }, 'requestedBy: '],
    ['an empty requestedBy', { ...input, requestedBy: '' }, 'requestedBy: '],
    ['a requestedBy of 129 characters', { ...input, requestedBy: 'j'.repeat(129) }, 'requestedBy: '],
    ['an empty reason', { ...input, reason: '' }, 'reason: '],
    ['a missing environment', { requestedBy: 'jane' }, 'environment: '],
    ['an empty environment', { ...input, environment: '' }, 'environment: '],
    ['a number for an environment', { ...input, environment: 7 }, 'environment: '],
  ])('refuses %s as InvalidInput naming it', (_, given, field) => {
    // Given / When
    const refused = problems(given);

    // Then
    expect(refused).toMatch(/^InvalidInput: Invalid input: /);
    expect(refused).toContain(field);
  });

  it.each([
    ['null', null],
    ['a string', 'prod'],
    ['an array', ['prod']],
    ['nothing', undefined],
  ])('refuses %s as input as InvalidInput, not a TypeError', (_, given) => {
    // Given / When
    const refused = problems(given);

    // Then
    expect(refused).toMatch(/^InvalidInput: Invalid input: \(input\): /);
  });

  it('names every problem at once: an unknown field and an unknown environment', () => {
    // Given
    const given = { ...input, environment: 'qa', force: true };

    // When
    const refused = problems(given);

    // Then
    expect(refused).toMatch(
      /^InvalidInput: Invalid input: \(input\): .*force.*; environment: 'qa' is not configured/,
    );
  });
});

describe('validate-health-check-input', () => {
  it('is the worker the first step runs: the catalogue as embedded JSON, its words for a person', async () => {
    // Given
    const event = { input, catalogue: JSON.stringify(catalogue) };

    // When
    const request = await invoke(validateHealthCheckInput, event, testClients());

    // Then
    expect(request).toStrictEqual(resolveHealthCheck(input, catalogue));
    expect(validateHealthCheckInput.summarize?.(request)).toBe('prod: 3 services, 3 databases, 2 log groups');
  });

  it('calls no AWS API', () => {
    // Given / When / Then
    expect(validateHealthCheckInput.actions).toEqual([]);
    expect(validateHealthCheckInput.everyResource).toBeUndefined();
  });

  it('takes the catalogue as an object too', async () => {
    // Given
    const event = { input: { environment: 'staging', requestedBy: 'schedule' }, catalogue };

    // When
    const request = await invoke(validateHealthCheckInput, event, testClients());

    // Then
    expect(validateHealthCheckInput.summarize?.(request)).toBe(
      'staging: 1 services, 0 databases, 0 log groups',
    );
  });

  it('refuses an input that names no configured environment as InvalidInput', async () => {
    // Given
    const event = { input: { ...input, environment: 'constructor' }, catalogue: JSON.stringify(catalogue) };

    // When
    const validated = invoke(validateHealthCheckInput, event, testClients());

    // Then
    await expect(validated).rejects.toMatchObject({
      name: 'InvalidInput',
      message: "Invalid input: environment: 'constructor' is not configured (known: prod, staging)",
    });
  });

  it('refuses a catalogue that is not one as InvalidInput naming it', async () => {
    // Given
    const event = { input, catalogue: '{"account":"x"' };

    // When
    const validated = invoke(validateHealthCheckInput, event, testClients());

    // Then
    await expect(validated).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('validate-health-check-input: catalogue'),
    });
  });
});
