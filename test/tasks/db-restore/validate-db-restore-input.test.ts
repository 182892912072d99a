import { describe, expect, it } from 'vitest';
import { catalogueOf, loadConfig } from '../../../infra/config.ts';
import { asidePrefix, restoredPrefix } from '../../../tasks/db-restore/names.ts';
import { duration, restoreFigures } from '../../../tasks/db-restore/restore-figures.ts';
import { resolveRestore } from '../../../tasks/db-restore/validate-db-restore-input.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';

const config = loadConfig();
const catalogue = catalogueOf(config);
const execution = {
  id: 'arn:aws:states:us-east-1:123456789012:execution:runbook-db-restore:after-migration',
  name: 'after-migration',
  startTime: '2026-12-02T03:05:31.000Z',
};
const input = {
  environment: 'prod',
  database: 'main',
  source: { snapshot: 'latest' },
  cutover: 'swap',
  changeRequest: 'CHG-1',
  requestedBy: 'jane@company.com',
};
const problems = (given: unknown, cat = catalogue) => {
  try {
    resolveRestore(given, cat, execution);
    return 'accepted';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
};

describe('validate-db-restore-input', () => {
  it('a swap: the names it makes, its approvers, the users it redeploys and their locks with the database', () => {
    const request = resolveRestore(input, catalogue, execution);
    expect(request).toMatchObject({
      procedure: 'db-restore',
      service: 'main',
      dbInstance: 'enterprise-prod-db',
      restoredId: 'enterprise-prod-db-restored-202612020305',
      asideId: 'enterprise-prod-db-pre-restore-202612020305',
      users: [
        {
          name: 'app',
          cluster: 'enterprise-prod-cluster',
          service: 'app-service',
          targetGroupArn: expect.stringContaining(':targetgroup/enterprise-prod-app/'),
          targetType: 'ip',
        },
      ],
      approvalRequired: true,
      approvalTimeoutSeconds: 3600,
      approvalRule: { approvers: config.environments.prod?.approvers, required: 1 },
      changeRequest: 'CHG-1',
      reason: null,
      monitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring-role',
      lock: {
        key: 'rds:enterprise-prod-db',
        owner: execution.id,
        procedure: 'db-restore',
        join: false,
        also: ['ecs:enterprise-prod-cluster/app-service'],
      },
    });
    expect(request.change).toBe(
      'swap enterprise-prod-db for enterprise-prod-db-restored-202612020305: enterprise-prod-db is renamed enterprise-prod-db-pre-restore-202612020305 and kept, enterprise-prod-db-restored-202612020305 takes its name, then app redeployed',
    );
  });

  it('a swap of a database no service uses: no redeployment, only the database locked', () => {
    const unused = structuredClone(catalogue);
    const app = unused.environments.prod?.services.app;
    if (!app) throw new Error('no prod app');
    app.database = 'another-db';
    const request = resolveRestore(input, unused, execution);
    expect(request.users).toEqual([]);
    expect(request.lock.also).toBeUndefined();
    expect(request.change).toMatch(/takes its name$/);
  });

  it('cutover none: no approval, no users, only the database locked', () => {
    const request = resolveRestore(
      { ...input, cutover: 'none', changeRequest: undefined },
      catalogue,
      execution,
    );
    expect(request).toMatchObject({ approvalRequired: false, approvalRule: null, users: [] });
    expect(request.lock.also).toBeUndefined();
    expect(request.change).toBe(
      'restore enterprise-prod-db into enterprise-prod-db-restored-202612020305, next to it; nothing is switched',
    );
  });

  it('refuses a swap nobody could approve, and one without the change request its environment requires', () => {
    const noApprovers = structuredClone(catalogue);
    const prod = noApprovers.environments.prod;
    if (!prod) throw new Error('no prod');
    prod.approvers = [];
    expect(problems(input, noApprovers)).toMatch(
      /^InvalidInput: .*cutover: a swap is approved first, and prod names no approvers/,
    );
    expect(problems({ ...input, cutover: 'none' }, noApprovers)).toBe('accepted');
    expect(problems({ ...input, changeRequest: undefined })).toMatch(
      /changeRequest: prod requires a change request/,
    );
  });

  it.each([
    [{ ...input, source: { snapshot: '' } }, 'source'],
    [{ ...input, source: { pointInTime: 'yesterday' } }, 'source'],
    [{ ...input, source: {} }, 'source'],
    [{ ...input, cutover: 'SWAP' }, 'cutover'],
    [{ ...input, extra: 1 }, 'extra'],
    [{ ...input, database: 'toString' }, 'database'],
    [{ ...input, environment: '__proto__' }, 'environment'],
    [null, 'input'],
  ])('refuses %o, naming %s', (given, field) => {
    expect(problems(given)).toMatch(new RegExp(`^InvalidInput: .*${field}`, 'i'));
  });

  it('keeps the names it makes within RDS limits for the longest identifier, never ending in a hyphen', () => {
    const long = `a${'b'.repeat(40)}-${'c'.repeat(21)}`;
    expect(long).toHaveLength(63);
    for (const prefix of [restoredPrefix(long), asidePrefix(long)]) {
      expect(`${prefix}202612020305`.length).toBeLessThanOrEqual(63);
      expect(prefix).not.toMatch(/--/);
    }
    expect(restoredPrefix('Enterprise-Prod-DB')).toBe('enterprise-prod-db-restored-');
    // A cut that ends on a hyphen drops it: never "--" in the name
    expect(restoredPrefix(`${'a'.repeat(40)}-${'b'.repeat(22)}`)).toBe(`${'a'.repeat(40)}-restored-`);
  });
});

describe('restore-figures', () => {
  const base = {
    dbInstance: 'enterprise-prod-db',
    restoredId: 'enterprise-prod-db-restored-1',
    restorePoint: '2026-12-02T02:00:00.000Z',
    restoreStartedAt: '2026-12-02T03:05:00.000Z',
    verifiedAt: '2026-12-02T03:40:30.000Z',
    now: '2026-12-02T04:30:00.000Z',
  };

  it('a swap: every figure, in seconds and in words', async () => {
    const swap = {
      asideId: 'enterprise-prod-db-pre-restore-1',
      startedAt: '2026-12-02T04:10:30.000Z',
      renamedAt: '2026-12-02T04:15:00.000Z',
      services: [{ name: 'app' }],
    };
    const result = await invoke(restoreFigures, { ...base, swap }, testClients());
    expect(result.figures).toEqual({
      restoreSeconds: 2130,
      approvalWaitSeconds: 1800,
      cutoverSeconds: 270,
      servicesHealthySeconds: 900,
      dataLossWindowSeconds: 7830,
    });
    expect(result.detail).toBe(
      'enterprise-prod-db-restored-1 holds the data of enterprise-prod-db as of 2026-12-02T02:00:00.000Z; restored and verified in 35 min 30 s. Approval waited 30 min. Cut-over (two renames): 4 min 30 s; enterprise-prod-db is now the restored instance, the one it replaced is kept as enterprise-prod-db-pre-restore-1. app healthy again 15 min later. Data-loss window: 2 h 10 min of writes (after 2026-12-02T02:00:00.000Z) are not in the restored data; they are still in enterprise-prod-db-pre-restore-1.',
    );
  });

  it('no swap (the swap absent, as CDK leaves a null out): the window runs to now', async () => {
    const result = await invoke(restoreFigures, base, testClients());
    expect(result.figures).toEqual({
      restoreSeconds: 2130,
      approvalWaitSeconds: null,
      cutoverSeconds: null,
      servicesHealthySeconds: null,
      dataLossWindowSeconds: 9000,
    });
    expect(result.detail).toContain(
      'Nothing was switched: enterprise-prod-db is unchanged and still takes writes.',
    );
    expect(result.detail).toContain('Data-loss window: 2 h 30 min of writes');
  });

  it('says so when no service uses the database', async () => {
    const swap = {
      asideId: 'x-pre-restore-1',
      startedAt: '2026-12-02T04:10:30.000Z',
      renamedAt: '2026-12-02T04:15:00.000Z',
      services: [],
    };
    const result = await invoke(restoreFigures, { ...base, swap }, testClients());
    expect(result.detail).toContain('kept as x-pre-restore-1. No service uses it.');
  });

  it('words durations', () => {
    expect([0, 59, 60, 75, 3600, 5400, 7230].map(duration)).toEqual([
      '0 s',
      '59 s',
      '1 min',
      '1 min 15 s',
      '1 h',
      '1 h 30 min',
      '2 h',
    ]);
  });
});
