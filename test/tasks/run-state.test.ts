import { describe, expect, it } from 'vitest';
import { approvalKey, knownGoodKey, parseRunStateKey, serviceLockKey } from '../../tasks/run-state.ts';

describe('run-state keys', () => {
  it('reads back what each key builder wrote', () => {
    const lock = serviceLockKey('prod-cluster', 'app-service');
    expect(lock).toBe('ecs:prod-cluster/app-service');
    expect(parseRunStateKey(lock)).toEqual({ kind: 'lock', id: lock });
    expect(parseRunStateKey(knownGoodKey(lock))).toEqual({ kind: 'known-good', id: lock });
    expect(parseRunStateKey(approvalKey('a1b2'))).toEqual({ kind: 'approval', id: 'a1b2' });
  });

  it('reads a key that only contains a kind’s marker as a lock', () => {
    expect(parseRunStateKey('ecs:approval#/known-good#')).toEqual({
      kind: 'lock',
      id: 'ecs:approval#/known-good#',
    });
  });
});
