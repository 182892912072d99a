// The tests mock only SDK clients whose stubs test/setup.ts removes after each file: a mock it does
// not know would stay on its class for every later file of the worker.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MOCKED_CLIENTS } from '../mocked-clients.ts';

const TEST = fileURLToPath(new URL('../', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('mocked SDK clients', () => {
  it('every client class a test mocks is one test/setup.ts unstubs after each file', () => {
    const mocked = new Set(
      files(TEST).flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/mockClient\((\w+)\)/g)].map((m) => m[1]),
      ),
    );
    expect(mocked.size).toBeGreaterThan(5);
    const known = new Set(MOCKED_CLIENTS.map((c) => c.name));
    expect([...mocked].filter((name) => !known.has(name ?? ''))).toEqual([]);
  });
});
