// The architecture as the imports draw it: dependencies point one way (tasks <- statemachines <-
// infra <- rehearsal <- scripts), and no module imports itself back through another.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LAYERS = ['tasks', 'statemachines', 'infra', 'rehearsal', 'local', 'scripts'] as const;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each module's relative imports (type-only ones included: they are dependencies too), as repository paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of LAYERS.flatMap(sources)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    // Static imports of modules and of JSON (examples/), and dynamic ones with a literal path.
    const targets = [...text.matchAll(/\bfrom '(\.[^']+)'|\bimport '(\.[^']+)'|\bimport\('(\.[^']+)'\)/g)]
      .map((m) => m[1] ?? m[2] ?? m[3] ?? '')
      .filter((t) => t.endsWith('.ts') || t.endsWith('.json'))
      .map((t) => relative(ROOT, resolve(ROOT, dirname(file), t)));
    graph.set(file, targets);
  }
  return graph;
}

const layerOf = (file: string) => LAYERS.indexOf(file.split('/')[0] as (typeof LAYERS)[number]);

describe('the import graph', () => {
  const graph = importGraph();

  it('points one way: no layer imports a layer above it', () => {
    // Given every module of the five layers / When its imports are read
    const upward = [...graph].flatMap(([file, targets]) =>
      targets.filter((t) => layerOf(t) > layerOf(file)).map((t) => `${file} -> ${t}`),
    );
    // Then none reaches up (tasks knows nothing of the rest, nothing below knows the rehearsal)
    expect(graph.size).toBeGreaterThan(50);
    expect(upward).toEqual([]);
  });

  it('has no circle', () => {
    // Given the graph / When it is walked depth-first / Then no module is reached from itself
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) visit(target, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('has the workers take zod through tasks/zod.ts only, so a bundle keeps only what it uses', () => {
    // Given every module of tasks/ / When its imports of zod itself are read
    const direct = sources('tasks').filter(
      (file) =>
        file !== 'tasks/zod.ts' && /from 'zod(\/[^']*)?'/.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    // Then none imports zod's own `z` (which bundles all of zod and its 40 locales into a worker)
    expect(direct).toEqual([]);
  });
});
