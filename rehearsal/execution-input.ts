// What StartExecution accepts as an execution's input, checked before a rehearsal starts as AWS
// checks it before a run starts: at most 256 KiB of UTF-8 JSON. The runbook also refuses input
// nested deeper than any procedure's schema reads: Step Functions documents no depth limit, and
// deep nesting overflows the stack of the tools that copy and walk it (the local engine among them).

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

/** Why StartExecution (or the runbook) would refuse this input, or undefined if it would not. */
export function executionInputProblem(input: unknown): string | undefined {
  const depth = nestingDepth(input);
  if (depth > MAX_INPUT_DEPTH)
    return `the input nests more than ${MAX_INPUT_DEPTH} levels deep; the runbook accepts at most ${MAX_INPUT_DEPTH}`;
  const bytes = Buffer.byteLength(JSON.stringify(input) ?? '', 'utf8');
  if (bytes > MAX_INPUT_BYTES)
    return `the input is ${bytes.toLocaleString('en-US')} bytes; StartExecution accepts at most ${MAX_INPUT_BYTES.toLocaleString('en-US')} (256 KiB)`;
  return undefined;
}
