// Simulated CloudWatch Logs: the application log groups the health checks name, each with an ERROR
// line every so often (a few an hour, as a healthy application has), from a day before the rehearsal
// until now. FilterLogEvents answers as the Logs documentation warns it may: a first page with no
// events and a nextToken, then a few events a page. Only term filter patterns are evaluated (terms
// that must all appear, `?term` alternatives, `-term` exclusions, "quoted phrases"); a JSON or
// space-delimited pattern is refused, since what it would match here could not be told.
import type { Config } from '../../infra/config.ts';
import { awsError } from './errors.ts';
import type { SimulatedService } from './service.ts';

/** How a scenario makes an application log. */
export interface LogsFaults {
  /** ERROR lines an hour in every log group. @default 2 */
  readonly errorsPerHour?: number;
  /** What the ERROR lines say (text from the application: it may carry anything). */
  readonly errorMessage?: string;
  /** The first configured log group does not exist (deleted, or misnamed in the config). */
  readonly missingLogGroup?: boolean;
}

/** Events one page holds here, after the empty first page. */
const EVENTS_PAGE = 5;
const DAY_MS = 24 * 3600_000;

/** What of a FilterLogEvents request it reads. */
interface FilterInput {
  logGroupName?: string;
  startTime?: number;
  endTime?: number;
  filterPattern?: string;
  limit?: number;
  nextToken?: string;
}

interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
}

export class SimulatedLogs implements SimulatedService {
  readonly name = 'logs';
  readonly logGroups = new Set<string>();
  private readonly startedAt: number;

  readonly commands = {
    FilterLogEvents: (input: FilterInput) => this.filterLogEvents(input),
  };

  constructor(
    config: Config,
    private readonly faults: LogsFaults | undefined,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
    const groups = Object.values(config.environments).flatMap((env) =>
      env.healthCheck.logs.map((l) => l.logGroup),
    );
    groups.forEach((group, i) => {
      if (!(i === 0 && faults?.missingLogGroup)) this.logGroups.add(group);
    });
  }

  /** Every event of a group from `from` to `to` (ms), oldest first: INFO each minute, ERROR at the scenario's rate. */
  private eventsOf(group: string, from: number, to: number): LogEvent[] {
    const events: LogEvent[] = [];
    const first = this.startedAt - DAY_MS;
    const errorEvery = 3600_000 / (this.faults?.errorsPerHour ?? 2);
    const message = this.faults?.errorMessage ?? 'upstream request timed out after 30000 ms';
    const every = (step: number, offset: number, message: string) => {
      for (
        let t = first + Math.max(0, Math.ceil((from - first - offset) / step)) * step + offset;
        t <= to;
        t += step
      )
        events.push({ timestamp: Math.floor(t), message });
    };
    every(60_000, 0, `INFO [${group}] GET /health 200`);
    // Seven milliseconds after the slot: never on a window's edge.
    every(errorEvery, 7, `ERROR [${group}] ${message}`);
    return events.sort((a, b) => a.timestamp - b.timestamp);
  }

  filterLogEvents(input: FilterInput) {
    const group = input.logGroupName ?? '';
    if (!this.logGroups.has(group))
      throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
    if (input.limit !== undefined && (input.limit < 1 || input.limit > 10_000))
      throw awsError(
        'InvalidParameterException',
        '1 validation error detected: limit must be between 1 and 10000',
      );
    const matches = termPattern(input.filterPattern ?? '');
    const to = Math.min(input.endTime ?? this.now(), this.now());
    const events = this.eventsOf(group, input.startTime ?? 0, to).filter((e) => matches(e.message));
    // The first page searched and found nothing yet: an empty page with a token, as the API may answer.
    if (input.nextToken === undefined) return { events: [], searchedLogStreams: [], nextToken: '0' };
    const start = Number(input.nextToken);
    const end = start + Math.min(EVENTS_PAGE, input.limit ?? EVENTS_PAGE);
    return {
      events: events.slice(start, end).map((e, i) => ({
        logStreamName: 'app/app/0123456789abcdef',
        timestamp: e.timestamp,
        ingestionTime: e.timestamp + 1000,
        message: e.message,
        eventId: `${e.timestamp}${String(start + i).padStart(6, '0')}`,
      })),
      searchedLogStreams: [],
      ...(end < events.length && { nextToken: String(end) }),
    };
  }

  report() {
    return { logGroups: [...this.logGroups] };
  }
}

/** What a term filter pattern matches (CloudWatch Logs "Filter pattern syntax": terms, ?alternatives, -exclusions, "phrases"). */
function termPattern(pattern: string): (message: string) => boolean {
  const text = pattern.trim();
  if (text === '') return () => true;
  if (/^[{[]/.test(text))
    throw awsError(
      'InvalidParameterException',
      `the simulated account evaluates only term filter patterns, not ${JSON.stringify(text.slice(0, 40))}`,
    );
  const terms = [...text.matchAll(/(-|\?)?(?:"([^"]*)"|(\S+))/g)].map((m) => ({
    sign: m[1] ?? '',
    term: m[2] ?? m[3] ?? '',
  }));
  const any = terms.filter((t) => t.sign === '?');
  const all = terms.filter((t) => t.sign === '');
  const none = terms.filter((t) => t.sign === '-');
  return (message) =>
    all.every((t) => message.includes(t.term)) &&
    none.every((t) => !message.includes(t.term)) &&
    (any.length === 0 || any.some((t) => message.includes(t.term)));
}
