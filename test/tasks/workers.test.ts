// Every worker as the stack and the rehearsal find it: named after its module, and declaring
// exactly the IAM actions of the AWS commands it (or a helper it imports) sends, so that a worker
// granted too little fails here and not with AccessDenied on AWS.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Worker } from '../../tasks/worker.ts';

const TASKS = fileURLToPath(new URL('../../tasks/', import.meta.url));
/** The IAM prefix of each SDK client package the workers use. */
const PREFIX: Record<string, string> = {
  ecs: 'ecs',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  rds: 'rds',
  cloudwatch: 'cloudwatch',
  sns: 'sns',
  dynamodb: 'dynamodb',
};
/** Actions a command needs besides its own (the Service Authorization Reference's dependent actions). */
const DEPENDENT: Record<string, string[]> = {
  // Passing the task and execution roles, and keeping the revision's tags.
  'ecs:RegisterTaskDefinition': ['iam:PassRole', 'ecs:TagResource'],
  // The snapshot is created with tags.
  'rds:CreateDBSnapshot': ['rds:AddTagsToResource'],
};

const modules = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** The IAM actions of the commands a module sends, and those of the helpers it imports from tasks/. */
function actionsSentBy(file: string, seen = new Set<string>()): Set<string> {
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const [, names, client] of text.matchAll(/import \{([^}]*)\} from '@aws-sdk\/client-([a-z0-9-]+)'/g)) {
    for (const name of (names ?? '').split(',').map((n) => n.trim().replace(/^type /, ''))) {
      if (name.endsWith('Command') && text.includes(`new ${name}(`))
        found.add(`${PREFIX[client ?? '']}:${name.replace(/Command$/, '')}`);
    }
  }
  for (const [, path] of text.matchAll(/from '(\.[^']+\.ts)'/g)) {
    const helper = resolve(dirname(file), path ?? '');
    if (!seen.has(helper) && !readFileSync(helper, 'utf8').includes('defineWorker('))
      for (const action of actionsSentBy(helper, seen)) found.add(action);
  }
  return found;
}

const workers = await Promise.all(
  modules(TASKS)
    .filter((file) => readFileSync(file, 'utf8').includes('= defineWorker('))
    .map(async (file) => {
      const exported = Object.values(await import(pathToFileURL(file).href)) as unknown[];
      const worker = exported.find((v): v is Worker => typeof v === 'object' && v !== null && 'run' in v);
      if (!worker) throw new Error(`${file} defines no worker`);
      return [relative(TASKS, file), file, worker] as const;
    }),
);

describe('workers', () => {
  it('are all found', () => {
    expect(workers.length).toBeGreaterThanOrEqual(19);
  });

  it.each(workers)('%s is named after its module and names it as its entry', (_path, file, worker) => {
    expect(worker.name).toBe(basename(file, '.ts'));
    expect(fileURLToPath(worker.entry)).toBe(file);
  });

  it.each(workers)('%s declares exactly the IAM actions its AWS calls need', (_path, file, worker) => {
    // Given the commands the module (and the helpers it imports) sends
    const sent = actionsSentBy(file);
    const needed = new Set([...sent, ...[...sent].flatMap((a) => DEPENDENT[a] ?? [])]);
    // When / Then its declared actions are those, no more and no fewer
    expect([...worker.actions].sort()).toEqual([...needed].sort());
  });
});
