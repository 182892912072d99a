// The run commands, against AWS or `runbook local`: `start` and `deploy` (validate, start once per
// request, follow to the end), `runs`, `status` and `stop`. Exit codes: 0 succeeded, 1 failed or
// rolled back (or the API could not be reached), 2 invalid input or usage, 3 timed out or aborted,
// 4 the CLI stopped following (--timeout) while the run goes on.
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { Config } from '../infra/config.ts';
import type { ProcedureSpec } from '../statemachines/procedure.ts';
import { approvalIdOf, canonical } from '../tasks/approvals/request.ts';
import { printable } from '../tasks/printable.ts';
import { issuesOf } from '../tasks/schemas/issues.ts';
import { type Followed, follow, type Output } from './follow.ts';
import { COLOR, PLAIN } from './timeline.ts';
import { scenarioOf, UsageError } from './usage.ts';
import { apiProblem, findRun, machineOf, machines, procedureOfRun, type Where, WhereError } from './where.ts';

export const EXIT = { succeeded: 0, failed: 1, usage: 2, stopped: 3, stillRunning: 4 } as const;

const print = (line: string) => process.stdout.write(`${line}\n`);
const style = () => (process.stdout.isTTY && !process.env.NO_COLOR ? COLOR : PLAIN);

/** The CI run a start belongs to: a retried job (a new attempt of the same run) is the same request. */
export function ciRunId(env: NodeJS.ProcessEnv = process.env): string | null {
  return (
    env.RUNBOOK_RUN_ID ??
    env.GITHUB_RUN_ID ??
    env.CI_PIPELINE_ID ??
    env.BUILDKITE_BUILD_ID ??
    env.CIRCLE_WORKFLOW_ID ??
    env.CODEBUILD_BUILD_NUMBER ??
    null
  );
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');

/**
 * The execution name of a request: procedure, target, the image digest (else a hash of the input),
 * and the CI run id when there is one. The same request gets the same name, so starting it again
 * attaches to the run it already started; at most 80 characters, as Step Functions allows.
 */
export function executionNameOf(procedure: string, input: unknown, runId: string | null): string {
  const i = (input ?? {}) as Record<string, unknown>;
  const target = [i.environment, i.service ?? i.database].filter((v) => typeof v === 'string').map(String);
  const digest = typeof i.image === 'string' ? /@sha256:([0-9a-f]{12})/.exec(i.image)?.[1] : undefined;
  const hash = createHash('sha256').update(canonical(input)).digest('hex').slice(0, 12);
  // The digest says which image at a glance; the hash tells apart two requests of it (another change request).
  const parts = [
    procedure,
    ...target,
    ...(digest ? [digest] : []),
    hash.slice(0, digest ? 8 : 12),
    ...(runId ? [`ci${runId}`] : []),
  ].map(slug);
  const name = parts.join('-');
  return name.length <= 80 ? name : `${name.slice(0, 67)}-${hash}`;
}

export interface StartCommand {
  readonly input: unknown;
  readonly name?: string;
  /** On `runbook local` only: the scenario the run meets (a name prefix the endpoint reads). */
  readonly scenario?: string;
  readonly wait: boolean;
  readonly output: Output;
  readonly timeoutSeconds?: number;
  readonly pollSeconds: number;
  /** The CI run the start belongs to. @default ciRunId() */
  readonly runId?: string | null;
}

/** The input as the procedure's own schema reads it, or a UsageError naming every field that is wrong. */
export function validated(procedure: ProcedureSpec, input: unknown): unknown {
  const parsed = procedure.input.safeParse(input);
  if (parsed.success) return input;
  const issues = issuesOf(parsed.error).map((i) => `  ${i.path}: ${printable(i.message)}`);
  throw new UsageError(`the input is not a valid ${procedure.name} input:\n${issues.join('\n')}`);
}

/** Starts the request once (attaching to the run already started for it), then follows it unless told not to. */
export async function startRun(
  where: Where,
  config: Config,
  procedure: ProcedureSpec,
  command: StartCommand,
): Promise<number> {
  validated(procedure, command.input);
  if (command.scenario !== undefined) scenarioOf({ procedure: procedure.name, scenario: command.scenario });
  const stateMachineArn = await machineOf(where, config, procedure);
  const runId = command.runId === undefined ? ciRunId() : command.runId;
  const base = command.name ?? executionNameOf(procedure.name, command.input, runId);
  const name = command.scenario ? `${command.scenario}--${base}`.slice(0, 80) : base;
  const input = JSON.stringify(command.input);
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  // Asked first, so that a start of the run already going is told apart from a new one.
  const existing = await where.sfn
    .send(new DescribeExecutionCommand({ executionArn }))
    .catch((error: Error) => {
      if (error.name === 'ExecutionDoesNotExist') return null;
      throw apiProblem(where, error);
    });
  if (existing) {
    if (canonical(JSON.parse(existing.input ?? 'null')) !== canonical(command.input))
      throw new UsageError(
        `the execution name ${name} was already used for a different input (started ${existing.startDate?.toISOString()}); give another --name`,
      );
    // Outside a CI run (no run id, no --name), a request that already ran is not taken as done again.
    if (existing.status !== 'RUNNING' && !runId && command.name === undefined)
      throw new UsageError(
        `this request already ran as ${name} (${existing.status}, ${existing.stopDate?.toISOString()}); to run it again, give --name`,
      );
  } else {
    try {
      await where.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    } catch (error) {
      // Started by another job between the two calls: that one is followed.
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw apiProblem(where, error);
    }
  }
  const attached = existing !== null;
  const s = style();
  if (command.output === 'lines') {
    print(
      attached
        ? s.bold(`Attached to ${name}`) +
            s.dim(' (this request was already started; nothing new was started)')
        : s.bold(`Started ${name}`),
    );
    print(s.dim(`  ${executionArn}`));
  }
  if (!command.wait) {
    if (command.output !== 'lines') print(JSON.stringify({ executionArn, name, attached }));
    return EXIT.succeeded;
  }
  const apiHint = where.endpoint ? ` --api ${where.endpoint.replace(/\/$/, '')}/v1/` : '';
  const followed = await follow(where, executionArn, {
    output: command.output,
    pollSeconds: command.pollSeconds,
    ...(command.timeoutSeconds !== undefined && { timeoutSeconds: command.timeoutSeconds }),
    approveHint: (id) => `runbook approve ${id}${apiHint} (or runbook reject ${id} --reason ...${apiHint})`,
    style: s,
    // A terminal gets one line kept current; a CI log a plain line every 30 s of a long wait.
    ...(process.stdout.isTTY &&
      command.output === 'lines' && {
        status: (text: string | null) =>
          process.stdout.write(text === null ? '\r\u001b[2K' : `\r\u001b[2K${text}`),
      }),
    write: print,
  });
  return report(followed, command.output, attached);
}

function report(followed: Followed, output: Output, attached: boolean): number {
  const e = followed.execution;
  const code = !followed.ended
    ? EXIT.stillRunning
    : e.status === 'SUCCEEDED'
      ? EXIT.succeeded
      : e.status === 'FAILED'
        ? // Refused by its first step (a name the catalogue has not, a policy field missing): nothing ran.
          e.error === 'InvalidInput'
          ? EXIT.usage
          : EXIT.failed
        : EXIT.stopped;
  if (output === 'json') {
    print(
      JSON.stringify(
        {
          executionArn: e.executionArn,
          name: e.name,
          attached,
          status: e.status,
          following: followed.ended ? 'ended' : 'stopped; the run goes on',
          ...(!followed.ended && followed.lost && { lost: followed.lost }),
          error: e.error ?? null,
          cause: e.cause ?? null,
          output: e.output === undefined ? null : JSON.parse(e.output),
          startDate: e.startDate?.toISOString() ?? null,
          stopDate: e.stopDate?.toISOString() ?? null,
          exitCode: code,
        },
        null,
        2,
      ),
    );
    return code;
  }
  if (output === 'events') return code;
  const s = style();
  print('');
  if (!followed.ended) {
    if (followed.lost) print(`${s.bold('Lost contact:')} ${printable(followed.lost)}`);
    print(
      `${s.bold('Still running:')} the CLI stopped following; the run goes on (runbook status ${e.name})`,
    );
    return code;
  }
  print(
    `${s.bold('Outcome:')} ${e.status === 'SUCCEEDED' ? s.green(String(e.status)) : s.red(`${e.status} ${printable(e.error ?? '')}`)}`,
  );
  if (e.cause) print(`${s.bold('Cause:')}   ${printable(e.cause)}`);
  return code;
}

/** `runbook deploy`: the short form of a deployment (production or standard: the environment's policy decides). */
export interface DeployFlags {
  readonly env: string;
  readonly service: string;
  readonly image: string;
  readonly changeRequest?: string;
  readonly reason?: string;
  readonly requestedBy?: string;
}

export function deploymentInput(options: DeployFlags): Record<string, unknown> {
  const requestedBy =
    options.requestedBy ?? process.env.GITHUB_ACTOR ?? process.env.GITLAB_USER_LOGIN ?? process.env.USER;
  return {
    environment: options.env,
    service: options.service,
    image: options.image,
    ...(options.changeRequest !== undefined && { changeRequest: options.changeRequest }),
    ...(options.reason !== undefined && { reason: options.reason }),
    ...(requestedBy && { requestedBy }),
  };
}

/** `runbook runs [procedure]`: the recent executions of the stack's machines, newest first. */
export async function listRuns(
  where: Where,
  config: Config,
  options: { procedure?: string; limit: number; json: boolean },
  out: (line: string) => void = print,
): Promise<number> {
  const found = await machines(where, config);
  if (options.procedure !== undefined) scenarioOf({ procedure: options.procedure, scenario: 'happy' });
  const arns = options.procedure
    ? [found.get(options.procedure)].filter((a): a is string => !!a)
    : [...found.values()];
  const all = (
    await Promise.all(
      arns.map((stateMachineArn) =>
        where.sfn
          .send(new ListExecutionsCommand({ stateMachineArn, maxResults: options.limit }))
          .catch((error: unknown) => {
            throw apiProblem(where, error);
          }),
      ),
    )
  )
    .flatMap((page) => page.executions ?? [])
    .sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0))
    .slice(0, options.limit);
  // Who asked: the input's requestedBy (on AWS, CloudTrail's StartExecution names the caller).
  const described = await Promise.all(
    all.map((e) =>
      where.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn })).catch(() => null),
    ),
  );
  const rows = all.map((e, i) => ({
    name: e.name ?? '',
    procedure: procedureOfRun(e.stateMachineArn, config),
    status: e.status ?? '',
    startDate: e.startDate?.toISOString() ?? '',
    stopDate: e.stopDate?.toISOString() ?? null,
    requestedBy: requesterOf(described[i]),
    executionArn: e.executionArn ?? '',
  }));
  if (options.json) out(JSON.stringify({ runs: rows }, null, 2));
  else if (rows.length === 0) out('no runs');
  else
    for (const r of rows)
      out(
        `${r.startDate.slice(0, 19).replace('T', ' ')}  ${r.status.padEnd(9)}  ${r.procedure.padEnd(22)}  ${printable(r.name)}  ${printable(r.requestedBy ?? '-')}`,
      );
  return EXIT.succeeded;
}

