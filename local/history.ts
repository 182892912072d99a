// An execution's history as Step Functions writes it (GetExecutionHistory), from the rehearsal's
// timeline: the real event types and detail shapes, ids counting from 1, each event's previousEventId
// the one before it, timestamps on the simulated clock. A Task whose Resource is a function ARN writes
// LambdaFunction* events; a service integration (callback, nested run) writes Task* events with
// TaskSubmitted once the work is handed over; a Wait the rehearsal serves as a clock Task is written
// as the Wait it is in the definition. Retries and catches write no events of their own on AWS: a
// retry is the next Scheduled, a catch the state's exit.
import type { Asl } from '../rehearsal/definitions.ts';
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
