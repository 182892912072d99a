// The CLI as a terminal sees it: a closed pipe ends quietly, --version answers, a misspelled name
// gets a "did you mean". Real subprocesses through the bin shim.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../scripts/runbook.js', import.meta.url));

/** Runs the CLI; with `closeAfterFirstChunk`, the reader goes away after the first output, as `| head -1` does. */
function runbook(args: string[], closeAfterFirstChunk = false) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (closeAfterFirstChunk) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the runbook CLI on a terminal', () => {
  it('ends quietly when the reader of its output goes away (runbook rehearse ... | head -1)', async () => {
    // Given a rehearsal whose stdout is closed after its first line
    // When it goes on writing
    const run = await runbook(['rehearse', 'production-deployment'], true);
    // Then it ends with 141, as a process killed by SIGPIPE, and no stack trace
    expect(run.stdout).toContain('Rehearsal of production-deployment');
    expect(run.code).toBe(141);
    expect(run.stderr).not.toMatch(/EPIPE|Error|at /);
  }, 60_000);

  it('answers --version, and suggests the nearest name for a misspelled procedure or scenario', async () => {
    // Given / When
    const [version, procedure, scenario] = await Promise.all([
      runbook(['--version']),
      runbook(['rehearse', 'production-deploymnt']),
      runbook(['rehearse', 'rollback', '--scenario', 'lock-hled']),
    ]);
    // Then
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    expect(procedure.code).toBe(2);
    expect(procedure.stderr).toContain(
      "unknown procedure 'production-deploymnt'; did you mean 'production-deployment'?",
    );
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toContain("unknown scenario 'lock-hled' for rollback; did you mean 'lock-held'?");
  }, 60_000);
});
