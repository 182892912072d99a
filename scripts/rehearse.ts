// `runbook rehearse <procedure>`: runs the synthesized state machine locally against the simulated
// account, shows the timeline, and ends with the outcome and what changed.
import { existsSync, readFileSync } from 'node:fs';
import type { Config } from '../infra/config.ts';
import { formatElapsed } from '../rehearsal/account/clock.ts';
import type { Definitions } from '../rehearsal/definitions.ts';
import type { Approver, RehearsalResult } from '../rehearsal/engine.ts';
import { executionInputProblem, firstStepReserve } from '../rehearsal/execution-input.ts';
import { rehearseScenario } from '../rehearsal/rehearse-scenario.ts';
import type { ProcedureSpec, ScenarioSpec } from '../statemachines/procedure.ts';
import { PROCEDURES, procedureNamed } from '../statemachines/registry.ts';
import { printable } from '../tasks/printable.ts';
import { promptApprover } from './approval-prompt.ts';
import { COLOR, PLAIN, timelinePrinter } from './timeline.ts';

/** The CLI could not start the run (exit code 2): nothing was executed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type ApproveMode = 'auto' | 'reject' | 'expire' | 'prompt';

/** Edits (insert, delete, replace) from one word to another. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(
        (row[j] ?? 0) + 1,
        (next[j - 1] ?? 0) + 1,
        (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    row = next;
  }
  return row[b.length] ?? 0;
}

/** "; did you mean 'x'?" for the nearest known name within a few edits of a misspelling, else nothing. */
export function didYouMean(given: string, known: readonly string[]): string {
  const nearest = known
    .map((name) => ({ name, edits: distance(given.toLowerCase(), name) }))
    .sort((a, b) => a.edits - b.edits)[0];
  return nearest && nearest.edits <= Math.max(2, Math.floor(nearest.name.length / 3))
    ? `; did you mean '${nearest.name}'?`
    : '';
}

/** The procedure and its scenario a command names, or a UsageError listing the known ones. */
export function scenarioOf(command: { procedure: string; scenario: string }): {
  procedure: ProcedureSpec;
  scenario: ScenarioSpec;
} {
  const procedure = procedureNamed(command.procedure);
  if (!procedure) {
    const known = PROCEDURES.map((p) => p.name);
    throw new UsageError(
      `unknown procedure '${printable(command.procedure)}'${didYouMean(command.procedure, known)} (known: ${known.join(', ')})`,
    );
  }
  const scenario = procedure.scenarios.find((s) => s.name === command.scenario);
  if (!scenario) {
    const known = procedure.scenarios.map((s) => s.name);
    throw new UsageError(
      `unknown scenario '${printable(command.scenario)}' for ${procedure.name}${didYouMean(command.scenario, known)} (known: ${known.join(', ')})`,
    );
  }
  return { procedure, scenario };
}

export interface RehearseCommand {
  readonly procedure: string;
  /** A file path or inline JSON; default examples/<procedure>.json. */
  readonly input?: string;
  readonly scenario: string;
  readonly approve?: ApproveMode;
  readonly json: boolean;
}

