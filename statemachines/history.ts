// The history a Standard execution writes, from its definition: what one visit of each state
// writes, the poll loops (found by their back edges Wait -> Check, bounded by the Check's
// Parameters.maxAttempts), and the longest run from StartAt to a terminal state with every loop
// run for its full budget. Step Functions fails an execution once its history reaches 25,000 events.
//
// Events per state visit: Task 5 (entered, scheduled, started, succeeded, exited) plus 3 per
// retried attempt; Wait, Choice, Pass and Succeed 2; Fail 1; the execution's start and end 2.

/** A definition as the synthesized ASL has it: enough of it to walk. */
export interface Asl {
  readonly StartAt: string;
  readonly States: Record<string, State>;
}

// biome-ignore lint/suspicious/noExplicitAny: ASL states are open-ended JSON.
export type State = Record<string, any>;
export type Loop = { check: string; wait: string; body: string[]; rounds: number };
export type Run = { events: number; path: string[]; taskVisits: number };

export const HISTORY_QUOTA = 25_000;
export const EXECUTION_EVENTS = 2;
export const EVENTS_PER_RETRY = 3;

/** Successors of a state: Next, Default, each Choice's Next and each Catch's Next. */
export function successors(s: State): string[] {
  const out: string[] = [];
  if (typeof s.Next === 'string') out.push(s.Next);
  if (typeof s.Default === 'string') out.push(s.Default);
  for (const choice of (s.Choices ?? []) as { Next: string }[]) out.push(choice.Next);
  for (const c of (s.Catch ?? []) as { Next: string }[]) out.push(c.Next);
  return [...new Set(out)];
}

export const isTerminal = (s: State) => s.Type === 'Succeed' || s.Type === 'Fail' || s.End === true;

/** Events one visit of a state writes; with retries, every retrier's MaxAttempts (default 3) is used up. */
export function eventsPerVisit(s: State, withRetries: boolean): number {
  switch (s.Type) {
    case 'Task': {
      const retried = withRetries
        ? ((s.Retry ?? []) as { MaxAttempts?: number }[]).reduce((n, r) => n + (r.MaxAttempts ?? 3), 0)
        : 0;
      return 5 + EVENTS_PER_RETRY * retried;
    }
    case 'Fail':
      return 1;
    case 'Wait':
    case 'Choice':
    case 'Pass':
    case 'Succeed':
      return 2;
    default:
      throw new Error(`no event count for a ${String(s.Type)} state`);
  }
}

/** The loops of a definition, found as the back edges of a depth-first walk from StartAt. */
export function findLoops(asl: Asl): Loop[] {
  const loops: Loop[] = [];
  const visited = new Set<string>();
  const stack: string[] = [];
  const walk = (name: string) => {
    visited.add(name);
    stack.push(name);
    for (const next of successors(asl.States[name] as State)) {
      const at = stack.indexOf(next);
      if (at >= 0) {
        const check = asl.States[next] as State;
        loops.push({ check: next, wait: name, body: stack.slice(at), rounds: check.Parameters?.maxAttempts });
      } else if (!visited.has(next)) {
        walk(next);
      }
    }
    stack.pop();
  };
  walk(asl.StartAt);
  return loops;
}

/**
 * The longest run from StartAt to a terminal state, the back edges removed and each loop's
 * head (its Check) charged for the loop's remaining rounds: rounds x (Check + Done? + Wait)
 * in all, less the one Wait of the last round, which exits instead.
 */
export function longestRun(asl: Asl, withRetries: boolean): Run {
  const loops = findLoops(asl);
  const backEdges = new Set(loops.map((l) => `${l.wait} -> ${l.check}`));
  const events = (name: string) => eventsPerVisit(asl.States[name] as State, withRetries);
  const extra = new Map<string, { events: number; taskVisits: number }>();
  for (const loop of loops) {
    const more = extra.get(loop.check) ?? { events: 0, taskVisits: 0 };
    const tasks = loop.body.filter((n) => asl.States[n]?.Type === 'Task').length;
    extra.set(loop.check, {
      events: more.events + (loop.rounds - 1) * loop.body.reduce((sum, n) => sum + events(n), 0),
      taskVisits: more.taskVisits + (loop.rounds - 1) * tasks,
    });
  }
  const memo = new Map<string, Run | null>();
  const inProgress = new Set<string>();
  const from = (name: string): Run | null => {
    if (memo.has(name)) return memo.get(name) ?? null;
    if (inProgress.has(name)) throw new Error(`a cycle through '${name}' that is not a poll loop`);
    inProgress.add(name);
    const s = asl.States[name] as State;
    const own = {
      events: events(name) + (extra.get(name)?.events ?? 0),
      taskVisits: (s.Type === 'Task' ? 1 : 0) + (extra.get(name)?.taskVisits ?? 0),
    };
    let best: Run | null = isTerminal(s) ? { events: 0, path: [], taskVisits: 0 } : null;
    for (const next of successors(s)) {
      if (backEdges.has(`${name} -> ${next}`)) continue;
      const rest = from(next);
      if (rest && (!best || rest.events > best.events)) best = rest;
    }
    inProgress.delete(name);
    const run = best && {
      events: own.events + best.events,
      path: [name, ...best.path],
      taskVisits: own.taskVisits + best.taskVisits,
    };
    memo.set(name, run);
    return run;
  };
  const run = from(asl.StartAt);
  if (!run) throw new Error('no path from StartAt to a terminal state');
  return { ...run, events: run.events + EXECUTION_EVENTS };
}
