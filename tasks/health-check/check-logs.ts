// The runbook's check 7: recent application errors. For each configured log group, the events
// matching its filter pattern (ERROR) in its window are counted, up to one more than it allows; more
// than that is a failure. Logs may answer a page with no events and a token, so pages are read to the
// end, within a bound: a count cut short by it is shown as "at least".
import { type FilteredLogEvent, paginateFilterLogEvents } from '@aws-sdk/client-cloudwatch-logs';
import { consoleUrl } from '../console.ts';
import { aws } from '../errors.ts';
import { MAX_PAGES } from '../pages.ts';
import { shown } from '../printable.ts';
import { defineWorker, lambdaHandler } from '../worker.ts';
import * as z from '../zod.ts';
import { type CheckResult, checkResult, type Finding, summarizeCheck } from './findings.ts';
import { HealthRequestSchema } from './input.ts';

/** Lines of the events found shown in a finding. */
const SAMPLES = 3;

export const checkLogs = defineWorker({
  name: 'check-logs',
  entry: import.meta.url,
  actions: ['logs:FilterLogEvents'],
  input: z.object({ request: HealthRequestSchema, now: z.iso.datetime({ offset: true }) }),
  run: async ({ request, now }, { logs }): Promise<CheckResult> => {
    const { region } = request;
    const end = Date.parse(now);
    const findings: Finding[] = [];
    for (const log of request.logs) {
      const enough = log.maxEvents + 1;
      const events: FilteredLogEvent[] = [];
      let pages = 0;
      let cutShort = false;
      let missing = false;
      const iterator = paginateFilterLogEvents(
        { client: logs, pageSize: Math.min(enough, 10_000) },
        {
          logGroupName: log.logGroup,
          startTime: end - log.windowMinutes * 60_000,
          endTime: end,
          filterPattern: log.filterPattern,
        },
      )[Symbol.asyncIterator]();
      try {
        while (events.length < enough) {
          const next = await aws('CloudWatch Logs FilterLogEvents', () => iterator.next());
          if (next.done) break;
          events.push(...(next.value.events ?? []));
          if (++pages >= MAX_PAGES) {
            cutShort = events.length < enough && next.value.nextToken !== undefined;
            break;
          }
        }
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
        missing = true;
      }
      const count = Math.min(events.length, enough);
      const over = count > log.maxEvents;
      const what = `${over ? 'more than ' : cutShort ? 'at least ' : ''}${over ? log.maxEvents : count}`;
      findings.push({
        check: 'logs',
        target: log.logGroup,
        expected: `at most ${log.maxEvents} events matching ${shown(log.filterPattern)} in ${log.windowMinutes} minutes`,
        actual: missing
          ? 'CloudWatch Logs has no log group of this name'
          : `${what} events matching ${shown(log.filterPattern)} in the last ${log.windowMinutes} minutes`,
        verdict: missing || over ? 'fail' : cutShort ? 'warn' : 'pass',
        follow: consoleUrl(
          region,
          `cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${encodeURIComponent(log.logGroup)}`,
        ),
        ...(events.length > 0 && { samples: events.slice(0, SAMPLES).map((e) => shown(e.message)) }),
      });
    }
    return checkResult('logs', findings);
  },
  summarize: summarizeCheck,
});

export const handler = lambdaHandler(checkLogs);
