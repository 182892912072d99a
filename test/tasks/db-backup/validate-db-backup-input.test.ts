import { describe, expect, it } from 'vitest';
import { catalogueOf, loadConfig } from '../../../infra/config.ts';
import { resolveBackup, validateDbBackupInput } from '../../../tasks/db-backup/validate-db-backup-input.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const catalogue = catalogueOf(loadConfig());
const execution = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:runbook-db-backup:monthly',
  name: 'monthly',
  startTime: '2026-12-02T09:05:31.000Z',
};
const input = { environment: 'prod', database: 'main', requestedBy: 'jane@company.com', export: true };

describe('validate-db-backup-input', () => {
  it('resolves the database, names the snapshot and the export after the run, and takes the database lock', () => {
    const request = resolveBackup(input, catalogue, execution);
    expect(request).toEqual({
      procedure: 'db-backup',
      environment: 'prod',
      service: 'main',
      dbInstance: 'enterprise-prod-db',
      snapshotId: expect.stringMatching(/^manual-enterprise-prod-db-202612020905-[0-9a-f]{8}$/),
      export: { prefix: 'prod/main', taskId: expect.stringMatching(/^export-202612020905-[0-9a-f]{8}$/) },
      requestedBy: 'jane@company.com',
      reason: null,
      lock: {
        key: 'rds:enterprise-prod-db',
        owner: execution.id,
        procedure: 'db-backup',
        join: false,
        joinToken: null,
        member: null,
      },
    });
    // The same run names them the same (a redrive); another run otherwise
    expect(resolveBackup(input, catalogue, execution).snapshotId).toBe(request.snapshotId);
    expect(resolveBackup(input, catalogue, { ...execution, id: `${execution.id}-2` }).snapshotId).not.toBe(
      request.snapshotId,
    );
    expect(resolveBackup({ ...input, export: false }, catalogue, execution).export).toBeNull();
  });

  it.each([
    [
      { ...input, database: 'constructor' },
      "database: 'constructor' is not configured in prod (known: main)",
    ],
    [{ ...input, environment: '__proto__' }, "environment: '__proto__' is not configured"],
    [
      { ...input, environment: 'dev' },
      "database: 'main' is not configured in dev (it configures no database)",
    ],
    [{ ...input, requestedBy: undefined }, 'requestedBy'],
    [{ ...input, extra: 1 }, 'extra'],
    [null, '(input)'],
  ])('refuses %j, naming the field', (bad, message) => {
    expect(() => resolveBackup(bad, catalogue, execution)).toThrow(
      expect.objectContaining({ name: 'InvalidInput' }),
    );
    expect(() => resolveBackup(bad, catalogue, execution)).toThrow(message);
  });

  it('is the worker the first step runs: the catalogue as embedded JSON, its words for a person', async () => {
    const request = await invoke(
      validateDbBackupInput,
      { input, catalogue: JSON.stringify(catalogue), execution },
      testClients(),
    );
    expect(request).toMatchObject({ dbInstance: 'enterprise-prod-db', service: 'main' });
    expect(validateDbBackupInput.summarize?.(request)).toBe('prod/main is enterprise-prod-db');
  });

  it.each([
    [{ ...input, reason: '' }, 'reason'],
    [{ ...input, reason: 'x'.repeat(501) }, 'reason'],
    [{ ...input, requestedBy: 'x'.repeat(129) }, 'requestedBy'],
  ])('refuses %j by its bounds', (bad, field) => {
    expect(() => resolveBackup(bad, catalogue, execution)).toThrow(`${field}:`);
    expect(resolveBackup({ ...input, reason: 'x'.repeat(500) }, catalogue, execution).reason).toHaveLength(
      500,
    );
  });

  it('refuses an export of a database that configures none', () => {
    const config = loadConfig();
    const prod = config.environments.prod;
    if (!prod) throw new Error('no prod');
    const noExport = catalogueOf({
      ...config,
      environments: {
        ...config.environments,
        prod: { ...prod, databases: { main: { instance: 'enterprise-prod-db' } } },
      },
    });
    expect(() => resolveBackup(input, noExport, execution)).toThrow(
      'export: prod/main has no export configured (databases.main.export)',
    );
  });
});
