// Diagnostics, the runbook's "Check application logs": the latest lines matching each of the
// environment's application log groups' filter (ERROR) in the last hour. FilterLogEvents answers
// oldest first and may answer a page with no events and a token, so pages are read to the end,
// within a bound; the latest lines are kept, shown harmlessly (an application writes anything).
// When the hour has more lines than the bound reads, those read are the hour's first: the lines
// shown are then read again from the last SAMPLE_MINUTES alone.
// More lines than the group's health check allows (maxEvents over its window) stand out.
import { type FilteredLogEvent, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { consoleUrl } from '../console.ts';
import { allPages } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { IncidentRequestSchema } from './input.ts';
import { section, summarizeSection, when, windowOf } from './sections.ts';

export const ERRORS_MINUTES = 60;
/** The recent stretch the lines shown are read from when the hour has too many to read. */
export const SAMPLE_MINUTES = 5;
/** Lines shown of each log group. */
const LINES = 10;

export const readErrors = defineWorker({
  name: 'read-errors',
  entry: import.meta.url,
  actions: ['logs:FilterLogEvents'],
  input: z.object({ request: IncidentRequestSchema, now: z.iso.datetime({ offset: true }) }),
  run: async ({ request, now }, { logs }) => {
    const { start, endMs } = windowOf(now, ERRORS_MINUTES);
    const attention: string[] = [];
    const lines: string[] = [];
    const read = (logGroupName: string, filterPattern: string, from: number) =>
      allPages(
        'CloudWatch Logs FilterLogEvents',
        paginateFilterLogEvents(
          { client: logs },
          { logGroupName, startTime: from, endTime: endMs, filterPattern },
        ),
        (page) => page.events,
      );
    for (const log of request.logs) {
      let events: FilteredLogEvent[] = [];
      let truncated = false;
      try {
        ({ items: events, truncated } = await read(log.logGroup, log.filterPattern, start.getTime()));
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
        attention.push(`${shown(log.logGroup)} does not exist`);
        continue;
      }
      const count = `${truncated ? 'at least ' : ''}${events.length}`;
      // More than the health check lets the group have, over this window.
      const allowed = Math.floor((log.maxEvents * ERRORS_MINUTES) / log.windowMinutes);
      // (cut short by the bound, there were more than it read)
      if (events.length > allowed || (truncated && events.length >= allowed))
        attention.push(
          `${count} lines matching ${shown(log.filterPattern)} in ${shown(log.logGroup)} in the last ${ERRORS_MINUTES} minutes (its health check allows ${allowed})`,
        );
      const shownEvents = truncated
        ? (await read(log.logGroup, log.filterPattern, endMs - SAMPLE_MINUTES * 60_000)).items
        : events;
      lines.push(
        ...shownEvents
          .slice(-LINES)
          .reverse()
          .map(
            (e) =>
              `${when(e.timestamp === undefined ? undefined : new Date(e.timestamp), endMs)} ${shown(e.message)}`,
          ),
      );
    }
    const first = request.logs[0]?.logGroup;
    return section(
      'errors',
      request.logs.length === 0
        ? 'Application errors: no log group is configured (healthCheck.logs of the environment)'
        : `Application errors, last ${ERRORS_MINUTES} minutes`,
      {
        attention,
        lines,
        follow: first
          ? consoleUrl(
              request.region,
              `cloudwatch/home?region=${request.region}#logsV2:log-groups/log-group/${encodeURIComponent(first)}`,
            )
          : null,
      },
    );
  },
  summarize: summarizeSection,
});

export const handler = lambdaHandler(readErrors);
