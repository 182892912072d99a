import { describe, expect, it } from 'vitest';
import {
  resolveConfigure,
  validateConfigureInput,
} from '../../../tasks/configure-autoscaling/validate-configure-input.ts';
import { type Catalogue, CatalogueSchema } from '../../../tasks/schemas/catalogue.ts';
import { invoke } from '../../../tasks/worker.ts';
import { bareConfigPolicy, bareConfigService, testClients } from '../support.ts';

const policy = bareConfigPolicy({ approvalRequired: true, changeRequestRequired: true });
const service = bareConfigService();
const catalogue: Catalogue = CatalogueSchema.parse({
  account: '123456789012',
  region: 'us-east-1',
  environments: {
    prod: {
      policy,
      databases: {},
      services: {
        app: {
          ...service,
          autoScaling: { min: 3, max: 8, targetPercent: 65, scaleOutCooldownSeconds: 30 },
        },
        worker: { ...service, service: 'worker-service' },
      },
    },
  },
});
const execution = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:runbook-configure-autoscaling:setup-1',
  name: 'setup-1',
  startTime: '2026-12-04T10:00:00.000Z',
};
const input = { environment: 'prod', service: 'app', changeRequest: 'CHG-1', requestedBy: 'jane' };
const problems = (given: unknown) => {
  try {
    resolveConfigure(given, catalogue, execution);
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('resolveConfigure', () => {
  it("resolves what the config says the service's auto scaling is, with the defaults filled in", () => {
    const request = resolveConfigure(input, catalogue, execution);
    expect(request).toMatchObject({
      procedure: 'configure-autoscaling',
      cluster: 'prod-cluster',
      serviceName: 'app-service',
      check: false,
      wanted: {
        target: { min: 3, max: 8 },
        policy: {
          metric: 'ECSServiceAverageCPUUtilization',
          targetValue: 65,
          scaleInCooldownSeconds: 300,
          scaleOutCooldownSeconds: 30,
        },
      },
      changeRequest: 'CHG-1',
      reason: null,
      lock: { key: 'ecs:prod-cluster/app-service', owner: execution.id, procedure: 'configure-autoscaling' },
    });
  });

  it('a check needs no change request', () => {
    expect(
      resolveConfigure(
        { environment: 'prod', service: 'app', check: true, requestedBy: 'ci' },
        catalogue,
        execution,
      ).check,
    ).toBe(true);
  });

  it('refuses a service without autoScaling, a missing ticket, unknown fields, naming each', () => {
    expect(problems({ ...input, service: 'worker' })).toBe(
      'InvalidInput: Invalid input: service: worker has no autoScaling in the config: say its min, max and target there first',
    );
    expect(problems({ ...input, changeRequest: undefined })).toMatch(
      /changeRequest: prod requires a change request/,
    );
    expect(problems({ ...input, check: 'yes' })).toMatch(/^InvalidInput: .*check/);
    expect(problems({ ...input, service: 'toString' })).toMatch(/'toString' is not configured/);
  });

  it('the worker says what it resolved', async () => {
    const request = await invoke(
      validateConfigureInput,
      { input, catalogue: JSON.stringify(catalogue), execution },
      testClients(),
    );
    expect(validateConfigureInput.summarize?.(request)).toBe(
      'prod/app: apply min 3 max 8, ECSServiceAverageCPUUtilization at 65 %',
    );
  });
});

describe('the autoScaling config', () => {
  const parse = (autoScaling: unknown) =>
    CatalogueSchema.safeParse({
      account: '123456789012',
      region: 'us-east-1',
      environments: { prod: { policy, databases: {}, services: { app: { ...service, autoScaling } } } },
    });
  it('must stay within desiredCount, min at most max, the target 10 to 90', () => {
    const issues = (a: unknown) => {
      const r = parse(a);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.slice(-2).join('.')}: ${i.message}`);
    };
    expect(issues({ min: 1, max: 10 })).toEqual([
      'autoScaling.min: must be within desiredCount: at least its min',
    ]);
    expect(issues({ min: 2, max: 11 })).toEqual([
      'autoScaling.max: must be within desiredCount: at most its max',
    ]);
    expect(issues({ min: 6, max: 4 })).toEqual(['autoScaling.max: min must not exceed max']);
    expect(issues({ min: 2, max: 10, targetPercent: 95 })).toHaveLength(1);
    expect(issues({ min: 2, max: 10 })).toEqual([]);
  });
});
