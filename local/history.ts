// An execution's history as Step Functions writes it (GetExecutionHistory), from the rehearsal's
// timeline: the real event types and detail shapes, ids counting from 1, each event's previousEventId
// the one before it, timestamps on the simulated clock. A Task whose Resource is a function ARN writes
// LambdaFunction* events; a service integration (callback, nested run) writes Task* events with
// TaskSubmitted once the work is handed over; a Wait the rehearsal serves as a clock Task is written
// as the Wait it is in the definition. Retries and catches write no events of their own on AWS: a
// retry is the next Scheduled, a catch the state's exit.
import type { HistoryEvent as SdkHistoryEvent } from '@aws-sdk/client-sfn';
import type { Asl, Definitions } from '../rehearsal/definitions.ts';
import type { TimelineEvent } from '../rehearsal/types.ts';

export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  /** Epoch milliseconds (the wire format turns them into epoch seconds). */
  readonly timestamp: number;
  readonly type: string;
  readonly [details: string]: unknown;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const included = { truncated: false };

/** `arn:aws:states:::lambda:invoke.waitForTaskToken` as its history names it: lambda, invoke.waitForTaskToken. */
export function integrationOf(resource: string): { resourceType: string; resource: string } {
  const [, service = '', ...rest] = resource.replace(/^arn:aws:states:::/, ':').split(':');
  return { resourceType: service, resource: rest.join(':') };
}

const isFunction = (resource: string) => resource.startsWith('arn:aws:lambda:');

export interface HistoryContext {
  /** The definition as synthesized: which type each state really is. */
  readonly asl: Asl;
  readonly stateMachineArn: string;
  readonly roleArn: string;
  readonly region: string;
  /** The simulated clock's start, epoch ms: TimelineEvent.at counts seconds from it. */
  readonly startMs: number;
}

