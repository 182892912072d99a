// The input edge of every procedure: whatever the console sends, a run either validates it or ends
// in its first step as InvalidInput, naming the problem, with nothing changed and no lock taken.
import { describe, expect, it } from 'vitest';
import { PROCEDURES } from '../../statemachines/registry.ts';
import { run } from './support.ts';

const NOT_OBJECTS: [string, unknown][] = [
  ['null', null],
  ['a string', 'prod'],
  ['a number', 42],
  ['a list', [{ environment: 'prod' }]],
  ['true', true],
];

describe.each(PROCEDURES.map((p) => [p.name] as const))('%s input edge', (procedure) => {
  it.each(NOT_OBJECTS)(
    'refuses %s as the whole input with InvalidInput and changes nothing',
    async (_, input) => {
      // Given an execution input that is not an object
      // When it runs
      const result = await run(procedure, input);
      // Then the first step refuses it, naming the input, and nothing is changed or locked
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('InvalidInput');
      expect(result.cause).toContain('(input): ');
      expect(result.changes).toEqual([]);
      expect(result.account.locks).toEqual([]);
    },
  );
});
