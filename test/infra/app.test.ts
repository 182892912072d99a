// The CDK app entry (what `cdk synth` runs) with a config it cannot use: the file and the field, no stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('infra/app.ts', () => {
  it('reports a broken config as the file and the field, exit 1, without a stack trace', () => {
    // Given a config whose account is not an account id, passed as cdk passes -c config=<file>
    const dir = mkdtempSync(join(tmpdir(), 'runbook-app-'));
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify({ account: '1', region: 'us-east-1', environments: {} }));
    try {
      // When the app runs
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
        cwd: ROOT,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: file }) },
        encoding: 'utf8',
        timeout: 60_000,
      });
      // Then
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`${file} is invalid: account: must be a 12-digit AWS account id`);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