const requesterOf = (e: DescribeExecutionCommandOutput | null | undefined): string | null => {
  try {
    const by = (JSON.parse(e?.input ?? 'null') as { requestedBy?: unknown } | null)?.requestedBy;
    return typeof by === 'string' ? by : null;
  } catch {
    return null;
  }
};

/** Where a run is now: the state it is in, and what that state waits for. */
async function whereNow(where: Where, execution: DescribeExecutionCommandOutput) {
  const page = await where.sfn.send(
    new GetExecutionHistoryCommand({
      executionArn: execution.executionArn,
      reverseOrder: true,
      maxResults: 50,
    }),
  );
  const events = page.events ?? [];
  const entered = events.find((e) => e.stateEnteredEventDetails);
  const exited = events.find((e) => e.stateExitedEventDetails);
  if (!entered || (exited && (exited.id ?? 0) > (entered.id ?? 0))) return null;
  const state = entered.stateEnteredEventDetails?.name ?? '';
  const since = entered.timestamp ?? null;
  const after = events.filter((e) => (e.id ?? 0) > (entered.id ?? 0));
  const gate = after.find((e) => e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken');
  const nested = after.find((e) => e.taskSubmittedEventDetails?.resource?.startsWith('startExecution.sync'));
  const waits = gate
    ? `a decision on approval ${approvalIdOf(String(execution.executionArn), state)}`
    : nested
      ? `the nested execution ${String((JSON.parse(nested.taskSubmittedEventDetails?.output ?? '{}') as { ExecutionArn?: string }).ExecutionArn)}`
      : entered.type === 'WaitStateEntered'
        ? 'the wait to pass'
        : 'its step to finish';
  return { state, since: since?.toISOString() ?? null, waits };
}

/** `runbook status <run>`: how a run stands, and where it is now. */
export async function runStatus(
  where: Where,
  config: Config,
  run: string,
  json: boolean,
  out: (line: string) => void = print,
): Promise<number> {
  const e = await findRun(where, config, run);
  const now = e.status === 'RUNNING' ? await whereNow(where, e).catch(() => null) : null;
  const status = {
    name: e.name,
    procedure: procedureOfRun(e.stateMachineArn, config),
    status: e.status,
    startDate: e.startDate?.toISOString() ?? null,
    stopDate: e.stopDate?.toISOString() ?? null,
    requestedBy: requesterOf(e),
    error: e.error ?? null,
    cause: e.cause ?? null,
    now,
    executionArn: e.executionArn,
  };
  if (json) out(JSON.stringify(status, null, 2));
  else {
    out(
      `${printable(String(status.name))}: ${status.status} (${status.procedure}, started ${status.startDate}${status.requestedBy ? ` for ${printable(status.requestedBy)}` : ''})`,
    );
    if (now) out(`  in ${printable(now.state)} since ${now.since}, waiting for ${printable(now.waits)}`);
    if (status.error) out(`  ${printable(status.error)}: ${printable(status.cause ?? '')}`);
  }
  return e.status === 'RUNNING' || e.status === 'SUCCEEDED'
    ? EXIT.succeeded
    : e.status === 'FAILED'
      ? EXIT.failed
      : EXIT.stopped;
}

/** `runbook stop <run>`: after a warning and a confirmation, StopExecution with who stopped it and why. */
export async function stopRun(
  where: Where,
  config: Config,
  run: string,
  options: { yes: boolean; reason?: string },
  out: (line: string) => void = print,
  warn: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  const e = await findRun(where, config, run);
  if (e.status !== 'RUNNING')
    throw new WhereError(`${printable(String(e.name))} is not running: it ended ${e.status}`);
  const now = await whereNow(where, e).catch(() => null);
  warn(
    `Stopping ${printable(String(e.name))}${now ? ` while it is in ${printable(now.state)}` : ''} ends it where it is: what it changed stays changed and nothing is rolled back. The abandoned-run handler then releases its lock and pages the on-call.\n`,
  );
  if (!options.yes) {
    if (!process.stdin.isTTY)
      throw new UsageError('stop asks to confirm on a terminal; give --yes to stop without asking');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = (await rl.question('Stop it? (yes/no) ')).trim().toLowerCase();
    rl.close();
    if (answer !== 'yes' && answer !== 'y') {
      out('not stopped');
      return EXIT.usage;
    }
  }
  await where.sfn
    .send(
      new StopExecutionCommand({
        executionArn: e.executionArn,
        error: 'Runbook.StoppedByOperator',
        cause: `stopped with runbook stop${options.reason ? `: ${options.reason}` : ''}`.slice(0, 32_768),
      }),
    )
    .catch((error: unknown) => {
      throw apiProblem(where, error);
    });
  out(`stopped ${printable(String(e.name))}`);
  return EXIT.succeeded;
}
