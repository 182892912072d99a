// `runbook rehearse` end to end, as a person or a CI job runs it: a real subprocess through the bin
// shim (scripts/runbook.js, tsx), stdin closed, CI=true. Each process synthesizes the CDK app (~5 s),
// so every run this file needs is started once, concurrently, in beforeAll; the tests only read them.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../scripts/runbook.js', import.meta.url));
/** Per process, counted from its start: generous, for a busy machine. */
const RUN_TIMEOUT_MS = 60_000;
/** Processes at a time: more than the cores only makes each one slower (and nearer its timeout). */
const CONCURRENCY = Math.max(2, availableParallelism());

const RECORDS = mkdtempSync(join(tmpdir(), 'runbook-rehearse-'));
const BASELINE = 'arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:41';
const INVALID_INPUT = JSON.stringify({
  environment: 'prod',
  service: 'app',
  image: 'repo/app:latest',
  force: true,
});

interface Run {
  /** null when the process was killed (e.g. by the timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface JsonOutcome {
  procedure: string;
  scenario: string;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  error: string | null;
  cause: string | null;
  transitions: number;
  durationSeconds: number;
  changes: { service: string; action: string; target: string; detail: string; at: number }[];
  account: {
    services: {
      cluster: string;
      service: string;
      taskDefinition: string | null;
      desiredCount: number;
      runningCount: number;
    }[];
    dbSnapshots: { id: string; dbInstance: string; status: string }[];
    notifications: { subject: string; severity: string; event: string }[];
    locks: unknown[];
    approvals: { id: string; status: string }[];
  };
}

const live = new Set<ChildProcess>();
let slots = CONCURRENCY;
const waiting: (() => void)[] = [];

/** Runs the CLI once a slot is free (see CONCURRENCY); never rejects. */
async function runbook(...args: string[]): Promise<Run> {
  if (slots === 0) await new Promise<void>((resolve) => waiting.push(resolve));
  else slots--;
  try {
    return await spawnRunbook(args);
  } finally {
    const next = waiting.shift();
    if (next) next();
    else slots++;
  }
}

/** Runs the CLI with stdin closed (not a TTY) and stdout/stderr piped (not TTYs); never rejects. */
function spawnRunbook(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  // Colour must be decided by stdout not being a TTY, not by these.
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return new Promise((resolve) => {
    // A rehearsal's record goes into this file's own folder, not the checkout's.
    const record = args[0] === 'rehearse' ? ['--record-dir', RECORDS] : [];
    const child = spawn(process.execPath, [BIN, ...args, ...record], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code: null, stdout, stderr: `${stderr}${String(error)}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** On failure, show what the CLI said. */
const said = (run: Run) =>
  `exit ${run.code}\n--- stderr\n${run.stderr}\n--- stdout\n${run.stdout.slice(0, 4000)}`;

/** stdout must be exactly one JSON object (JSON.parse rejects anything before or after it). */
function outcome(run: Run): JsonOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout);
  } catch (error) {
    throw new Error(`stdout is not one JSON value (${(error as Error).message})\n${said(run)}`);
  }
  expect(parsed).toBeTypeOf('object');
  expect(parsed).not.toBeNull();
  expect(Array.isArray(parsed)).toBe(false);
  return parsed as JsonOutcome;
}

const appService = (o: JsonOutcome) =>
  o.account.services.find((s) => s.cluster === 'enterprise-prod-cluster' && s.service === 'app-service');

const runs = {} as Record<
  | 'happy'
  | 'crashLoop'
  | 'rejected'
  | 'invalidInput'
  | 'unknownScenario'
  | 'missingInputFile'
  | 'unknownProcedure'
  | 'humanUnhealthy'
  | 'rollback',
  Run
>;

describe('runbook rehearse (CLI subprocess)', () => {
  beforeAll(async () => {
    const started = {
      happy: runbook('rehearse', 'production-deployment', '--json'),
      crashLoop: runbook('rehearse', 'production-deployment', '--scenario', 'crash-loop', '--json'),
      invalidInput: runbook('rehearse', 'production-deployment', '--input', INVALID_INPUT, '--json'),
      unknownScenario: runbook(
        'rehearse',
        'production-deployment',
        '--scenario',
        'no-such-scenario',
        '--json',
      ),
      missingInputFile: runbook(
        'rehearse',
        'production-deployment',
        '--input',
        '/nonexistent.json',
        '--json',
      ),
      unknownProcedure: runbook('rehearse', 'nope'),
      humanUnhealthy: runbook('rehearse', 'production-deployment', '--scenario', 'unhealthy-targets'),
      rollback: runbook('rehearse', 'rollback', '--json'),
    };
    const done = await Promise.all(
      Object.entries(started).map(async ([name, run]) => [name, await run] as const),
    );
    Object.assign(runs, Object.fromEntries(done));
  }, 240_000);

  afterAll(() => {
    // Only if the hook above timed out: the processes this file started, by their handles.
    for (const child of live) child.kill('SIGKILL');
    rmSync(RECORDS, { recursive: true, force: true });
  });

  it('deploys the example release on the happy path, with approvals automatic when stdin is not a TTY', () => {
    // Given the default example input and the happy scenario, stdin closed and no --approve
    // When `rehearse production-deployment --json` runs (it finished: the approval did not wait on a prompt)
    const run = runs.happy;
    // Then it succeeds with exactly one JSON object on stdout
    expect(run.code, said(run)).toBe(0);
    const o = outcome(run);
    expect(o).toMatchObject({
      procedure: 'production-deployment',
      scenario: 'happy',
      status: 'SUCCEEDED',
      error: null,
      cause: null,
    });
    // And the approval was granted automatically
    expect(o.account.approvals.map((a) => a.status)).toEqual(['approved']);
    // And the run's record and its audit page were written where the JSON says
    const written = o as unknown as { record: string; report: string };
    expect(written.record.startsWith(RECORDS)).toBe(true);
    expect(JSON.parse(readFileSync(written.record, 'utf8')).format).toBe('runbook-run/1');
    expect(existsSync(written.report) && readFileSync(written.report, 'utf8')).toMatch(/^<!doctype html>/);
    // And the database was snapshotted and the service updated
    expect(o.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ service: 'ecs', action: 'UpdateService', target: 'app-service' }),
        expect.objectContaining({ service: 'rds', action: 'CreateDBSnapshot', target: 'enterprise-prod-db' }),
      ]),
    );
    // And the service ends on the new task definition, not the baseline prod-app:41
    const service = appService(o);
    expect(service?.taskDefinition).toMatch(/task-definition\/prod-app:\d+$/);
    expect(service?.taskDefinition).not.toBe(BASELINE);
    expect(service?.runningCount).toBe(service?.desiredCount);
    // And the pre-deploy snapshot it created is available
    const snapshotChange = o.changes.find((c) => c.action === 'CreateDBSnapshot');
    const snapshot = o.account.dbSnapshots.find((s) => snapshotChange?.detail.includes(s.id));
    expect(snapshot).toMatchObject({ dbInstance: 'enterprise-prod-db', status: 'available' });
    // And no lock is left behind
    expect(o.account.locks).toEqual([]);
  });

  it('rolls back to the baseline when the new release crash-loops', () => {
    // Given the crash-loop scenario (the new image exits at start)
    // When `rehearse production-deployment --scenario crash-loop --json` runs
    const run = runs.crashLoop;
    // Then the run does not succeed, and says it rolled back
    expect(run.code, said(run)).toBe(1);
    const o = outcome(run);
    expect(o).toMatchObject({ scenario: 'crash-loop', status: 'FAILED', error: 'DeploymentRolledBack' });
    // And the service is back on prod-app:41 with all its tasks running
    const service = appService(o);
    expect(service?.taskDefinition).toBe(BASELINE);
    expect(service?.desiredCount).toBeGreaterThan(0);
    expect(service?.runningCount).toBe(service?.desiredCount);
    // And no lock is left behind
    expect(o.account.locks).toEqual([]);
  });

  it('rejects invalid inline input, naming the offending field, before changing anything', () => {
    // Given inline JSON input with an unknown field (force) and a tag-pinned image from an unknown registry
    // When `rehearse production-deployment --input '<json>' --json` runs
    const run = runs.invalidInput;
    // Then the run fails with InvalidInput
    expect(run.code, said(run)).toBe(1);
    const o = outcome(run);
    expect(o).toMatchObject({ status: 'FAILED', error: 'InvalidInput' });
    // And the cause names the offending field
    expect(o.cause).toContain('force');
    // And nothing was changed
    expect(o.changes).toEqual([]);
    expect(appService(o)?.taskDefinition).toBe(BASELINE);
    expect(o.account.locks).toEqual([]);
  });

  it('refuses to start (exit 2) with an unknown scenario, and lists the known ones', () => {
    // Given a scenario name the CLI does not know
    // When `rehearse production-deployment --scenario no-such-scenario --json` runs
    const run = runs.unknownScenario;
    // Then it exits 2 without printing an outcome
    expect(run.code, said(run)).toBe(2);
    expect(run.stdout).toBe('');
    // And stderr names the bad value and the known scenarios
    expect(run.stderr).toContain('no-such-scenario');
    for (const known of ['happy', 'crash-loop', 'unhealthy-targets']) expect(run.stderr).toContain(known);
  });

  it('refuses to start (exit 2) when the input file cannot be read, naming the file', () => {
    // Given an input file that does not exist
    // When `rehearse production-deployment --input /nonexistent.json --json` runs
    const run = runs.missingInputFile;
    // Then it exits 2 without printing an outcome, and the message names the file
    expect(run.code, said(run)).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('/nonexistent.json');
  });

  it('refuses to start (exit 2) with an unknown procedure', () => {
    // Given a procedure name that is not a state machine of the app
    // When `rehearse nope` runs
    const run = runs.unknownProcedure;
    // Then it exits 2 without running anything, and the message mentions the procedure
    expect(run.code, said(run)).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('nope');
  });

  it('prints a plain timeline and the outcome for a person when the new targets stay unhealthy', () => {
    // Given the unhealthy-targets scenario, human output (no --json), stdout a pipe rather than a TTY
    // When `rehearse production-deployment --scenario unhealthy-targets` runs
    const run = runs.humanUnhealthy;
    // Then the run does not succeed
    expect(run.code, said(run)).toBe(1);
    const out = run.stdout;
    // And the header says approvals were automatic
    expect(out, said(run)).toContain('approvals auto');
    // And the timeline shows the update, the failure by name, and the rollback
    expect(out).toContain('Update Service');
    expect(out).toContain('DeploymentFailed');
    expect(out).toContain('Roll Back');
    expect(out.indexOf('Update Service')).toBeLessThan(out.indexOf('DeploymentFailed'));
    expect(out.indexOf('DeploymentFailed')).toBeLessThan(out.indexOf('Roll Back'));
    // And it ends with the outcome naming DeploymentRolledBack
    expect(out).toMatch(/^Outcome: .*DeploymentRolledBack/m);
    expect(out.indexOf('\nOutcome:')).toBeGreaterThan(out.lastIndexOf('Roll Back'));
    // And it says where its record and audit page are, and how to read the record
    expect(out).toMatch(/^Record: {2}\S+-production-deployment-unhealthy-targets\.run\.json$/m);
    expect(out).toMatch(/^Report: {2}\S+\.html {2}\(runbook audit \S+\.run\.json\)$/m);
    // And there are no ANSI escape codes, since stdout is not a TTY
    expect(out).not.toContain('\u001b[');
  });

  it('rolls back to the example task definition with the rollback procedure', () => {
    // Given the default rollback example input (prod-app:40, 3 tasks) and the happy scenario
    // When `rehearse rollback --json` runs
    const run = runs.rollback;
    // Then it succeeds
    expect(run.code, said(run)).toBe(0);
    const o = outcome(run);
    expect(o).toMatchObject({ procedure: 'rollback', status: 'SUCCEEDED', error: null, cause: null });
    // And its one change points the service at the requested task definition
    expect(o.changes).toEqual([
      expect.objectContaining({ service: 'ecs', action: 'UpdateService', target: 'app-service' }),
    ]);
    expect(o.changes[0]?.detail).toContain('prod-app:40');
    // And the service runs the requested task definition with all its tasks
    const service = appService(o);
    expect(service?.taskDefinition).toMatch(/task-definition\/prod-app:40$/);
    expect(service?.runningCount).toBe(service?.desiredCount);
    expect(o.account.locks).toEqual([]);
  });
});
