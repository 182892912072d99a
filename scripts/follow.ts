// Following a run to its end through GetExecutionHistory, as `runbook start` and `runbook deploy`
// do: each new event read (newest first, back to the last one seen, so a long history is not read
// again every poll), shown on the rehearsal's timeline, the nested execution a Task runs followed
// too, the approval a run waits for shown with the command that decides it, and a line while a long
// wait goes on. It only reads: stopping to follow (Ctrl-C, --timeout) never touches the run.
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { formatElapsed } from '../rehearsal/account/clock.ts';
import type { Definitions } from '../rehearsal/definitions.ts';
import type { TimelineEvent } from '../rehearsal/types.ts';
import { approvalIdOf } from '../tasks/approvals/request.ts';
import { printable } from '../tasks/printable.ts';
import { type Style, timelinePrinter } from './timeline.ts';
import { apiProblem, type Where } from './where.ts';

export type Output = 'lines' | 'events' | 'json';

export interface FollowOptions {
  readonly output: Output;
  /** Seconds between reads of the history. */
  readonly pollSeconds: number;
  /** Stop following after this many seconds (the run goes on). */
  readonly timeoutSeconds?: number;
  /** How to decide an approval, shown with the request: the approvals API the run's gate uses. */
  readonly approveHint: (approvalId: string) => string;
  readonly style: Style;
  /** On a terminal: one status line kept current while nothing happens (null clears it). */
  readonly status?: (text: string | null) => void;
  readonly write: (line: string) => void;
}

/** How following ended: the run's last description, or that the CLI stopped following first. */
export type Followed =
  | { readonly ended: true; readonly execution: DescribeExecutionCommandOutput }
  | {
      readonly ended: false;
      readonly execution: DescribeExecutionCommandOutput;
      /** Why following stopped if not at --timeout: the API could not be read for LOST_AFTER_MS. */
      readonly lost?: string;
    };

/** How long the history may be unreadable (network, throttling, expired credentials) before following gives up. */
const LOST_AFTER_MS = 120_000;
/** Every how many polls the run's status is read as well (a history cut short still ends the follow). */
const DESCRIBE_EVERY = 10;

const TERMINAL = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);
const STATUS_OF: Record<string, string> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};
/**
 * One JSON line that no terminal acts on: JSON escapes C0 controls itself; DEL, C1 controls and the
 * bidirectional overrides it leaves as they are, so they are escaped too.
 */
export const jsonLine = (value: unknown) =>
  JSON.stringify(value).replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/** How often a plain line says a long wait goes on (a TTY's status line is kept current instead). */
const STILL_EVERY_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const parse = (text: string | undefined) => {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
};

