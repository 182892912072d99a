// The errors the state machines catch by name: their names, and which AWS errors count as transient.
import { describe, expect, it } from 'vitest';
import * as errors from '../../tasks/errors.ts';
import { errorName, isTransient, rethrowAws, TransientAwsError } from '../../tasks/errors.ts';

const sdkError = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, ...extra });

describe('error classes', () => {
  it('are named as the state machines match them: the class name, spelled out', () => {
    // Given every error class of the module / When each is named / Then the name is the class's own
    const classes = Object.entries(errors).filter(
      ([name, value]) => typeof value === 'function' && /^[A-Z]/.test(name) && name !== 'RunbookError',
    ) as [string, errors.RunbookErrorClass][];
    expect(classes.length).toBeGreaterThanOrEqual(14);
    for (const [name, error] of classes) expect(errorName(error)).toBe(name);
  });
});

describe('isTransient', () => {
  it('is true for throttling and server faults, by name, by code, or by what the SDK says', () => {
    expect(isTransient(sdkError('ThrottlingException'))).toBe(true);
    expect(isTransient(sdkError('SomethingElse', { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransient(sdkError('SomethingElse', { $fault: 'server' }))).toBe(true);
    expect(isTransient(sdkError('SomethingElse', { $retryable: { throttling: true } }))).toBe(true);
  });

  it('is false for a client error, and for anything that is not an Error', () => {
    expect(isTransient(sdkError('AccessDeniedException', { $fault: 'client' }))).toBe(false);
    expect(isTransient(sdkError('ValidationException'))).toBe(false);
    expect(isTransient({ name: 'ThrottlingException' })).toBe(false);
    expect(isTransient('ThrottlingException')).toBe(false);
  });
});

describe('rethrowAws', () => {
  it('turns a transient error into TransientAwsError saying what failed, keeping the original as its cause', () => {
    const original = sdkError('ThrottlingException');
    try {
      rethrowAws(original, 'ECS DescribeServices');
    } catch (error) {
      expect(error).toBeInstanceOf(TransientAwsError);
      expect((error as Error).message).toBe(
        'ECS DescribeServices: ThrottlingException: ThrottlingException happened',
      );
      expect((error as Error).cause).toBe(original);
    }
    expect.assertions(3);
  });

  it('rethrows any other error as it is, for the Catch that names it', () => {
    const original = sdkError('ServiceNotFoundException');
    expect(() => rethrowAws(original, 'ECS DescribeServices')).toThrow(original);
  });
});
