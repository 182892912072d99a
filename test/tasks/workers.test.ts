// Every worker as the stack and the rehearsal find it: named after its module, and declaring
// exactly the IAM actions of the AWS commands it (or a helper it imports) sends, so that a worker
// granted too little fails here and not with AccessDenied on AWS.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEPENDENT } from '../../rehearsal/iam/requests.ts';
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
  sfn: 'states',
  cloudtrail: 'cloudtrail',
  s3: 's3',
  ec2: 'ec2',
  'cloudwatch-logs': 'logs',
  'application-auto-scaling': 'application-autoscaling',
};
/**
 * Commands whose IAM actions are not named after them (the Service Authorization Reference):
 * HeadObject is allowed by s3:GetObject, and answers a missing key with 404 only to a caller that
 * may also s3:ListBucket (else 403, which the archive could not tell from "not allowed").
 */
const ACTIONS_OF: Record<string, string[]> = {
  's3:HeadObject': ['s3:GetObject', 's3:ListBucket'],
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
      // A command it sends, or the SDK's paginator of one (paginateDescribeVpcs sends DescribeVpcs).
      const command =
        name.endsWith('Command') && text.includes(`new ${name}(`)
          ? name.replace(/Command$/, '')
          : name.startsWith('paginate') && text.includes(`${name}(`)
            ? name.slice('paginate'.length)
            : null;
      if (command)
        for (const action of ACTIONS_OF[`${PREFIX[client ?? '']}:${command}`] ?? [
          `${PREFIX[client ?? '']}:${command}`,
        ])
          found.add(action);
    }
  }
  for (const [, path] of text.matchAll(/from '(\.[^']+\.ts)'/g)) {
    const helper = resolve(dirname(file), path ?? '');
    if (!seen.has(helper) && !readFileSync(helper, 'utf8').includes('defineWorker('))
      for (const action of actionsSentBy(helper, seen)) found.add(action);
  }
  // Another worker's module counts where this one runs that worker (e.g. updateService.run).
  for (const [, names, path] of text.matchAll(/import \{([^}]*)\} from '(\.[^']+\.ts)'/g)) {
    const helper = resolve(dirname(file), path ?? '');
    const runsIt = (names ?? '').split(',').some((n) => text.includes(`${n.trim()}.run(`));
    if (runsIt && !seen.has(helper)) for (const action of actionsSentBy(helper, seen)) found.add(action);
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

  it('word their results for a person following the run', () => {
    // Given a result of each worker that has words for it
    const td = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/prod-app:${n}`;
    const request = { environment: 'prod', service: 'app', cluster: 'c1', serviceName: 'app-service' };
    const cases: Record<string, [unknown, string]> = {
      'validate-deployment-input': [request, 'prod/app is c1/app-service'],
      'validate-rollback-input': [request, 'prod/app is c1/app-service'],
      'capture-baseline': [
        { taskDefinition: td(41), desiredCount: 3, runningCount: 2, healthyTargets: 1 },
        'running prod-app:41, 2/3 tasks, 1 healthy targets',
      ],
      'register-task-definition': [
        { taskDefinition: td(42), from: td(41) },
        'prod-app:42 (from prod-app:41)',
      ],
      'update-service': [{ taskDefinition: td(42), desiredCount: 4 }, 'now prod-app:42, desired 4'],
      'check-deployment': [
        { rolloutState: 'IN_PROGRESS', running: 1, desired: 3, healthy: 1 },
        'IN_PROGRESS, 1/3 running, 1/3 new targets healthy',
      ],
      'create-snapshot': [
        { snapshotId: 'pre-deploy-app-1', status: 'creating' },
        'pre-deploy-app-1 creating',
      ],
      'check-snapshot': [{ status: 'creating', progress: 40 }, 'creating 40%'],
      'check-alarms': [{ done: false, elapsedSeconds: 60 }, 'watched alarms quiet'],
      'find-known-good': [{ taskDefinition: td(40) }, 'known-good prod-app:40'],
      notify: [{ event: 'started', severity: 'info' }, 'started notice sent (info)'],
      'request-approval': [
        { approvalId: 'a1b2', expiresAt: '2026-11-30T09:00:00.000Z' },
        'approval a1b2 requested, expires 2026-11-30T09:00:00.000Z',
      ],
      'verify-approval': [{ approvalId: 'a1b2', approvers: ['bob', 'carol'] }, 'approved by bob, carol'],
      'remind-approvals': [
        { reminded: 1, paged: 2, closed: 3 },
        '1 reminded, 2 paged, 3 closed (their runs ended)',
      ],
      'approval-api': [{ statusCode: 409, headers: {}, body: '' }, 'HTTP 409'],
      'modify-instance': [
        { dbInstance: 'db-a', change: 'renamed from db', status: 'renaming', already: false },
        'db-a: renamed from db (renaming)',
      ],
      'redeploy-services': [
        { services: [{ name: 'app' }, { name: 'worker' }] },
        'new deployments of app, worker',
      ],
      'check-redeployments': [
        { services: [{ name: 'app', rolloutState: 'IN_PROGRESS', running: 1, desired: 3 }] },
        'app IN_PROGRESS 1/3',
      ],
      'check-upgrade-target': [
        { change: 'postgres 15.4 on db.a -> 15.7 on db.b, now' },
        'postgres 15.4 on db.a -> 15.7 on db.b, now',
      ],
      'check-maintenance': [
        { status: 'upgrading', runs: { engineVersion: '15.4', instanceClass: 'db.a' } },
        'upgrading, 15.4 on db.a',
      ],
      'validate-rds-maintenance-input': [
        {
          environment: 'prod',
          service: 'main',
          dbInstance: 'db',
          engineVersion: '15.7',
          instanceClass: null,
          apply: 'now',
        },
        'prod/main is db; 15.7, now',
      ],
      'validate-db-restore-input': [
        { environment: 'prod', service: 'main', dbInstance: 'db', restoredId: 'db-restored-1' },
        'prod/main is db; restoring into db-restored-1',
      ],
    };
    // When each is worded / Then the words are its own
    for (const [name, [output, words]] of Object.entries(cases)) {
      const worker = workers.find(([, , w]) => w.name === name)?.[2];
      expect(worker?.summarize?.(output as never), name).toBe(words);
    }
    const release = workers.find(([, , w]) => w.name === 'release-lock')?.[2];
    expect([
      release?.summarize?.({ released: true } as never),
      release?.summarize?.({ released: false } as never),
    ]).toEqual(['released', 'not held by this run']);
    const byName = (name: string) => workers.find(([, , w]) => w.name === name)?.[2];
    expect(
      byName('modify-instance')?.summarize?.({
        dbInstance: 'd',
        change: 'c',
        status: 's',
        already: true,
      } as never),
    ).toBe('d: c (already) (s)');
    expect(
      byName('time-until-window')?.summarize?.({
        inWindow: false,
        startsAt: 'Sunday',
        waitSeconds: 9000,
      } as never),
    ).toBe('the window starts Sunday, in 2.5 h');
    expect(byName('time-until-window')?.summarize?.({ inWindow: true } as never)).toBe(
      'inside the maintenance window: at once',
    );
    expect(byName('redeploy-services')?.summarize?.({ services: [] } as never)).toBe(
      'new deployments of no service',
    );
    expect(byName('check-redeployments')?.summarize?.({ services: [] } as never)).toBe('no service');
    // The health check's checks, its report and its notice
    const findings = ['pass', 'warn', 'fail', 'fail'].map((verdict) => ({ verdict }));
    for (const name of [
      'check-network',
      'check-databases',
      'check-services',
      'check-load-balancers',
      'check-firing-alarms',
      'check-logs',
    ])
      expect(byName(name)?.summarize?.({ check: 'logs', findings } as never), name).toBe(
        'logs: 1 pass, 1 warn, 2 fail',
      );
    expect(
      byName('report-health')?.summarize?.({
        verdict: 'fail',
        counts: { pass: 5, warn: 1, fail: 2 },
      } as never),
    ).toBe('fail: 2 fail, 1 warn, 5 pass');
    expect(byName('notify-findings')?.summarize?.({ severity: 'page', findings: 3 } as never)).toBe(
      'findings notice sent (page, 3 findings)',
    );
    expect(
      byName('validate-health-check-input')?.summarize?.({
        environment: 'prod',
        services: [1, 2],
        databases: [1],
        logs: [],
      } as never),
    ).toBe('prod: 2 services, 1 databases, 0 log groups');
    const api = workers.find(([, , w]) => w.name === 'approval-api')?.[2];
    expect(api?.summarize?.({ redelivered: { delivered: 1, ended: 2, failed: 3 } } as never)).toBe(
      'redelivered: 1 delivered, 2 ended, 3 failed',
    );
  });
});
