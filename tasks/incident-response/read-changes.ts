// Diagnostics, the runbook's "Check recent changes": CloudTrail's write events of the last two hours
// that touch the service (ECS calls naming its cluster or service, Application Auto Scaling's of its
// scalable target, ELB's of its target group, RDS's of its database) and security group changes
// (any: which groups the service uses is not read here). LookupEvents takes one attribute: writes
// (ReadOnly=false), paged, at most MAX_PAGES pages; CloudTrail delivers within minutes, so the
// newest changes may be missing, and the section says so.
import { type Event, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import { consoleUrl } from '../console.ts';
import { allPages } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { IncidentRequestSchema } from './input.ts';
import { section, summarizeSection, when, windowOf } from './sections.ts';

/** How far back the runbook looks for changes. */
export const CHANGES_MINUTES = 120;

/** Whether a write event concerns the service, by its source and what its request names. */
function concerns(event: Event, names: readonly string[]): boolean {
  const source = event.EventSource ?? '';
  if (source === 'ec2.amazonaws.com') return /SecurityGroup/.test(event.EventName ?? '');
  if (
    ![
      'ecs.amazonaws.com',
      'application-autoscaling.amazonaws.com',
      'elasticloadbalancing.amazonaws.com',
      'rds.amazonaws.com',
    ].includes(source)
  )
    return false;
  const text = event.CloudTrailEvent ?? '';
  return names.some((name) => text.includes(name));
}

/** The fields of a request worth a line: what an UpdateService sets, say. */
function requested(event: Event): string {
  try {
    const record = JSON.parse(event.CloudTrailEvent ?? '{}') as { requestParameters?: unknown };
    const params = record.requestParameters;
    if (!params || typeof params !== 'object') return '';
    const keep = Object.entries(params as Record<string, unknown>).filter(
      ([key, value]) => typeof value !== 'object' && !['cluster', 'service'].includes(key),
    );
    return keep.map(([key, value]) => `${key}=${String(value)}`).join(', ');
  } catch {
    return '';
  }
}

export const readChanges = defineWorker({
  name: 'read-changes',
  entry: import.meta.url,
  actions: ['cloudtrail:LookupEvents'],
  input: z.object({ request: IncidentRequestSchema, now: z.iso.datetime({ offset: true }) }),
  run: async ({ request, now }, { cloudtrail }) => {
    const { start, end, endMs } = windowOf(now, CHANGES_MINUTES);
    const { items, truncated } = await allPages(
      'CloudTrail LookupEvents',
      paginateLookupEvents(
        { client: cloudtrail, pageSize: 50 },
        {
          LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }],
          StartTime: start,
          EndTime: end,
        },
      ),
      (page) => page.Events,
    );
    const names = [
      `service/${request.cluster}/${request.serviceName}`,
      `"${request.serviceName}"`,
      request.targetGroupArn,
      ...(request.database ? [`"${request.database}"`] : []),
    ];
    const changes = items.filter((e) => concerns(e, names));
    const lines = changes.map((e) => {
      const params = requested(e);
      return `${when(e.EventTime, endMs)} ${shown(e.EventName)} by ${shown(e.Username)}${params ? `: ${shown(params)}` : ''}`;
    });
    const updates = changes.filter(
      (e) => e.EventSource === 'ecs.amazonaws.com' && e.EventName === 'UpdateService',
    );
    const attention = [
      ...(updates.length > 0
        ? [
            `${updates.length} UpdateService call${updates.length === 1 ? '' : 's'} in the last ${CHANGES_MINUTES} minutes, the latest ${when(updates[0]?.EventTime, endMs)} by ${shown(updates[0]?.Username)}`,
          ]
        : []),
      ...(changes.length > updates.length
        ? [
            `${changes.length - updates.length} other changes to the service, its scaler, target group or database`,
          ]
        : []),
    ];
    return section(
      'changes',
      `Changes in the last ${CHANGES_MINUTES} minutes (CloudTrail, which delivers within minutes: the latest may be missing)`,
      {
        attention,
        lines: [
          ...(truncated ? [`(only the latest ${items.length} write events of the account were read)`] : []),
          ...(lines.length > 0 ? lines : ['no write event concerning the service was found']),
        ],
        follow: consoleUrl(
          request.region,
          `cloudtrailv2/home?region=${request.region}#/events?ReadOnly=false`,
        ),
      },
    );
  },
  summarize: summarizeSection,
});

export const handler = lambdaHandler(readChanges);
