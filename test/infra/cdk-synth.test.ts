// `npx cdk synth` works offline, as a newcomer runs it: the CLI, the config file, cdk-nag, and the
// workers bundled by the local esbuild (no Docker), in one build. One subprocess; it takes about 10 s.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROCEDURES } from '../../statemachines/registry.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const outdir = mkdtempSync(join(tmpdir(), 'runbook-cdk-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('synthesizes the stack offline with bundled workers and a clean cdk-nag report', async () => {
    // Given no AWS credentials and no instance metadata
    const env = {
      ...process.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      AWS_PROFILE: '',
      AWS_ACCESS_KEY_ID: '',
    };
    // When
    await run('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--output', outdir], {
      cwd: root,
      env,
      timeout: 120_000,
    });
    // Then
    const template = JSON.parse(readFileSync(join(outdir, 'Runbook.template.json'), 'utf8'));
    const resources = Object.values(template.Resources as Record<string, { Type: string }>);
    const machines = resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(PROCEDURES.length);
    const bundles = readdirSync(outdir).filter(
      (f) => f.startsWith('asset.') && existsSync(join(outdir, f, 'index.js')),
    );
    // One bundle per worker function.
    expect(bundles.length).toBe(resources.filter((r) => r.Type === 'AWS::Lambda::Function').length);
    expect(bundles.length).toBeGreaterThan(0);
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.map((r) => r.pluginName)).toContain('AwsSolutions');
    for (const plugin of report.pluginReports)
      expect({
        plugin: plugin.pluginName,
        conclusion: plugin.conclusion,
        violations: plugin.violations,
      }).toEqual({ plugin: plugin.pluginName, conclusion: 'success', violations: [] });
  }, 120_000);
});
