// `runbook rehearse <procedure>`: runs the synthesized state machine locally against the simulated
// account, shows the timeline, and ends with the outcome and what changed.
import type { Config } from '../infra/config.ts';
import { formatElapsed } from '../rehearsal/account/clock.ts';
import type { Definitions } from '../rehearsal/definitions.ts';
import type { Approver, RehearsalResult } from '../rehearsal/engine.ts';
import { firstStepReserve } from '../rehearsal/execution-input.ts';
import { rehearseScenario } from '../rehearsal/rehearse-scenario.ts';
import { procedureNamed } from '../statemachines/registry.ts';
import { printable } from '../tasks/printable.ts';
import { promptApprover } from './approval-prompt.ts';
import { REHEARSALS_DIR, rehearsalRecorder } from './audit/rehearsal-record.ts';
import { COLOR, PLAIN, timelinePrinter } from './timeline.ts';
import { readInput, scenarioOf, UsageError } from './usage.ts';

export type ApproveMode = 'auto' | 'reject' | 'expire' | 'prompt';

export interface RehearseCommand {
  readonly procedure: string;
  /** A file path or inline JSON; default examples/<procedure>.json. */
  readonly input?: string;
  readonly scenario: string;
  readonly approve?: ApproveMode;
  readonly json: boolean;
  /** Where the rehearsal's record and audit page go. @default .runbook-local/rehearsals */
  readonly recordDir?: string;
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
  const start = new Date(started);
  const recorder = rehearsalRecorder(definitions, config, {
    procedure: procedure.name,
    scenario: scenario.name,
    start,
    dir: command.recordDir ?? REHEARSALS_DIR,
  });
  const print = command.json ? undefined : timelinePrinter(definitions, out, style);
  const result = await rehearseScenario({
    config,
    definitions,
    procedure,
    scenario,
    input,
    start,
    ...(approver !== undefined && { approver }),
    onEvent: (e) => {
      recorder.onEvent(e);
      print?.(e);
    },
  });
  // The record is written whatever the outcome; a folder that cannot be written is said, not fatal.
  let written: { record: string; report: string } | null = null;
  try {
    written = recorder.write();
  } catch (error) {
    process.stderr.write(`runbook: the rehearsal's record was not written: ${(error as Error).message}\n`);
  }
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
          output: result.output,
          transitions,
          durationSeconds,
          changes,
          account,
          record: written?.record ?? null,
          report: written?.report ?? null,
        },
        null,
        2,
      ),
    );
  } else {
    printSummary(result, Date.now() - started, out, style);
    if (written) {
      out(`${style.bold('Record:')}  ${written.record}`);
      out(`${style.bold('Report:')}  ${written.report}  ${style.dim(`(runbook audit ${written.record})`)}`);
    }
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
  const found =
    result.status === 'SUCCEEDED'
      ? (procedureNamed(result.procedure)?.describeOutput?.(result.output) ?? [])
      : [];
  if (found.length > 0) {
    out(style.bold('Found:'));
    for (const line of found) out(`  ${printable(line)}`);
  }
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
  for (const i of result.account.dbInstances)
    out(`  database ${i.id}: ${i.status}, ${i.instanceClass}, engine ${i.engineVersion}`);
  for (const s of result.account.dbSnapshots) out(`  snapshot ${s.id} of ${s.dbInstance}: ${s.status}`);
  for (const e of result.account.exportTasks) out(`  export ${e.id} to ${e.location}: ${e.status}`);
  for (const n of result.account.notifications)
    out(`  notice ${printable(n.subject)}${n.severity === 'page' ? ' (pages the on-call)' : ''}`);
}

const short = (arn: string | null) => (arn ?? 'none').split('/').pop();
