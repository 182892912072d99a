// Diagnostics, the runbook's "Check application logs": the latest lines matching each of the
// environment's application log groups' filter (ERROR) in the last hour. FilterLogEvents answers
// oldest first and may answer a page with no events and a token, so pages are read to the end,
// within a bound; the latest lines are kept, shown harmlessly (an application writes anything).
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

export const readErrors = defineWorker({
  name: 'read-errors',
  entry: import.meta.url,
  actions: ['logs:FilterLogEvents'],
  input: z.object({ request: IncidentRequestSchema, now: z.iso.datetime({ offset: true }) }),
  run: async ({ request, now }, { logs }) => {
    const { start, endMs } = windowOf(now, ERRORS_MINUTES);
    const attention: string[] = [];
    const lines: string[] = [];
    for (const log of request.logs) {
      let events: FilteredLogEvent[] = [];
      let truncated = false;
      try {
        ({ items: events, truncated } = await allPages(
          'CloudWatch Logs FilterLogEvents',
          paginateFilterLogEvents(
            { client: logs },
            {
              logGroupName: log.logGroup,
              startTime: start.getTime(),
              endTime: endMs,
              filterPattern: log.filterPattern,
            },
          ),
          (page) => page.events,
        ));
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
        attention.push(`${shown(log.logGroup)} does not exist`);
        continue;
      }
      const count = `${truncated ? 'at least ' : ''}${events.length}`;
      // More than the health check lets the group have, over this window.
      const allowed = Math.floor((log.maxEvents * ERRORS_MINUTES) / log.windowMinutes);
      if (events.length > allowed)
        attention.push(
          `${count} lines matching ${shown(log.filterPattern)} in ${shown(log.logGroup)} in the last ${ERRORS_MINUTES} minutes (its health check allows ${allowed})`,
        );
      lines.push(
        ...events
          .slice(-10)
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
