// Diagnostics, the runbook's "Verify RDS status": the service's database instance, its status and
// pending changes, and RDS's events for it in the last day (failures, low storage, reboots,
// maintenance). A service that names no database has nothing to read here.
import { DescribeDBInstancesCommand, paginateDescribeEvents } from '@aws-sdk/client-rds';
import { consoleUrl } from '../console.ts';
import { aws } from '../errors.ts';
import { allPages } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { IncidentRequestSchema } from './input.ts';
import { section, summarizeSection, when, windowOf } from './sections.ts';

export const DATABASE_EVENTS_MINUTES = 24 * 60;
/** Statuses of an instance that serves as usual: any other stands out. */
const SERVING = new Set(['available', 'backing-up']);
/** RDS event categories that stand out in an incident. */
const TROUBLE = new Set(['failure', 'low storage', 'availability', 'failover', 'recovery']);

export const readDatabase = defineWorker({
  name: 'read-database',
  entry: import.meta.url,
  actions: ['rds:DescribeDBInstances', 'rds:DescribeEvents'],
  input: z.object({ request: IncidentRequestSchema, now: z.iso.datetime({ offset: true }) }),
  run: async ({ request, now }, { rds }) => {
    const { database, region } = request;
    if (!database)
      return section('database', 'The database: the service names none in the config', {
        attention: [],
        lines: [],
        follow: null,
      });
    const follow = consoleUrl(region, `rds/home?region=${region}#database:id=${database};is-cluster=false`);
    const described = await aws('RDS DescribeDBInstances', () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: database })),
    ).catch((error: unknown) => {
      if (error instanceof Error && error.name === 'DBInstanceNotFoundFault') return null;
      throw error;
    });
    const instance = described?.DBInstances?.[0];
    if (!instance)
      return section('database', `The database (${database})`, {
        attention: [`${database} does not exist`],
        lines: [],
        follow,
      });
    const { start, end, endMs } = windowOf(now, DATABASE_EVENTS_MINUTES);
    const { items: events } = await allPages(
      'RDS DescribeEvents',
      paginateDescribeEvents(
        { client: rds, pageSize: 100 },
        { SourceType: 'db-instance', SourceIdentifier: database, StartTime: start, EndTime: end },
      ),
      (page) => page.Events,
    );
    const status = instance.DBInstanceStatus ?? 'unknown';
    const pending = Object.entries(instance.PendingModifiedValues ?? {}).filter(([, v]) => v !== undefined);
    const newest = [...events].reverse();
    const attention = [
      ...(SERVING.has(status) ? [] : [`${database} is ${shown(status)}, not available`]),
      ...newest
        .filter((e) => (e.EventCategories ?? []).some((c) => TROUBLE.has(c)))
        .slice(0, 3)
        .map((e) => `${when(e.Date, endMs)} ${shown(e.Message)}`),
    ];
    const lines = [
      `${database}: ${shown(status)}, ${instance.DBInstanceClass ?? ''}, ${instance.MultiAZ ? 'Multi-AZ' : 'Single-AZ'}, ${instance.Engine ?? ''} ${instance.EngineVersion ?? ''}`,
      ...(pending.length > 0
        ? [`pending: ${pending.map(([k, v]) => `${k}=${shown(String(v))}`).join(', ')}`]
        : []),
      ...newest.map((e) => `${when(e.Date, endMs)} ${shown(e.Message)}`),
    ];
    return section('database', `The database (${database}), events of the last day`, {
      attention,
      lines,
      follow,
    });
  },
  summarize: summarizeSection,
});

export const handler = lambdaHandler(readDatabase);
