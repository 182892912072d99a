// What every command does with what it is given before it acts: the usage error (exit 2), the
// procedure and scenario a name means (with a "did you mean"), and an execution input read from a
// file, inline JSON or standard input and refused where StartExecution would refuse it.
import { existsSync, readFileSync } from 'node:fs';
import { executionInputProblem } from '../rehearsal/execution-input.ts';
import type { ProcedureSpec, ScenarioSpec } from '../statemachines/procedure.ts';
import { PROCEDURES, procedureNamed } from '../statemachines/registry.ts';
import { printable } from '../tasks/printable.ts';

/** The CLI could not start the run (exit code 2): nothing was executed. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

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
