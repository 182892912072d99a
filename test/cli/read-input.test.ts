// The CLI's execution input: standard input, inline JSON or a file, a byte-order mark accepted,
// a syntax error reported as one, and input StartExecution would refuse refused before anything runs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { ExecutionInputRefused, rehearse } from '../../rehearsal/engine.ts';
import { MAX_INPUT_BYTES, MAX_INPUT_DEPTH, nestingDepth } from '../../rehearsal/execution-input.ts';
import { readInput } from '../../scripts/usage.ts';
import { config, definitionsOnce } from '../statemachines/support.ts';

const dir = mkdtempSync(join(tmpdir(), 'runbook-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('readInput', () => {
  it('reads inline JSON, a file, and standard input for -, with or without a byte-order mark', () => {
    // Given the same input three ways, two of them behind a UTF-8 BOM
    const text = '{"environment":"prod","service":"app"}';
    // When / Then each reads as the same value
    expect(readInput(text)).toEqual({ environment: 'prod', service: 'app' });
    expect(readInput(file('bom.json', `\uFEFF${text}`))).toEqual({ environment: 'prod', service: 'app' });
    expect(readInput('-', { stdin: () => `\uFEFF${text}` })).toEqual({ environment: 'prod', service: 'app' });
    expect(readInput('null')).toBeNull();
  });

  it('reports inline JSON with a syntax error as a JSON error at its position, not as a missing file', () => {
    // Given inline JSON with a trailing comma / When read / Then the JSON error and its position are named
    expect(() => readInput('{"environment":"prod",}')).toThrow(
      /the inline --input is not JSON: .*position 22/,
    );
    expect(() => readInput('-', { stdin: () => '{' })).toThrow(/standard input is not JSON/);
    // And a name that is no JSON and no file is a missing file
    expect(() => readInput(join(dir, 'nope.json'))).toThrow(/cannot read input file .*nope\.json: ENOENT/);
  });

  it('refuses an input above 256 KiB with its size and the limit', () => {
    // Given an input one reason long enough to pass StartExecution's limit
    const big = JSON.stringify({ reason: 'x'.repeat(MAX_INPUT_BYTES) });
    // When / Then
    expect(() => readInput(big)).toThrow(
      `the input is ${(MAX_INPUT_BYTES + 13).toLocaleString('en-US')} bytes; StartExecution accepts at most 262,144 (256 KiB)`,
    );
  });

  it("refuses an input that fits StartExecution but not beside the catalogue in the first step's state data", () => {
    // Given an input 1,000 bytes under 256 KiB, and 2,000 bytes the first step carries besides it
    const input = JSON.stringify({ reason: 'x'.repeat(MAX_INPUT_BYTES - 1000 - 13) });
    // When / Then it is refused with both figures, and accepted with no reserve
    expect(() => readInput(input, { reserved: 2000 })).toThrow(
      "the input is 261,144 bytes; with the 2,000 bytes of catalogue and execution facts its first step carries, at most 260,144 fit in Step Functions' 256 KiB of state data",
    );
    expect(() => readInput(input)).not.toThrow();
  });

  it('refuses 3,000-deep nesting cleanly, without a stack overflow', () => {
    // Given JSON nested 3,000 levels deep, inline and in a file
    // When / Then each is refused naming the limit
    const refused = `the input nests more than ${MAX_INPUT_DEPTH} levels deep`;
    expect(() => readInput(deep(3000))).toThrow(refused);
    expect(() => readInput(file('deep.json', deep(3000)))).toThrow(refused);
    // And the limit itself is accepted
    expect(nestingDepth(JSON.parse(deep(MAX_INPUT_DEPTH)))).toBe(MAX_INPUT_DEPTH);
    expect(() => readInput(deep(MAX_INPUT_DEPTH))).not.toThrow();
  });
});

describe('rehearse', () => {
  it('refuses an input StartExecution would refuse, before any run starts', async () => {
    // Given an input above the limit / When rehearsed / Then no execution starts
    const big = { environment: 'prod', service: 'app', reason: 'x'.repeat(MAX_INPUT_BYTES) };
    await expect(
      rehearse({
        config,
        definitions: definitionsOnce(),
        procedure: 'production-deployment',
        input: big,
        scenario: 'happy',
        faults: {},
        approver: 'approve',
      }),
    ).rejects.toThrow(ExecutionInputRefused);
  });
});

describe('loadConfig', () => {
  it('accepts a config file that starts with a UTF-8 byte-order mark', () => {
    // Given the example config behind a BOM / When loaded / Then it is the same config
    const text = readFileSync(new URL('../../runbook.config.json', import.meta.url), 'utf8');
    expect(loadConfig(file('bom-config.json', `\uFEFF${text}`))).toEqual(loadConfig());
  });
});
