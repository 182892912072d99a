// Diagnostics, the runbook's "Check recent changes": CloudTrail's write events of the last two hours
// that touch the service (see `concerns`). LookupEvents takes one attribute: the account's writes
// (ReadOnly=false), newest first, paged, at most MAX_PAGES pages of 50 (a busy account may write
// more in two hours: then what stands out says older changes may be missing). CloudTrail delivers
// within minutes, so the newest changes may be missing too, and the section's title says so.
import { type Event, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import { consoleUrl } from '../console.ts';
import { allPages } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type IncidentRequest, IncidentRequestSchema } from './input.ts';
import { section, summarizeSection, when, windowOf } from './sections.ts';

/** How far back the runbook looks for changes. */
export const CHANGES_MINUTES = 120;

/** An ECS reference (a name or an ARN ending in /<name>) to `name`. */
const names = (ref: unknown, name: string) =>
  typeof ref === 'string' && (ref === name || ref.endsWith(`/${name}`));

/** The request parameters CloudTrail recorded of an event, or null. */
function parametersOf(event: Event): Record<string, unknown> | null {
  try {
    const record = JSON.parse(event.CloudTrailEvent ?? '{}') as { requestParameters?: unknown };
    const params = record.requestParameters;
    return params && typeof params === 'object' ? (params as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Whether a write event concerns the service, by what its request names: ECS calls on its cluster
 * and service (a call naming no cluster is of the default one), Application Auto Scaling's on its
 * scalable target, ELB's naming its target group, RDS's on its database, and every security group
 * change (which groups the service uses is not read here).
 */
function concerns(event: Event, request: IncidentRequest): boolean {
  const params = parametersOf(event) ?? {};
  switch (event.EventSource) {
    case 'ec2.amazonaws.com':
      return /SecurityGroup/.test(event.EventName ?? '');
    case 'ecs.amazonaws.com':
      return (
        names(params.cluster ?? 'default', request.cluster) && names(params.service, request.serviceName)
      );
    case 'application-autoscaling.amazonaws.com':
      return params.resourceId === `service/${request.cluster}/${request.serviceName}`;
    case 'elasticloadbalancing.amazonaws.com':
      return (event.CloudTrailEvent ?? '').includes(request.targetGroupArn);
    case 'rds.amazonaws.com':
      return (
        request.database !== null &&
        String(params.dBInstanceIdentifier ?? '').toLowerCase() === request.database
      );
    default:
      return false;
  }
}

/** The fields of a request worth a line: what an UpdateService sets, say. */
function requested(event: Event): string {
  return Object.entries(parametersOf(event) ?? {})
    .filter(([key, value]) => typeof value !== 'object' && !['cluster', 'service'].includes(key))
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');
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
    const changes = items
      .filter((e) => concerns(e, request))
      .sort((a, b) => (b.EventTime?.getTime() ?? 0) - (a.EventTime?.getTime() ?? 0));
    const lines = changes.map((e) => {
      const params = requested(e);
      return `${when(e.EventTime, endMs)} ${shown(e.EventName)} by ${shown(e.Username)}${params ? `: ${shown(params)}` : ''}`;
    });
    const updates = changes.filter(
      (e) => e.EventSource === 'ecs.amazonaws.com' && e.EventName === 'UpdateService',
    );
    const attention = [
      ...(truncated
        ? [
            `the account wrote more than the ${items.length} events read in the last ${CHANGES_MINUTES} minutes: older changes to the service may be missing`,
          ]
        : []),
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
