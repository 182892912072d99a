// What StartExecution accepts as an execution's input, checked before a rehearsal starts as AWS
// checks it before a run starts: at most 256 KiB of UTF-8 JSON. The runbook also refuses input
// nested deeper than any procedure's schema reads: Step Functions documents no depth limit, and
// deep nesting overflows the stack of the tools that copy and walk it (the local engine among them).
import { type Config, catalogueOf } from '../infra/config.ts';

/** StartExecution's input limit, in bytes of UTF-8. */
export const MAX_INPUT_BYTES = 262_144;
/** Far deeper than any procedure's input (three levels today), far shallower than a stack overflow. */
export const MAX_INPUT_DEPTH = 64;

/** How deep a JSON value nests (a scalar is 0), walked without recursion. */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const todo: [unknown, number][] = [[value, 0]];
  while (todo.length > 0) {
    const [item, depth] = todo.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_INPUT_DEPTH) return deepest;
    for (const child of Object.values(item)) todo.push([child, depth + 1]);
  }
  return deepest;
}

/** Room the first step's payload takes besides the input: its execution facts and field names. */
const FIRST_STEP_OVERHEAD_BYTES = 1024;

/**
 * Bytes of the first step's payload that are not the input: every procedure's Validate Input
 * carries the catalogue with it, and Step Functions refuses a state's data above 256 KiB
 * (States.DataLimitExceeded, which no Catch handles): an input that fits StartExecution may not
 * fit there.
 */
export const firstStepReserve = (config: Config) =>
  // The catalogue travels as JSON text (run-start.ts): its quotes escaped once more in the payload.
  Buffer.byteLength(JSON.stringify(JSON.stringify(catalogueOf(config))), 'utf8') + FIRST_STEP_OVERHEAD_BYTES;

const bytes = (n: number) => n.toLocaleString('en-US');

/**
 * Why StartExecution (or the runbook) would refuse this input, or undefined if it would not;
 * `reserved`: bytes of the first step's payload the input must leave room for.
 */
export function executionInputProblem(input: unknown, reserved = 0): string | undefined {
  const depth = nestingDepth(input);
  if (depth > MAX_INPUT_DEPTH)
    return `the input nests more than ${MAX_INPUT_DEPTH} levels deep; the runbook accepts at most ${MAX_INPUT_DEPTH}`;
  const size = Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
  if (size > MAX_INPUT_BYTES)
    return `the input is ${bytes(size)} bytes; StartExecution accepts at most ${bytes(MAX_INPUT_BYTES)} (256 KiB)`;
  if (size + reserved > MAX_INPUT_BYTES)
    return `the input is ${bytes(size)} bytes; with the ${bytes(reserved)} bytes of catalogue and execution facts its first step carries, at most ${bytes(MAX_INPUT_BYTES - reserved)} fit in Step Functions' 256 KiB of state data`;
  return undefined;
}
