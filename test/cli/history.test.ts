// The archive as the CLI reads it: the release history (newest first, filtered by procedure, target
// and date, as a table or JSON), a run audited from the archive once Step Functions no longer has
// it, and the S3 reader following every page of a listing.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../rehearsal/account/account.ts';
import { simulatedClients } from '../../rehearsal/account/clients.ts';
import { archivedRun, folderArchive, releaseHistory, s3Archive } from '../../scripts/archive.ts';
import { runRecords } from '../../scripts/audit.ts';
import { whereOf } from '../../scripts/where.ts';
import { archivePrefix } from '../../tasks/audit/archive.ts';
import { auditReport } from '../../tasks/audit/report.ts';
import { runFileText } from '../../tasks/audit/run-record.ts';
import { startEndpoint } from '../local/support.ts';
import { BASELINE, config, RELEASE } from '../statemachines/support.ts';
import { recorded, dir as recordsDir } from './audit-support.ts';

const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL('../../scripts/runbook.js', import.meta.url));
const archiveDir = mkdtempSync(join(tmpdir(), 'runbook-archive-'));

/** Lays a recorded run out as the archive does: runs/<procedure>/<start date>/<name>/{run,report}.json. */
async function archived(scenario: string, procedure = 'production-deployment') {
  const { records, report } = await recorded(scenario, undefined, procedure);
  const prefix = archivePrefix(procedure, new Date(report.startedAt), report.executionArn);
  mkdirSync(join(archiveDir, prefix), { recursive: true });
  writeFileSync(join(archiveDir, prefix, 'run.json'), runFileText(records));
  writeFileSync(join(archiveDir, prefix, 'report.json'), JSON.stringify(auditReport(records)));
  return report;
}

beforeAll(async () => {
  // One after another: each starts (on the simulated clock) a moment after the one before.
  for (const [scenario, procedure] of [
    ['happy', 'production-deployment'],
    ['crash-loop', 'production-deployment'],
    ['approval-rejected', 'production-deployment'],
    ['happy', 'rollback'],
  ] as const) {
    await archived(scenario, procedure);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}, 60_000);
afterAll(() => {
  rmSync(archiveDir, { recursive: true, force: true });
  rmSync(recordsDir, { recursive: true, force: true });
});

describe('runbook history', () => {
  it('lists each archived run newest first: when, what, who asked and approved, the change, the outcome', async () => {
    const rows = await releaseHistory(folderArchive(archiveDir), { limit: 100 });
    expect(rows.map((r) => [r.procedure, r.status, r.error])).toEqual([
      ['rollback', 'SUCCEEDED', null],
      ['production-deployment', 'FAILED', 'ApprovalRejected'],
      ['production-deployment', 'FAILED', 'DeploymentRolledBack'],
      ['production-deployment', 'SUCCEEDED', null],
    ]);
    const happy = rows[3];
    expect(happy).toMatchObject({
      target: 'prod/app',
      requestedBy: 'dana@company.com',
      approvers: ['approver-1'],
      change: `${RELEASE} × 3`,
    });
    expect(happy?.seconds).toBeGreaterThan(3000);
    expect(rows[1]).toMatchObject({ approvers: [], change: null });
    expect(rows[0]?.change).toBe(`${BASELINE.replace(':41', ':40')} × 3`);
  });

  it('filters by procedure, target and date, and stops at the limit', async () => {
    const archive = folderArchive(archiveDir);
    expect(
      (await releaseHistory(archive, { procedure: 'rollback', limit: 100 })).map((r) => r.procedure),
    ).toEqual(['rollback']);
    expect(await releaseHistory(archive, { target: 'prod/app', limit: 2 })).toHaveLength(2);
    expect(await releaseHistory(archive, { target: 'app', limit: 100 })).toHaveLength(4);
    expect(await releaseHistory(archive, { target: 'nothing', limit: 100 })).toEqual([]);
    expect(await releaseHistory(archive, { since: '2999-01-01T00:00:00.000Z', limit: 100 })).toEqual([]);
  });

  it('prints the table and the JSON from the CLI, and refuses a date that is not one', async () => {
    const run = (...args: string[]) =>
      execFileAsync(process.execPath, [BIN, 'history', '--archive', archiveDir, ...args], {
        env: { ...process.env, CI: 'true' },
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const [table, json, bad] = await Promise.all([
      run('--procedure', 'production-deployment'),
      run('--json', '--limit', '1'),
      run('--since', 'last tuesday'),
    ]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^date \(UTC\)\s+procedure\s+target\s+requested by\s+approved by\s+change\s+outcome\s+took$/,
    );
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(
      /production-deployment\s+prod\/app\s+dana@company.com\s+approver-1\s+prod-app:42 × 3\s+SUCCEEDED/,
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ archive: archiveDir, runs: [{ procedure: 'rollback' }] });
    expect([bad.code, bad.stderr]).toEqual([
      2,
      expect.stringContaining("--since: 'last tuesday' is not a date"),
    ]);
  });
});

describe('runbook audit from the archive', () => {
  it('reads a run Step Functions no longer has from the archive, by name or ARN; says where it looked when neither has it', async () => {
    const local = await startEndpoint();
    try {
      const where = whereOf({ endpoint: local.endpoint.url }, config);
      const archive = folderArchive(archiveDir);
      const records = await runRecords(
        'rehearsal-crash-loop-01',
        config,
        async () => where,
        async () => archive,
      );
      const report = auditReport(records);
      expect([report.status, report.outcome.error, report.nested[0]?.report?.procedure]).toEqual([
        'FAILED',
        'DeploymentRolledBack',
        'rollback',
      ]);
      const arn = report.executionArn;
      expect(await archivedRun(archive, arn)).toMatch(
        /^runs\/production-deployment\/\d{4}-\d\d-\d\d\/rehearsal-crash-loop-01\/run\.json$/,
      );
      expect(
        await archivedRun(archive, arn.replace('runbook-production-deployment', 'runbook-rollback')),
      ).toBeNull();
      await expect(
        runRecords(
          'never-ran',
          config,
          async () => where,
          async () => archive,
        ),
      ).rejects.toThrow(new RegExp(`no execution named never-ran .*, nor in the archive ${archiveDir}`));
    } finally {
      await local.close();
    }
  });
});

describe('the S3 archive reader', () => {
  it('follows every page of the listing (S3 answers at most 1000 keys a page)', async () => {
    const account = new SimulatedAccount({ config, faults: {}, table: 'RunState' });
    const { s3 } = simulatedClients(account, config.region);
    const keys = Array.from(
      { length: 1203 },
      (_, i) => `runs/rollback/2026-12-01/run-${String(i).padStart(4, '0')}/report.json`,
    );
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'archive', Key, Body: '{}' }));
    await s3.send(new PutObjectCommand({ Bucket: 'archive', Key: 'other/x', Body: '{}' }));
    const archive = s3Archive(s3, 'archive');
    expect(await archive.keys('runs/')).toEqual(keys);
    expect(await archive.read(keys[7] as string)).toBe('{}');
    expect(archive.where).toBe('s3://archive');
  });
});
