// The live timeline of a rehearsal, for a person: each step with its simulated time and what it
// found, poll loops shown only when what they see changes, failures with their error names.
import { formatElapsed } from '../rehearsal/account/clock.ts';
import type { Definitions } from '../rehearsal/definitions.ts';
import type { TimelineEvent } from '../rehearsal/engine.ts';
import { readableCause } from '../tasks/notify.ts';

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

const short = (arn: unknown) => String(arn).split('/').pop() ?? String(arn);

/** A few words on what a step returned, from the shape of its result. */
export function summarize(result: unknown): string {
  if (!result || typeof result !== 'object') return '';
  const r = result as Record<string, unknown>;
  if ('request' in r) return summarize(r.request);
  if ('rolloutState' in r) return `${r.rolloutState}, ${r.running}/${r.desired} running`;
  if ('registered' in r) return `${r.healthy}/${r.desired} new targets healthy (${r.registered} registered)`;
  if ('progress' in r) return `${r.status} ${r.progress}%`;
  if ('elapsedSeconds' in r) return 'watched alarms quiet';
  if ('healthyTargets' in r)
    return `running ${short(r.taskDefinition)}, ${r.runningCount}/${r.desiredCount} tasks, ${r.healthyTargets} healthy targets`;
  if ('from' in r && 'taskDefinition' in r) return `${short(r.taskDefinition)} (from ${short(r.from)})`;
  if ('deploymentId' in r) return `now ${short(r.taskDefinition)}, desired ${r.desiredCount}`;
  if (r.procedure && 'serviceName' in r)
    return `${r.environment}/${r.service} is ${r.cluster}/${r.serviceName}`;
  if ('severity' in r && 'event' in r) return `${r.event} notice sent (${r.severity})`;
  if ('expiresAt' in r && 'owner' in r) return `held by this run`;
  if ('released' in r) return r.released ? 'released' : 'not held by this run';
  if ('snapshotId' in r) return `${r.snapshotId} ${r.status}`;
  if ('executionArn' in r) return `${short(r.executionArn)} ${r.status}`;
  if ('recordedAt' in r && 'taskDefinition' in r) return `known-good ${short(r.taskDefinition)}`;
  if ('taskDefinition' in r) return short(r.taskDefinition);
  return '';
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

  return (event: TimelineEvent) => {
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
      case 'failed':
        if (event.state) lastFailure.set(`${event.execution}/${event.state}`, event);
        return;
      case 'retried': {
        const failure = lastFailure.get(`${event.execution}/${event.state}`);
        line(`${style.yellow('↻')} ${event.state}  ${failure?.error ?? 'error'}, retrying (${event.detail})`);
        return;
      }
      case 'caught': {
        caught.add(`${event.execution}/${event.state}`);
        const failure = lastFailure.get(`${event.execution}/${event.state}`);
        const cause = failure?.cause ? readableCause(failure.cause) : '';
        line(
          `${style.red('✗')} ${event.state}  ${style.red(failure?.error ?? 'error')}${cause ? `: ${cause}` : ''}`,
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
        const summary = state.ResultPath === null ? '' : summarize(at(event.output, state.ResultPath ?? '$'));
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