/** Appends the history events one timeline event of this execution writes; returns them. */
export function historyWriter(context: HistoryContext, events: HistoryEvent[]) {
  /** The resource each state's current attempt called (the result events name it again). */
  const calls = new Map<string, string>();
  const push = (at: number, type: string, details: Record<string, unknown> = {}) => {
    const id = events.length + 1;
    const event = { id, previousEventId: id - 1, timestamp: context.startMs + at * 1000, type, ...details };
    events.push(event);
    return event;
  };
  const typeOf = (state: string | undefined) => String(context.asl.States[state ?? '']?.Type ?? 'Task');

  return (e: TimelineEvent): void => {
    switch (e.kind) {
      case 'started':
        push(e.at, 'ExecutionStarted', {
          executionStartedEventDetails: {
            input: json(e.input),
            inputDetails: included,
            roleArn: context.roleArn,
            stateMachineArn: context.stateMachineArn,
          },
        });
        return;
      case 'entered':
        push(e.at, `${typeOf(e.state)}StateEntered`, {
          stateEnteredEventDetails: { name: e.state, input: json(e.input), inputDetails: included },
        });
        return;
      case 'exited':
        push(e.at, `${typeOf(e.state)}StateExited`, {
          stateExitedEventDetails: { name: e.state, output: json(e.output), outputDetails: included },
        });
        return;
      case 'scheduled': {
        const resource = String(e.detail);
        calls.set(String(e.state), resource);
        if (isFunction(resource)) {
          push(e.at, 'LambdaFunctionScheduled', {
            lambdaFunctionScheduledEventDetails: { resource, input: json(e.input), inputDetails: included },
          });
          push(e.at, 'LambdaFunctionStarted');
        } else {
          const integration = integrationOf(resource);
          push(e.at, 'TaskScheduled', {
            taskScheduledEventDetails: { ...integration, region: context.region, parameters: json(e.input) },
          });
          push(e.at, 'TaskStarted', { taskStartedEventDetails: integration });
        }
        return;
      }
      case 'submitted':
        push(e.at, 'TaskSubmitted', {
          taskSubmittedEventDetails: {
            ...integrationOf(calls.get(String(e.state)) ?? ''),
            output: json(e.output),
            outputDetails: included,
          },
        });
        return;
      case 'task-succeeded': {
        const resource = calls.get(String(e.state)) ?? '';
        if (isFunction(resource))
          push(e.at, 'LambdaFunctionSucceeded', {
            lambdaFunctionSucceededEventDetails: { output: json(e.output), outputDetails: included },
          });
        else
          push(e.at, 'TaskSucceeded', {
            taskSucceededEventDetails: {
              ...integrationOf(resource),
              output: json(e.output),
              outputDetails: included,
            },
          });
        return;
      }
      case 'task-failed': {
        const resource = calls.get(String(e.state)) ?? '';
        const failure = { error: e.error, cause: e.cause };
        if (isFunction(resource) && e.error === 'Sandbox.Timedout')
          push(e.at, 'LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: failure });
        else if (isFunction(resource))
          push(e.at, 'LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: failure });
        else if (e.error === 'States.Timeout')
          push(e.at, 'TaskTimedOut', {
            taskTimedOutEventDetails: { ...integrationOf(resource), ...failure },
          });
        else push(e.at, 'TaskFailed', { taskFailedEventDetails: { ...integrationOf(resource), ...failure } });
        return;
      }
      case 'finished':
        endOf(e.at, String(e.detail), e, push);
        return;
      default:
        // approvals and the abandoned-run rule are the approval service's and EventBridge's, not the history's
        return;
    }
  };
}

function endOf(
  at: number,
  status: string,
  e: Pick<TimelineEvent, 'output' | 'error' | 'cause'>,
  push: (at: number, type: string, details: Record<string, unknown>) => unknown,
) {
  const failure = { ...(e.error && { error: e.error }), ...(e.cause && { cause: e.cause }) };
  if (status === 'SUCCEEDED')
    push(at, 'ExecutionSucceeded', {
      executionSucceededEventDetails: { output: json(e.output), outputDetails: included },
    });
  else if (status === 'FAILED') push(at, 'ExecutionFailed', { executionFailedEventDetails: failure });
  else if (status === 'TIMED_OUT') push(at, 'ExecutionTimedOut', { executionTimedOutEventDetails: failure });
  else push(at, 'ExecutionAborted', { executionAbortedEventDetails: failure });
}

/** The event that closes a history the endpoint could not finish (it stopped while the run went on). */
export function closeHistory(events: HistoryEvent[], atMs: number, error: string, cause: string): void {
  const id = events.length + 1;
  events.push({
    id,
    previousEventId: id - 1,
    timestamp: atMs,
    type: 'ExecutionFailed',
    executionFailedEventDetails: { error, cause },
  });
}

/** One execution of a run, as its history records it (the run started, or a nested one). */
export interface RecordedExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly procedure: string;
  /** The execution that started this one, if it is nested. */
  readonly parentArn: string | null;
  /** Seconds from the run's start (simulated) at which this one started. */
  readonly at: number;
  readonly input: unknown;
  readonly history: HistoryEvent[];
}

/** The machine an execution ARN belongs to: `...:execution:<machine name>:<execution name>`. */
export function machineOfExecution(definitions: Definitions, executionArn: string) {
  const entry = Object.entries(definitions.machines).find(([, m]) =>
    executionArn.startsWith(`${m.arn.replace(':stateMachine:', ':execution:')}:`),
  );
  return entry && { procedure: entry[0], ...entry[1] };
}

/** The IAM role a machine runs as, as DescribeStateMachine and ExecutionStarted name it. */
export function machineRoleArn(definitions: Definitions, procedure: string): string {
  return (definitions.machineRoles[procedure]?.arn ?? '').replace(
    /^arn:aws:sts::(\d+):assumed-role\/([^/]+)\/.*$/,
    'arn:aws:iam::$1:role/$2',
  );
}

/**
 * Writes the histories of a rehearsed run and of every execution it starts, from its timeline:
 * `onEvent` takes the engine's events. `open` is told of each execution as it starts and gives the
 * list its history goes into (the local endpoint keeps them in its records); by default a new one.
 */
export function historyRecorder(
  definitions: Definitions,
  region: string,
  startMs: number,
  open: (execution: Omit<RecordedExecution, 'history'>) => HistoryEvent[] = () => [],
) {
  const executions = new Map<string, RecordedExecution>();
  const writers = new Map<string, (e: TimelineEvent) => void>();
  const parents: string[] = [];
  const onEvent = (e: TimelineEvent): void => {
    if (e.kind === 'started' && !executions.has(e.execution)) {
      parents[e.depth] = e.execution;
      const machine = machineOfExecution(definitions, e.execution);
      if (!machine) return;
      const start = {
        executionArn: e.execution,
        stateMachineArn: machine.arn,
        procedure: machine.procedure,
        parentArn: e.depth > 0 ? (parents[e.depth - 1] ?? null) : null,
        at: e.at,
        input: e.input ?? null,
      };
      const history = open(start);
      executions.set(e.execution, { ...start, history });
      writers.set(
        e.execution,
        historyWriter(
          {
            asl: machine.asl,
            stateMachineArn: machine.arn,
            roleArn: machineRoleArn(definitions, machine.procedure),
            region,
            startMs,
          },
          history,
        ),
      );
    }
    writers.get(e.execution)?.(e);
  };
  return { executions, onEvent };
}

/** The history as the SDK reads it from GetExecutionHistory (timestamps as dates). */
export function sdkHistory(events: readonly HistoryEvent[]): SdkHistoryEvent[] {
  return events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) })) as unknown as SdkHistoryEvent[];
}
