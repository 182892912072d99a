import { describe, expect, it } from 'vitest';
import { catalogueOf, loadConfig } from '../../../infra/config.ts';
import { resolveRestore } from '../../../tasks/db-restore/validate-db-restore-input.ts';
import {
  resolveMaintenance,
  validateRdsMaintenanceInput,
} from '../../../tasks/rds-maintenance/validate-rds-maintenance-input.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const catalogue = catalogueOf(loadConfig());
const execution = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:runbook-rds-maintenance:pg-15-7',
  name: 'pg-15-7',
  startTime: '2026-12-02T09:05:31.000Z',
};
const input = {
  environment: 'prod',
  database: 'main',
  engineVersion: '15.7',
  apply: 'now',
  changeRequest: 'CHG-1',
  requestedBy: 'jane@company.com',
};
const problems = (given: unknown, cat = catalogue) => {
  try {
    resolveMaintenance(given, cat, execution);
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('validate-rds-maintenance-input', () => {
  it('resolves the database, names the snapshot after the run, takes the database lock, and asks prod for approval', () => {
    const request = resolveMaintenance(input, catalogue, execution);
    const snapshotId = expect.stringMatching(/^pre-maintenance-enterprise-prod-db-202612020905-[0-9a-f]{8}$/);
    expect(request).toEqual({
      procedure: 'rds-maintenance',
      environment: 'prod',
      service: 'main',
      dbInstance: 'enterprise-prod-db',
      engineVersion: '15.7',
      instanceClass: null,
      apply: 'now',
      snapshotId,
      approvalRequired: true,
      approvalTimeoutSeconds: 3600,
      approvalRule: expect.objectContaining({ approvers: expect.arrayContaining([expect.any(String)]) }),
      approvalReminders: expect.any(Object),
      changeRequest: 'CHG-1',
      reason: null,
      requestedBy: 'jane@company.com',
      restoreInput: {
        environment: 'prod',
        database: 'main',
        source: { snapshot: request.snapshotId },
        cutover: 'none',
        changeRequest: 'CHG-1',
        requestedBy: 'jane@company.com',
        reason: 'Back to before the failed rds-maintenance run pg-15-7',
      },
      lock: {
        key: 'rds:enterprise-prod-db',
        owner: execution.id,
        procedure: 'rds-maintenance',
        join: false,
        joinToken: null,
        member: null,
      },
    });
    // The same run names it the same (a redrive); another run otherwise
    expect(resolveMaintenance(input, catalogue, execution).snapshotId).toBe(request.snapshotId);
    expect(
      resolveMaintenance(input, catalogue, { ...execution, id: `${execution.id}-2` }).snapshotId,
    ).not.toBe(request.snapshotId);
  });

  it('writes down a db-restore input that db-restore accepts, for the page of a failed change', () => {
    const { restoreInput } = resolveMaintenance(input, catalogue, execution);
    expect(resolveRestore(restoreInput, catalogue, execution)).toMatchObject({
      dbInstance: 'enterprise-prod-db',
      source: restoreInput.source,
      cutover: 'none',
    });
  });

  it('takes a class change for the window, and no approval where the environment needs none', () => {
    const relaxed = structuredClone(catalogue);
    const prod = relaxed.environments.prod;
    if (!prod) throw new Error('no prod');
    prod.policy.approvalRequired = false;
    prod.policy.changeRequestRequired = false;
    const { engineVersion: _v, changeRequest: _c, ...rest } = input;
    const request = resolveMaintenance(
      { ...rest, instanceClass: 'db.r6g.xlarge', apply: 'window' },
      relaxed,
      execution,
    );
    expect(request).toMatchObject({
      engineVersion: null,
      instanceClass: 'db.r6g.xlarge',
      apply: 'window',
      approvalRequired: false,
      approvalRule: null,
      changeRequest: null,
    });
    expect(request.restoreInput).not.toHaveProperty('changeRequest');
  });

  it.each([
    [
      { ...input, engineVersion: undefined },
      'engineVersion: name the change: engineVersion, instanceClass, or both',
    ],
    [{ ...input, changeRequest: undefined }, 'changeRequest: prod requires a change request'],
    [{ ...input, apply: 'later' }, 'apply'],
    [{ ...input, apply: undefined }, 'apply'],
    [{ ...input, engineVersion: '' }, 'engineVersion'],
    [{ ...input, instanceClass: 'x'.repeat(33) }, 'instanceClass'],
    [{ ...input, extra: 1 }, 'extra'],
    [{ ...input, database: 'constructor' }, "database: 'constructor' is not configured in prod"],
    [{ ...input, environment: '__proto__' }, 'environment'],
    [null, 'input'],
  ])('refuses %o, naming %s', (given, field) => {
    expect(problems(given)).toMatch(/^InvalidInput: /);
    expect(problems(given)).toContain(field);
  });

  it('names every problem at once', () => {
    expect(problems({ ...input, engineVersion: undefined, changeRequest: undefined, extra: 1 })).toMatch(
      /extra.*engineVersion: name the change.*changeRequest: prod requires/,
    );
  });

  it('is the worker the first step runs: the catalogue as embedded JSON, its words for a person', async () => {
    const request = await invoke(
      validateRdsMaintenanceInput,
      { input, catalogue: JSON.stringify(catalogue), execution },
      testClients(),
    );
    expect(validateRdsMaintenanceInput.summarize?.(request)).toBe(
      'prod/main is enterprise-prod-db; 15.7, now',
    );
  });
});