/** Text as JSON, a UTF-8 byte-order mark accepted; a UsageError saying where it is not JSON. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UsageError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/** Looks like JSON rather than a file name: an object, a list, a string, a number or a literal. */
const looksLikeJson = (text: string) => /^\s*(?:[{["\d-]|(?:null|true|false)\s*$)/.test(text);

/**
 * The execution input: `-` (standard input), inline JSON (any JSON value, as the console accepts),
 * or a file holding it; refused (exit 2) where StartExecution would refuse it.
 */
export function readInput(
  input: string,
  { stdin = () => readFileSync(0, 'utf8'), reserved = 0 }: { stdin?: () => string; reserved?: number } = {},
): unknown {
  let value: unknown;
  if (input === '-') value = parseJson(stdin(), 'standard input');
  else if (!existsSync(input) && looksLikeJson(input)) value = parseJson(input, 'the inline --input');
  else {
    let text: string;
    try {
      text = readFileSync(input, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read input file ${input}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    value = parseJson(text, `input file ${input}`);
  }
  const refused = executionInputProblem(value, reserved);
  if (refused) throw new UsageError(refused);
  return value;
}

export async function runRehearsal(
  command: RehearseCommand,
  config: Config,
  load: () => Definitions,
): Promise<{ result: RehearsalResult; exitCode: number }> {
  const { procedure, scenario } = scenarioOf(command);
  const input =
    command.input !== undefined
      ? readInput(command.input, { reserved: firstStepReserve(config) })
      : undefined;
  const definitions = load();
  // A scenario that decides its approval its own way does so unless told otherwise; else prompt
  // only where a person can answer, and never hang in CI.
  const mode: ApproveMode | undefined =
    command.approve ??
    (scenario.approval !== undefined
      ? undefined
      : process.stdin.isTTY && !process.env.CI && !command.json
        ? 'prompt'
        : 'auto');
  if (mode === 'prompt' && !process.stdin.isTTY) {
    throw new UsageError('--approve prompt needs a terminal to ask on; use auto, reject or expire');
  }
  const approver: Approver | undefined =
    mode === 'prompt' ? promptApprover() : mode === 'auto' ? 'approve' : mode;
  const approvals =
    mode ?? (typeof scenario.approval === 'string' ? scenario.approval : 'as the scenario sends');

  const style = process.stdout.isTTY && !process.env.NO_COLOR ? COLOR : PLAIN;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!command.json) {
    out(
      style.bold(`Rehearsal of ${command.procedure}`) +
        style.dim(` · scenario ${scenario.name} · approvals ${approvals} · simulated account, no AWS`),
    );
    out(style.dim(`  ${scenario.description}`));
  }
  const started = Date.now();
  const result = await rehearseScenario({
    config,
    definitions,
    procedure,
    scenario,
    input,
    ...(approver !== undefined && { approver }),
    ...(!command.json && { onEvent: timelinePrinter(definitions, out, style) }),
  });
  if (command.json) {
    const { procedure, status, error, cause, transitions, changes, account, durationSeconds } = result;
    out(
      JSON.stringify(
        {
          procedure,
          scenario: scenario.name,
          status,
          error,
          cause,
          transitions,
          durationSeconds,
          changes,
          account,
        },
        null,
        2,
      ),
    );
  } else {
    printSummary(result, Date.now() - started, out, style);
  }
  return { result, exitCode: result.status === 'SUCCEEDED' ? 0 : 1 };
}

function printSummary(
  result: RehearsalResult,
  realMs: number,
  out: (line: string) => void,
  style: typeof COLOR,
): void {
  const ok = result.status === 'SUCCEEDED';
  out('');
  out(
    `${style.bold('Outcome:')} ${ok ? style.green(result.status) : style.red(`${result.status} ${result.error ?? ''}`)}`,
  );
  if (result.cause) out(`${style.bold('Cause:')}   ${printable(result.cause)}`);
  out(
    style.dim(
      `Took ${formatElapsed(result.durationSeconds).slice(1)} of simulated time, ${result.transitions} state transitions, ${(realMs / 1000).toFixed(1)} s on this machine.`,
    ),
  );
  out(style.bold('Changes:') + (result.changes.length === 0 ? ' none' : ''));
  for (const change of result.changes)
    out(
      `  ${style.dim(formatElapsed(change.at))}  ${change.service} ${change.action} ${printable(change.target)}  ${style.dim(printable(change.detail))}`,
    );
  out(style.bold('Account now:'));
  for (const s of result.account.services)
    out(
      `  ${s.cluster}/${s.service}: ${short(s.taskDefinition)}, ${s.runningCount}/${s.desiredCount} running`,
    );
  for (const s of result.account.dbSnapshots) out(`  snapshot ${s.id} of ${s.dbInstance}: ${s.status}`);
  for (const n of result.account.notifications)
    out(`  notice ${printable(n.subject)}${n.severity === 'page' ? ' (pages the on-call)' : ''}`);
}

const short = (arn: string | null) => (arn ?? 'none').split('/').pop();
