// The timeline's words for a step: its worker's summary of what it returned, a service
// integration's result, or nothing where the result is discarded.
import { describe, expect, it } from 'vitest';
import { PLAIN, summarize, timelinePrinter } from '../../scripts/timeline.ts';
import { definitionsOnce } from '../statemachines/support.ts';

const stateOf = (procedure: string, name: string) => {
  const state = definitionsOnce().machines[procedure]?.asl.States[name];
  if (!state) throw new Error(`no state ${name} in ${procedure}`);
  return state as Record<string, unknown>;
};

describe('timeline summaries', () => {
  it("undoes a ResultSelector that only wraps the worker's output, then asks the worker", () => {
    // Given Validate Input, whose ResultSelector wraps the request as {request}
    const state = stateOf('production-deployment', 'Validate Input');
    const output = {
      request: { environment: 'prod', service: 'app', cluster: 'c1', serviceName: 'app-service' },
    };
    // When its exit is summarized / Then the validation worker's words come out
    expect(summarize(state, output, definitionsOnce())).toBe('prod/app is c1/app-service');
  });

  it('reads the result where ResultPath placed it', () => {
    // Given a poll round whose result lands in $.rollout
    const state = stateOf('production-deployment', 'Check Rollout');
    const output = {
      rollout: { rolloutState: 'IN_PROGRESS', running: 1, desired: 3, done: false, attempt: 2 },
    };
    // When / Then
    expect(summarize(state, output, definitionsOnce())).toBe('IN_PROGRESS, 1/3 running');
  });

  it('says nothing of a discarded result, and names a nested execution by its result', () => {
    // Given Acquire Lock (ResultPath null) and Roll Back (a startExecution.sync integration)
    const lock = stateOf('production-deployment', 'Acquire Lock');
    const rollBack = stateOf('production-deployment', 'Roll Back');
    // When / Then
    expect(summarize(lock, { request: {} }, definitionsOnce())).toBe('');
    expect(
      summarize(
        rollBack,
        { rollback: { executionArn: 'arn:x/rollback-1', status: 'SUCCEEDED' } },
        definitionsOnce(),
      ),
    ).toBe('rollback-1 SUCCEEDED');
  });

  it('shows a caught error whose cause came from input harmlessly', () => {
    // Given a rejection whose cause quotes an environment name carrying an ESC sequence
    const lines: string[] = [];
    const print = timelinePrinter(definitionsOnce(), (line) => lines.push(line), PLAIN);
    const execution = 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:x';
    const cause = JSON.stringify({
      errorType: 'InvalidInput',
      errorMessage: "environment: 'p\u001b[2Jrod' is not configured",
    });
    // When it is printed
    print({
      at: 1,
      depth: 0,
      kind: 'failed',
      execution,
      state: 'Validate Input',
      error: 'InvalidInput',
      cause,
    });
    print({ at: 1, depth: 0, kind: 'caught', execution, state: 'Validate Input' });
    // Then the ESC is shown as an escape, not sent to the terminal
    expect(lines).toEqual([
      "  +00:01  ✗ Validate Input  InvalidInput: environment: 'p\\x1b[2Jrod' is not configured",
    ]);
  });
});
