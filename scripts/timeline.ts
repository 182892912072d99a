// The live timeline of a rehearsal, for a person: each step with its simulated time and what it
// found, poll loops shown only when what they see changes, failures with their error names.
import { formatElapsed } from '../rehearsal/account/clock.ts';
import type { Definitions } from '../rehearsal/definitions.ts';
import type { TimelineEvent } from '../rehearsal/engine.ts';
import { readableCause } from '../tasks/notify.ts';
import { printable } from '../tasks/printable.ts';
import { lastPart } from '../tasks/worker.ts';

export interface Style {
  dim(text: string): string;
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const ansi = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
export const COLOR: Style = { dim: ansi(2), bold: ansi(1), red: ansi(31), green: ansi(32), yellow: ansi(33) };
export const PLAIN: Style = {
  dim: (t) => t,
  bold: (t) => t,
  red: (t) => t,
  green: (t) => t,
  yellow: (t) => t,
};

/** What a service integration (not a worker) returned, in words: the nested execution a Task ran. */
function integrationSummary(result: unknown): string {
  const r = (result ?? {}) as Record<string, unknown>;
  return 'executionArn' in r ? `${lastPart(String(r.executionArn))} ${r.status}` : '';
}

/**
 * What a Task state's step returned, in words: its worker's own summary of its output (a
 * ResultSelector that only wraps the output, as {request.$: $} does, is undone first), or what
 * the service integration returned. Nothing when the result is discarded.
 */
export function summarize(state: Record<string, unknown>, output: unknown, definitions: Definitions): string {
  if (state.ResultPath === null) return '';
  const placed = at(output, (state.ResultPath as string | undefined) ?? '$');
  const worker = definitions.functions[String(state.Resource)];
  if (!worker) return integrationSummary(placed);
  const selector = state.ResultSelector as Record<string, unknown> | undefined;
  const wrapper =
    selector &&
    Object.entries(selector)
      .find(([, path]) => path === '$')?.[0]
      ?.replace(/\.\$$/, '');
  const result = wrapper ? (placed as Record<string, unknown> | undefined)?.[wrapper] : placed;
  return result === undefined || !worker.summarize ? '' : worker.summarize(result as never);
}

/** Reads a simple JSONPath ($.a.b) from a document. */
function at(document: unknown, path: string | undefined): unknown {
  if (!path || path === '$') return document;
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .reduce<unknown>(
      (value, key) =>
        value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      document,
    );
}

export function timelinePrinter(definitions: Definitions, write: (line: string) => void, style: Style) {
  const procedureOf = (executionArn: string) =>
    Object.entries(definitions.machines).find(([, m]) =>
      executionArn.startsWith(m.arn.replace(':stateMachine:', ':execution:')),
    )?.[0] ?? '';
  const lastSummary = new Map<string, string>();
  const polls = new Map<string, number>();
  const lastFailure = new Map<string, TimelineEvent>();
  const caught = new Set<string>();

  return (raw: TimelineEvent) => {
    // What an event says may come from input: shown as escapes where it could act on the terminal.
    const event: TimelineEvent = {
      ...raw,
      ...(raw.detail !== undefined && { detail: printable(raw.detail) }),
      ...(raw.error !== undefined && { error: printable(raw.error) }),
      ...(raw.cause !== undefined && { cause: printable(raw.cause) }),
    };
    const indent = '  '.repeat(event.depth);
    const time = style.dim(formatElapsed(event.at).padStart(8));
    const line = (text: string) => write(`${time}  ${indent}${text}`);
    const procedure = procedureOf(event.execution);
    const state = event.state ? definitions.machines[procedure]?.asl.States[event.state] : undefined;
    switch (event.kind) {
      case 'started':
        if (event.depth > 0) line(style.bold(`↳ ${event.detail} (nested execution)`));
        return;
      case 'approval':
        line(`${style.yellow('⏸')} ${event.state}  ${event.detail}`);
        return;
      case 'abandoned':
        line(`${style.red('!')} abandoned-run rule  ${event.detail}`);
        return;
      case 'failed':
        // Kept as it came: its cause is read as JSON before it is shown.
        if (event.state) lastFailure.set(`${event.execution}/${event.state}`, raw);
        return;
      case 'retried': {
        const failure = lastFailure.get(`${event.execution}/${event.state}`);
        line(
          `${style.yellow('↻')} ${event.state}  ${printable(failure?.error ?? 'error')}, retrying (${event.detail})`,
        );
        return;
      }
      case 'caught': {
        caught.add(`${event.execution}/${event.state}`);
        const failure = lastFailure.get(`${event.execution}/${event.state}`);
        const cause = failure?.cause ? printable(readableCause(failure.cause)) : '';
        line(
          `${style.red('✗')} ${event.state}  ${style.red(printable(failure?.error ?? 'error'))}${cause ? `: ${cause}` : ''}`,
        );
        return;
      }
      case 'exited': {
        if (!state || !event.state) return;
        // Succeed states, and the Pass states that end a loop or explain a branch (not the loop starts).
        if (state.Type === 'Succeed' || (state.Type === 'Pass' && !event.state.startsWith('Start ')))
          line(`${style.green('✓')} ${event.state}`);
        if (state.Type !== 'Task') return;
        const key = `${event.execution}/${event.state}`;
        if (caught.delete(key)) return; // the Catch's exit, already shown as the failure
        const summary = printable(summarize(state, event.output, definitions));
        // A poll round's check carries its budget (maxAttempts): shown only when what it sees changes.
        if (state.Parameters?.maxAttempts !== undefined) {
          const n = (polls.get(key) ?? 0) + 1;
          polls.set(key, n);
          if (lastSummary.get(key) === summary) return;
          lastSummary.set(key, summary);
          line(`${style.dim('·')} ${event.state}  ${summary} ${style.dim(`(poll ${n})`)}`);
          return;
        }
        line(`${style.green('✓')} ${event.state}${summary ? `  ${style.dim(summary)}` : ''}`);
        return;
      }
      case 'finished':
        if (event.depth > 0) {
          const ok = event.detail === 'SUCCEEDED';
          line(
            style.bold(
              `↳ ${procedure} ${ok ? style.green(String(event.detail)) : style.red(`${event.detail} ${event.error ?? ''}`)}`,
            ),
          );
        }
        return;
      default:
        return;
    }
  };
}
