// The history writer alone: which event each timeline event becomes, as Step Functions writes it.
import { describe, expect, it } from 'vitest';
import { type HistoryEvent, historyWriter, integrationOf } from '../../local/history.ts';
import type { TimelineEvent } from '../../rehearsal/types.ts';

const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:Check';
const asl = {
  StartAt: 'Check',
  States: {
    Check: { Type: 'Task', Resource: FUNCTION, Next: 'Gate' },
    Gate: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Next: 'Pause' },
    Pause: { Type: 'Wait', Seconds: 5, Next: 'Done' },
    Done: { Type: 'Fail', Error: 'X' },
  },
};

function written(timeline: Omit<TimelineEvent, 'depth' | 'execution'>[]): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const write = historyWriter(
    {
      asl,
      stateMachineArn: 'arn:sm',
      roleArn: 'arn:role',
      region: 'us-east-1',
      startMs: Date.UTC(2026, 0, 1),
    },
    events,
  );
  for (const e of timeline) write({ depth: 0, execution: 'arn:x', ...e } as TimelineEvent);
  return events;
}

describe('the history writer', () => {
  it('names an integration as its history does: lambda / invoke.waitForTaskToken, states / startExecution.sync:2', () => {
    expect(integrationOf('arn:aws:states:::lambda:invoke.waitForTaskToken')).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
    });
    expect(integrationOf('arn:aws:states:::states:startExecution.sync:2')).toEqual({
      resourceType: 'states',
      resource: 'startExecution.sync:2',
    });
  });

  it('writes a retried, then caught function Task as AWS does: a Scheduled per attempt, no event of its own for either', () => {
    // Given a Task failing once, retried, timing out, caught and left
    const events = written([
      { at: 0, kind: 'started', input: { a: 1 } },
      { at: 0, kind: 'entered', state: 'Check', input: { a: 1 } },
      { at: 0, kind: 'scheduled', state: 'Check', detail: FUNCTION, input: { a: 1 } },
      { at: 1, kind: 'task-failed', state: 'Check', error: 'Boom', cause: 'it broke' },
      { at: 1, kind: 'retried', state: 'Check' },
      { at: 3, kind: 'scheduled', state: 'Check', detail: FUNCTION, input: { a: 1 } },
      { at: 28, kind: 'task-failed', state: 'Check', error: 'Sandbox.Timedout', cause: 'timed out' },
      { at: 28, kind: 'caught', state: 'Check' },
      { at: 28, kind: 'exited', state: 'Check', output: { error: 'Sandbox.Timedout' } },
      { at: 28, kind: 'entered', state: 'Pause', input: {} },
      { at: 33, kind: 'exited', state: 'Pause', output: {} },
      { at: 33, kind: 'entered', state: 'Done', input: {} },
      { at: 33, kind: 'finished', detail: 'FAILED', error: 'X', cause: 'y' },
    ]);
    // Then
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionTimedOut',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(events.map((e) => [e.id, e.previousEventId])).toEqual(events.map((_, i) => [i + 1, i]));
    expect(events[4]).toMatchObject({
      lambdaFunctionFailedEventDetails: { error: 'Boom', cause: 'it broke' },
    });
    expect(events[8]).toMatchObject({
      stateExitedEventDetails: { name: 'Check', output: '{"error":"Sandbox.Timedout"}' },
    });
    expect(events[10]?.timestamp).toBe(Date.UTC(2026, 0, 1) + 33_000);
    expect(events.at(-1)).toMatchObject({ executionFailedEventDetails: { error: 'X', cause: 'y' } });
  });

  it('writes a callback Task with its submission, and a gate that expired as TaskTimedOut', () => {
    // Given the approval gate scheduled, handed over, and timing out
    const events = written([
      { at: 0, kind: 'entered', state: 'Gate', input: {} },
      {
        at: 0,
        kind: 'scheduled',
        state: 'Gate',
        detail: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        input: { token: 't' },
      },
      { at: 1, kind: 'submitted', state: 'Gate', output: { StatusCode: 200 } },
      { at: 3600, kind: 'task-failed', state: 'Gate', error: 'States.Timeout', cause: 'no decision' },
      { at: 3600, kind: 'finished', detail: 'TIMED_OUT', error: 'States.Timeout' },
    ]);
    // Then
    expect(events.map((e) => e.type)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskTimedOut',
      'ExecutionTimedOut',
    ]);
    expect(events[1]).toMatchObject({
      taskScheduledEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        region: 'us-east-1',
        parameters: '{"token":"t"}',
      },
    });
    expect(events[3]).toMatchObject({
      taskSubmittedEventDetails: { resource: 'invoke.waitForTaskToken', output: '{"StatusCode":200}' },
    });
  });
});
