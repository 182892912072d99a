// The run commands as CI uses them: `runbook deploy` / `start` as real subprocesses against the local
// endpoint, with the exit codes a pipeline acts on (0 succeeded, 1 failed or rolled back, 2 invalid,
// 4 stopped following while the run goes on, 130 Ctrl-C), one execution per request however often it
// is started, an approval decided from another process, and the AWS CLI against the same endpoint.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeExecutionCommand, ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionNameOf, listRuns, runStatus, startRun, stopRun } from '../../scripts/runs.ts';
import { whereOf } from '../../scripts/where.ts';
import { PROCEDURES } from '../../statemachines/registry.ts';
import { config, example, IMAGE, startEndpoint } from '../local/support.ts';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../scripts/runbook.js', import.meta.url));

type Ran = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** Runs the CLI; `onLine` sees each line of its output as it comes (and may signal the process). */
function runbook(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  onLine?: (line: string, child: ChildProcess) => void,
) {
  const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, AWS_PROFILE: _p, ...rest } = process.env;
  return new Promise<Ran>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...rest, CI: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const line of chunk.split('\n')) if (line) onLine?.(line, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The AWS CLIs on this machine, by major version: `aws` on the PATH, and the system's own. */
const awsClis = new Map<string, string>();
for (const bin of ['aws', '/usr/bin/aws', '/usr/local/bin/aws']) {
  const ran = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  const major = /aws-cli\/(\d+)\./.exec(`${ran.stdout} ${ran.stderr}`)?.[1];
  if (ran.status === 0 && major && !awsClis.has(major)) awsClis.set(major, bin);
}

describe.concurrent('runbook deploy and start against runbook local', () => {
  let local: Awaited<ReturnType<typeof startEndpoint>>;
  const at = () => ['--endpoint', local.endpoint.url, '--poll', '0.1'];
  const deploy = (env: string, ...more: string[]) => [
    'deploy',
    '--env',
    env,
    '--service',
    'app',
    '--image',
    IMAGE,
    '--requested-by',
    'dana@company.com',
    ...more,
  ];
  const status = async (name: string) =>
    (
      await local.sfn.send(
        new DescribeExecutionCommand({
          executionArn: `${local.machine('production-deployment').replace(':stateMachine:', ':execution:')}:${name}`,
        }),
      )
    ).status;
  beforeAll(async () => {
    // Fast, but an approval waits long enough (60 min at 150x: 24 s) for another process to decide.
    local = await startEndpoint({ speed: 50_000, approvalSpeed: 150 });
  });
  afterAll(() => local.close());

  it('deploys to SUCCEEDED (exit 0), and the same request again attaches to that run instead of starting one', async () => {
    // Given a CI job's deploy / When it runs, and its retry runs the same command
    const env = { RUNBOOK_RUN_ID: '7001' };
    const first = await runbook([...deploy('dev', '--json'), ...at()], env);
    const retry = await runbook([...deploy('dev', '--events'), ...at()], env);
    // Then the first succeeded, as one JSON object
    expect(first.code, first.stderr).toBe(0);
    const outcome = JSON.parse(first.stdout);
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', attached: false, exitCode: 0, error: null });
    expect(outcome.name).toMatch(/^production-deployment-dev-app-4f1c2a9e8d7b-[0-9a-f]{8}-ci7001$/);
    // And the retry attached to it, read its history as JSON lines, and reports the same outcome
    expect(retry.code, retry.stderr).toBe(0);
    const events = retry.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: 'ExecutionStarted', executionArn: outcome.executionArn });
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    const { executions = [] } = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: local.machine('production-deployment') }),
    );
    expect(executions.filter((e) => e.name === outcome.name)).toHaveLength(1);
  });

  it('outside a CI run, refuses to take a request that already ran as done again (give --name to run it again)', async () => {
    // Given a dev deploy that ran to its end, started without a CI run id
    const where = whereOf({ endpoint: local.endpoint.url }, config);
    const procedure = PROCEDURES[0] as (typeof PROCEDURES)[number];
    const command = {
      input: { ...example('production-deployment'), environment: 'dev', reason: 'again and again' },
      wait: false,
      output: 'json' as const,
      pollSeconds: 0.1,
      runId: null,
    };
    await startRun(where, config, procedure, command);
    const executionArn = `${local.machine('production-deployment').replace(':stateMachine:', ':execution:')}:${executionNameOf(procedure.name, command.input, null)}`;
    await local.settled(executionArn);
    // When the same request is started again / Then it is refused, naming how to run it again
    await expect(startRun(where, config, procedure, command)).rejects.toThrow(/already ran as .*give --name/);
  });

  it('reports a rollback as exit 1, following the nested rollback, with its error and cause', async () => {
    // Given a deploy that meets a crash-looping release / When it is followed
    const run = await runbook([...deploy('dev', '--scenario', 'crash-loop'), ...at()]);
    // Then the rollback is shown as it ran, and the outcome is the deployment's error
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('↳ runbook-rollback');
    expect(run.stdout).toMatch(/Outcome: FAILED DeploymentRolledBack/);
    expect(run.stdout).toMatch(/Cause: {3}\S/);
  });

  it('audits a run on the endpoint by its name: its histories, the nested rollback, the definition that ran', async () => {
    // Given a dev deployment that rolled back, on the endpoint
    const { executionArn = '' } = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.machine('production-deployment'),
        name: 'crash-loop--audited-1',
        input: JSON.stringify({ ...example('production-deployment'), environment: 'dev' }),
      }),
    );
    await local.settled(executionArn);
    // When it is audited from another process, as JSON and as Markdown
    const [json, markdown, wrong] = await Promise.all([
      runbook(['audit', 'crash-loop--audited-1', '--format', 'json', '--endpoint', local.endpoint.url]),
      runbook(['audit', executionArn, '--endpoint', local.endpoint.url]),
      runbook(['audit', executionArn, '--format', 'pdf', '--endpoint', local.endpoint.url]),
    ]);
    // Then the report is the run's, the rollback's own report in it, and what logic ran
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      executionArn,
      status: 'FAILED',
      outcome: { error: 'DeploymentRolledBack' },
    });
    expect(report.nested[0].report).toMatchObject({ procedure: 'rollback', status: 'SUCCEEDED' });
    expect(report.definition.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain('## Nested run from Roll Back');
    expect([wrong.code, wrong.stderr]).toEqual([
      2,
      expect.stringContaining('--format must be one of markdown, json, html'),
    ]);
  });

  it('refuses invalid input before anything starts (exit 2, every field named), and a name reused for another input', async () => {
    // Given an input the schema refuses, one the catalogue refuses, and then its name used for another
    const [schema, [catalogue, reused]] = await Promise.all([
      runbook(['start', 'production-deployment', '--input', '{"environment":"prod","bogus":1}', ...at()]),
      runbook([...deploy('staging', '--name', 'reused-name'), ...at()]).then(async (first) => [
        first,
        await runbook([...deploy('dev', '--name', 'reused-name'), ...at()]),
      ]),
    ]);
    // Then each ends with 2 and says why
    expect([schema.code, catalogue?.code, reused?.code]).toEqual([2, 2, 2]);
    expect(schema.stderr).toMatch(/service: .*\n.*bogus|bogus[\s\S]*service/);
    expect(catalogue?.stdout).toContain("'staging' is not configured");
    expect(reused?.stderr).toContain('reused-name was already used for a different input');
    // And nothing was started for the schema's refusal
    const { executions = [] } = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: local.machine('production-deployment') }),
    );
    expect(executions.some((e) => e.name?.includes('bogus'))).toBe(false);
  });

  it('waits for an approval decided from another process, then follows the run to SUCCEEDED', async () => {
    // Given a prod deploy waiting at its gate / When an approver approves with runbook approve
    let approval: Promise<Ran> | undefined;
    const run = await runbook(
      [...deploy('prod', '--change-request', 'CHG-1', '--name', 'approved-by-cli'), ...at()],
      {},
      (line) => {
        const id = /approval (\w+) waits for a decision/.exec(line)?.[1];
        if (id && !approval)
          // (after CloudTrail has had its 15 simulated minutes to say who started the run)
          approval = new Promise((resolve) => setTimeout(resolve, 6_000)).then(() =>
            runbook(['approve', id, '--api', `${local.endpoint.url}/v1/`, '--yes'], {
              AWS_ACCESS_KEY_ID: 'alice',
              AWS_SECRET_ACCESS_KEY: 'any',
            }),
          );
      },
    );
    const approved = await approval;
    // Then the approval was taken from the other process, and the deploy went on to succeed
    expect(approved?.code, approved?.stderr).toBe(0);
    expect(approved?.stdout).toContain('Approved as alice');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Outcome: SUCCEEDED');
  });

  it('stops following on Ctrl-C (130) and at --timeout (4), the run going on; status shows it, stop ends it', async () => {
    // Given two prod deploys waiting at their gates
    const interrupted = await runbook(
      [...deploy('prod', '--change-request', 'CHG-2', '--name', 'interrupted'), ...at()],
      {},
      (line, child) => {
        if (line.includes('waits for a decision')) child.kill('SIGINT');
      },
    );
    const timedOut = await runbook([
      ...deploy('prod', '--change-request', 'CHG-3', '--name', 'followed-briefly', '--timeout', '2'),
      ...at(),
    ]);
    // Then Ctrl-C ended the CLI, not the run, and --timeout said it stopped following
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain('the run goes on');
    expect(timedOut.code, timedOut.stderr).toBe(4);
    expect(timedOut.stdout).toContain('Still running');
    expect([await status('interrupted'), await status('followed-briefly')]).toEqual(['RUNNING', 'RUNNING']);
    // When status, runs and stop are asked about one of them (in this process: the same code the CLI runs)
    const where = whereOf({ endpoint: local.endpoint.url }, config);
    const lines: string[] = [];
    const out = (line: string) => lines.push(line);
    await runStatus(where, config, 'followed-briefly', false, out);
    await listRuns(where, config, { procedure: 'production-deployment', limit: 50, json: false }, out);
    const warning: string[] = [];
    const stopped = await stopRun(
      where,
      config,
      'followed-briefly',
      { yes: true, reason: 'wrong image' },
      out,
      (t) => warning.push(t),
    );
    // Then status says where it waits, runs lists it with who asked, and stop warned, then ended it ABORTED
    expect(lines.join('\n')).toMatch(
      /followed-briefly: RUNNING[\s\S]*in Wait For Approval .*waiting for a decision on approval/,
    );
    expect(lines.join('\n')).toMatch(/RUNNING\s+production-deployment\s+followed-briefly\s+dana@company.com/);
    expect(stopped).toBe(0);
    expect(warning.join('')).toContain('releases its lock and pages the on-call');
    await local.settled(
      `${local.machine('production-deployment').replace(':stateMachine:', ':execution:')}:followed-briefly`,
      'ABORTED',
    );
  });

  for (const major of ['1', '2'])
    it.skipIf(!awsClis.has(major))(
      awsClis.has(major)
        ? `serves the AWS CLI v${major}: list-state-machines, start-execution, describe-execution, get-execution-history`
        : `SKIPPED: no AWS CLI v${major} on this machine, so it is not checked against the endpoint here`,
      async () => {
        // Given the AWS CLI pointed at the endpoint
        // (asynchronously: the endpoint answers from this process)
        const aws = async (...args: string[]) => {
          const ran = await execFileAsync(
            String(awsClis.get(major)),
            ['stepfunctions', ...args, '--endpoint-url', local.endpoint.url, '--output', 'json'],
            {
              env: {
                ...process.env,
                AWS_ACCESS_KEY_ID: 'cli',
                AWS_SECRET_ACCESS_KEY: 'any',
                AWS_DEFAULT_REGION: 'us-east-1',
              },
            },
          );
          return JSON.parse(ran.stdout);
        };
        // When it lists, starts, describes and reads a history
        const listed = await aws('list-state-machines');
        const arn = listed.stateMachines.find(
          (m: { name: string }) => m.name === 'runbook-rollback',
        ).stateMachineArn;
        const started = await aws(
          'start-execution',
          '--state-machine-arn',
          arn,
          '--name',
          `from-aws-cli-v${major}`,
          '--input',
          '{"environment":"dev"}',
        );
        await local.settled(started.executionArn);
        const described = await aws('describe-execution', '--execution-arn', started.executionArn);
        const history = await aws('get-execution-history', '--execution-arn', started.executionArn);
        // Then each answered as it would on AWS
        expect(described).toMatchObject({
          name: `from-aws-cli-v${major}`,
          status: 'FAILED',
          error: 'InvalidInput',
        });
        expect(history.events[0].type).toBe('ExecutionStarted');
        expect(history.events.at(-1).type).toBe('ExecutionFailed');
      },
    );
});
