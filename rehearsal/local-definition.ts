// The local copy of a synthesized definition, identical except for two things the local engine
// cannot do faithfully:
// - every Wait state becomes a Task the rehearsal serves by moving the simulated clock by the
//   Wait's duration (nothing sleeps; resources change state at the right simulated moments);
// - a Task's TimeoutSecondsPath is dropped: the engine resolves it against the Task's Parameters
//   instead of its input, and its timer runs on the wall clock. The rehearsal's handler for such a
//   Task (the approval gate) reads the timeout from its payload and raises States.Timeout itself.
import type { Asl } from './definitions.ts';

/** The Resource the clock-moving Tasks carry (the local engine validates Resource ARNs). */
export const CLOCK_RESOURCE = 'arn:aws:lambda:us-east-1:123456789012:function:rehearsal-clock';

export interface WaitSpec {
  readonly seconds?: number;
  readonly secondsPath?: string;
}

export function localDefinition(asl: Asl): { asl: Asl; waits: Record<string, WaitSpec> } {
  const copy = structuredClone(asl);
  const waits: Record<string, WaitSpec> = {};
  for (const [name, state] of Object.entries(copy.States)) {
    if (state.Type !== 'Wait') continue;
    if (state.Timestamp !== undefined || state.TimestampPath !== undefined) {
      throw new Error(
        `Wait state '${name}' waits until a timestamp; the rehearsal supports Seconds and SecondsPath`,
      );
    }
    waits[name] =
      state.Seconds !== undefined ? { seconds: state.Seconds } : { secondsPath: state.SecondsPath };
    const { Type: _type, Seconds: _s, SecondsPath: _sp, ...rest } = state;
    copy.States[name] = {
      ...rest,
      Type: 'Task',
      Resource: CLOCK_RESOURCE,
      ...(state.SecondsPath && { Parameters: { 'seconds.$': state.SecondsPath, 'input.$': '$' } }),
    };
  }
  for (const [name, state] of Object.entries(copy.States)) {
    if (state.Type === 'Task' && state.TimeoutSecondsPath !== undefined) {
      const { TimeoutSecondsPath: _path, ...rest } = state;
      copy.States[name] = rest;
    }
  }
  return { asl: copy, waits };
}