/** The events after `lastId`, oldest first: pages read newest first until the last one seen. */
async function newEvents(where: Where, executionArn: string, lastId: number): Promise<HistoryEvent[]> {
  const fresh: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await where.sfn
      .send(
        new GetExecutionHistoryCommand({
          executionArn,
          reverseOrder: true,
          maxResults: 100,
          ...(nextToken && { nextToken }),
        }),
      )
      .catch((error: unknown) => {
        throw apiProblem(where, error);
      });
    for (const event of page.events ?? []) {
      if ((event.id ?? 0) <= lastId) return fresh.reverse();
      fresh.push(event);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return fresh.reverse();
}

/** One followed execution: where its history was read to, and what its events mean on the timeline. */
interface Track {
  readonly executionArn: string;
  readonly depth: number;
  lastId: number;
  startMs: number | null;
  ended: boolean;
  /** The state it is in (entered, not yet left), and since when. */
  current: { state: string; sinceMs: number } | null;
  /** Each state's last failed attempt: caught if the state is left, retried if it is scheduled again. */
  readonly failing: Set<string>;
}

/** Turns history events into the rehearsal's timeline events; the approvals and nested runs they start. */
function timelineOf(
  track: Track,
  event: HistoryEvent,
  rootStartMs: number,
): { events: TimelineEvent[]; child?: string; approval?: string } {
  const at = ((event.timestamp?.getTime() ?? rootStartMs) - rootStartMs) / 1000;
  const base = { at, depth: track.depth, execution: track.executionArn };
  const type = event.type ?? '';
  const entered = event.stateEnteredEventDetails;
  const exited = event.stateExitedEventDetails;
  const failure =
    event.lambdaFunctionFailedEventDetails ??
    event.lambdaFunctionTimedOutEventDetails ??
    event.taskFailedEventDetails ??
    event.taskTimedOutEventDetails;
  if (type === 'ExecutionStarted')
    return { events: [{ ...base, kind: 'started', detail: track.executionArn.split(':')[6] ?? '' }] };
  if (entered?.name) {
    track.current = { state: entered.name, sinceMs: Date.now() };
    return {
      events: [{ ...base, kind: 'entered', state: entered.name, type: type.replace('StateEntered', '') }],
    };
  }
  const state = track.current?.state;
  if (exited?.name) {
    const events: TimelineEvent[] = [];
    if (track.failing.delete(exited.name)) events.push({ ...base, kind: 'caught', state: exited.name });
    events.push({
      ...base,
      kind: 'exited',
      state: exited.name,
      type: type.replace('StateExited', ''),
      output: parse(exited.output),
    });
    track.current = null;
    return { events };
  }
  if (failure && state) {
    track.failing.add(state);
    return {
      events: [
        { ...base, kind: 'failed', state, error: failure.error ?? 'error', cause: failure.cause ?? '' },
      ],
    };
  }
  if (
    (type === 'LambdaFunctionScheduled' || type === 'TaskScheduled') &&
    state &&
    track.failing.delete(state)
  )
    return { events: [{ ...base, kind: 'retried', state, detail: 'again' }] };
  const scheduled = event.taskScheduledEventDetails;
  if (scheduled?.resource === 'invoke.waitForTaskToken' && state)
    return { events: [], approval: approvalIdOf(track.executionArn, state) };
  const submitted = event.taskSubmittedEventDetails;
  if (submitted?.resource?.startsWith('startExecution.sync')) {
    const child = (parse(submitted.output) as { ExecutionArn?: string } | undefined)?.ExecutionArn;
    return { events: [], ...(child && { child }) };
  }
  if (TERMINAL.has(type)) {
    track.ended = true;
    const details =
      event.executionFailedEventDetails ??
      event.executionAbortedEventDetails ??
      event.executionTimedOutEventDetails;
    return {
      events: [
        {
          ...base,
          kind: 'finished',
          detail: STATUS_OF[type],
          ...(details?.error && { error: details.error }),
          ...(details?.cause && { cause: details.cause }),
        },
      ],
    };
  }
  return { events: [] };
}

/** The state machines' definitions as the API describes them: what the timeline needs to read states. */
async function definitionsOf(where: Where, arns: string[], known: Definitions['machines']) {
  for (const stateMachineArn of arns) {
    if (Object.values(known).some((m) => m.arn === stateMachineArn)) continue;
    const described = await where.sfn
      .send(new DescribeStateMachineCommand({ stateMachineArn }))
      .catch((error: unknown) => {
        throw apiProblem(where, error);
      });
    known[described.name ?? stateMachineArn] = {
      arn: stateMachineArn,
      name: described.name ?? '',
      asl: JSON.parse(described.definition ?? '{"StartAt":"","States":{}}'),
    };
  }
}

const machineOfExecution = (executionArn: string) => {
  const parts = executionArn.split(':');
  parts[5] = 'stateMachine';
  return parts.slice(0, 7).join(':');
};

export async function follow(where: Where, executionArn: string, options: FollowOptions): Promise<Followed> {
  const machines: Definitions['machines'] = {};
  // The timeline reads states from the definitions; worker summaries need the local synthesis, not done here.
  const definitions = { machines, functions: {} } as unknown as Definitions;
  const print = timelinePrinter(definitions, options.write, options.style);
  const tracks: Track[] = [
    { executionArn, depth: 0, lastId: 0, startMs: null, ended: false, current: null, failing: new Set() },
  ];
  const started = Date.now();
  let lastLine = Date.now();
  let rootStartMs: number | null = null;
  let finalPass = false;
  let statusShown = false;
  const describe = () =>
    where.sfn.send(new DescribeExecutionCommand({ executionArn })).catch((error: unknown) => {
      throw apiProblem(where, error);
    });
  const readAll = async () => {
    for (const track of tracks.filter((t) => !t.ended)) {
      await definitionsOf(where, [machineOfExecution(track.executionArn)], machines);
      const events = await newEvents(where, track.executionArn, track.lastId);
      if (events.length > 0 && statusShown) {
        options.status?.(null);
        statusShown = false;
      }
      for (const event of events) {
        track.lastId = event.id ?? track.lastId;
        rootStartMs ??= event.timestamp?.getTime() ?? Date.now();
        if (options.output === 'events')
          options.write(jsonLine({ executionArn: track.executionArn, ...event }));
        const { events: timeline, child, approval } = timelineOf(track, event, rootStartMs);
        if (options.output === 'lines') {
          for (const e of timeline) print(e);
          if (approval)
            options.write(
              `${options.style.dim(formatElapsed(((event.timestamp?.getTime() ?? 0) - rootStartMs) / 1000).padStart(8))}  ${'  '.repeat(track.depth)}${options.style.yellow('⏸')} ${track.current?.state}  approval ${approval} waits for a decision: ${options.approveHint(approval)}`,
            );
        }
        if (child && !tracks.some((t) => t.executionArn === child))
          tracks.push({
            executionArn: child,
            depth: track.depth + 1,
            lastId: 0,
            startMs: null,
            ended: false,
            current: null,
            failing: new Set(),
          });
        lastLine = Date.now();
      }
    }
  };
  let last = await describe();
  let polls = 0;
  let failingSince: number | null = null;
  for (;;) {
    try {
      await readAll();
      if (++polls % DESCRIBE_EVERY === 0) {
        last = await describe();
        // Ended without its closing event in the history (an endpoint restarted): read once more, then end.
        if (last.status !== 'RUNNING' && tracks[0] && !tracks[0].ended) {
          await readAll();
          tracks[0].ended = true;
        }
      }
      failingSince = null;
    } catch (error) {
      // A passing fault goes by; one that lasts ends the follow, never the run.
      failingSince ??= Date.now();
      if (Date.now() - failingSince >= LOST_AFTER_MS) {
        if (statusShown) options.status?.(null);
        return { ended: false, execution: last, lost: (error as Error).message };
      }
      await sleep(Math.max(1000, options.pollSeconds * 1000));
      continue;
    }
    if (tracks[0]?.ended) {
      // A nested run found in the last page is read to its end too (it ended before its parent).
      if (tracks.some((t) => !t.ended) && !finalPass) {
        finalPass = true;
        continue;
      }
      if (statusShown) options.status?.(null);
      return { ended: true, execution: await describe() };
    }
    if (options.timeoutSeconds !== undefined && Date.now() - started >= options.timeoutSeconds * 1000) {
      if (statusShown) options.status?.(null);
      return { ended: false, execution: await describe() };
    }
    const deepest = [...tracks].reverse().find((t) => !t.ended && t.current)?.current;
    const still =
      deepest &&
      `still in ${printable(deepest.state)} (${formatElapsed((Date.now() - deepest.sinceMs) / 1000).slice(1)})`;
    if (options.output === 'lines' && still && options.status && Date.now() - lastLine >= 1000) {
      options.status(options.style.dim(`           ${still}`));
      statusShown = true;
    } else if (options.output === 'lines' && still && Date.now() - lastLine >= STILL_EVERY_MS) {
      options.write(options.style.dim(`           ${still}`));
      lastLine = Date.now();
    }
    await sleep(options.pollSeconds * 1000);
  }
}
