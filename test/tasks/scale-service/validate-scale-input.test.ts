import { describe, expect, it } from 'vitest';
import { resolveScale, validateScaleInput } from '../../../tasks/scale-service/validate-scale-input.ts';
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
      approvers: ['arn:aws:sts::123456789012:assumed-role/Approver/*'],
      databases: {},
      services: { app: service },
    },
    dev: {
      policy: { ...policy, approvalRequired: false, changeRequestRequired: false },
      databases: {},
      services: { app: service },
    },
  },
});
const execution = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:runbook-scale-service:launch-1',
  name: 'launch-1',
  startTime: '2026-12-04T10:00:00.000Z',
};
const input = {
  environment: 'prod',
  service: 'app',
  desiredCount: 6,
  changeRequest: 'CHG-1',
  reason: 'launch',
  requestedBy: 'jane',
};

const problems = (given: unknown) => {
  try {
    resolveScale(given, catalogue, execution);
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('resolveScale', () => {
  it('resolves the service, its bounds, the lock, and who may approve a large scale-down', () => {
    expect(resolveScale(input, catalogue, execution)).toStrictEqual({
      procedure: 'scale-service',
      environment: 'prod',
      service: 'app',
      cluster: 'prod-cluster',
      serviceName: 'app-service',
      targetGroupArn: service.targetGroupArn,
      targetType: 'ip',
      desiredCount: 6,
      upOnly: false,
      bounds: { min: 2, max: 10 },
      scaleDownApprovalFraction: 0.5,
      approvalRequired: true,
      approvalTimeoutSeconds: 3600,
      approvalRule: {
        approvers: ['arn:aws:sts::123456789012:assumed-role/Approver/*'],
        required: 1,
        neverApprovers: [],
      },
      approvalReminders: { remindAt: 0.5, pageAt: 0.9 },
      changeRequest: 'CHG-1',
      reason: 'launch',
      requestedBy: 'jane',
      lock: {
        key: 'ecs:prod-cluster/app-service',
        owner: execution.id,
        procedure: 'scale-service',
        join: false,
        joinToken: null,
        member: null,
      },
    });
  });

  it('where approvals are not required, never asks one', () => {
    const dev = resolveScale(
      { ...input, environment: 'dev', changeRequest: undefined },
      catalogue,
      execution,
    );
    expect([dev.approvalRequired, dev.approvalRule, dev.changeRequest]).toEqual([false, null, null]);
  });

  it('refuses a count out of bounds, a missing ticket, an unknown or inherited service, naming each field', () => {
    expect(problems({ ...input, desiredCount: 11 })).toBe(
      'InvalidInput: Invalid input: desiredCount: must be between 2 and 10 for app',
    );
    expect(problems({ ...input, desiredCount: 1 })).toMatch(/desiredCount: must be between 2 and 10/);
    expect(problems({ ...input, desiredCount: 2.5 })).toMatch(/^InvalidInput: .*desiredCount/);
    expect(problems({ ...input, changeRequest: undefined })).toMatch(
      /changeRequest: prod requires a change request/,
    );
    expect(problems({ ...input, service: 'constructor' })).toMatch(
      /^InvalidInput: .*service: 'constructor' is not configured/,
    );
    expect(problems({ ...input, extra: 1 })).toMatch(/^InvalidInput: .*extra/);
    expect(problems(null)).toMatch(/^InvalidInput: /);
    expect(problems({ ...input, desiredCount: 11, changeRequest: undefined })).toMatch(
      /desiredCount.*changeRequest|changeRequest.*desiredCount/,
    );
  });

  it('the worker says what it resolved', async () => {
    const request = await invoke(
      validateScaleInput,
      { input, catalogue: JSON.stringify(catalogue), execution },
      testClients(),
    );
    expect(validateScaleInput.summarize?.(request)).toBe('prod/app (prod-cluster/app-service) to 6');
  });
});
