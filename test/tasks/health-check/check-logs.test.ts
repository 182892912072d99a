import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkLogs } from '../../../tasks/health-check/check-logs.ts';
import { type HealthRequest, HealthRequestSchema } from '../../../tasks/health-check/input.ts';
import { MAX_PAGES } from '../../../tasks/pages.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const logsMock = mockClient(CloudWatchLogsClient);
const clients = testClients();

const logGroup = '/aws/application/enterprise-prod';
const request = HealthRequestSchema.parse({
  procedure: 'health-check',
  environment: 'prod',
  service: 'health check',
  region: 'us-east-1',
  requestedBy: 'jane',
  reason: null,
  vpcTag: { key: 'Environment', value: 'prod' },
  databases: ['enterprise-prod-db'],
  services: [],
  alarmNamePrefix: 'enterprise-prod-',
  logs: [{ logGroup, filterPattern: 'ERROR', windowMinutes: 60, maxEvents: 20 }],
  notify: { fail: 'page', warn: 'warning' },
});
const now = '2026-12-01T08:00:00.000Z';
const end = Date.parse(now);

/** The request with its one log group's settings changed. */
const withLog = (log: Partial<HealthRequest['logs'][number]>): HealthRequest => ({
  ...request,
  logs: [{ logGroup, filterPattern: 'ERROR', windowMinutes: 60, maxEvents: 20, ...log }],
});

const logUrl = (group: string) =>
  `https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/${group}`;

const events = (...messages: string[]) => messages.map((message) => ({ message, logStreamName: 's' }));
const many = (n: number) => events(...Array.from({ length: n }, (_, i) => `ERROR event ${i + 1}`));

type Page = Partial<FilterLogEventsCommandOutput>;

/**
 * Answers each log group's calls with its pages in turn (the last one again after them), and
 * returns the calls' inputs as they were when sent: the SDK's paginator reuses one input object.
 */
function answerPages(pagesByGroup: Record<string, Page[]>): FilterLogEventsCommandInput[] {
  const sent: FilterLogEventsCommandInput[] = [];
  const served: Record<string, number> = {};
  logsMock.on(FilterLogEventsCommand).callsFake((input: FilterLogEventsCommandInput) => {
    sent.push({ ...input });
    const group = input.logGroupName ?? '';
    const pages = pagesByGroup[group] ?? [];
    const index = served[group] ?? 0;
    served[group] = index + 1;
    return { $metadata: {}, ...(pages[index] ?? pages[pages.length - 1]) };
  });
  return sent;
}

describe('check-logs', () => {
  beforeEach(() => {
    logsMock.reset();
  });

  it('counts the events matching the pattern in the window, and passes within the bound with samples', async () => {
    // Given
    const sent = answerPages({
      [logGroup]: [{ events: events('ERROR one', 'ERROR two', 'ERROR three', 'ERROR four') }],
    });

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then one call for the window up to now, asking for one more event than allowed
    expect(sent).toStrictEqual([
      {
        logGroupName: logGroup,
        startTime: end - 60 * 60_000,
        endTime: end,
        filterPattern: 'ERROR',
        limit: 21,
        nextToken: undefined,
      },
    ]);
    expect(result).toStrictEqual({
      check: 'logs',
      findings: [
        {
          check: 'logs',
          target: logGroup,
          expected: 'at most 20 events matching ERROR in 60 minutes',
          actual: '4 events matching ERROR in the last 60 minutes',
          verdict: 'pass',
          follow: logUrl('%2Faws%2Fapplication%2Fenterprise-prod'),
          samples: ['ERROR one', 'ERROR two', 'ERROR three'],
        },
      ],
    });
    expect(checkLogs.summarize?.(result)).toBe('logs: 1 pass, 0 warn, 0 fail');
  });

  it("reads the window of the log group's own minutes before now, whatever the offset now is written with", async () => {
    // Given a 15-minute window with a filter of its own, and now written in another offset
    const sent = answerPages({ [logGroup]: [{ events: [] }] });
    const log = { windowMinutes: 15, filterPattern: '?Exception ?FATAL', maxEvents: 0 };

    // When
    const result = await invoke(
      checkLogs,
      { request: withLog(log), now: '2026-12-01T09:00:00+01:00' },
      clients,
    );

    // Then
    expect(sent).toEqual([
      {
        logGroupName: logGroup,
        startTime: end - 15 * 60_000,
        endTime: end,
        filterPattern: '?Exception ?FATAL',
        limit: 1,
      },
    ]);
    expect(result.findings).toStrictEqual([
      {
        check: 'logs',
        target: logGroup,
        expected: 'at most 0 events matching ?Exception ?FATAL in 15 minutes',
        actual: '0 events matching ?Exception ?FATAL in the last 15 minutes',
        verdict: 'pass',
        follow: logUrl('%2Faws%2Fapplication%2Fenterprise-prod'),
      },
    ]);
  });

  it('reads on past an empty page that carries a token, as CloudWatch Logs documents it may answer', async () => {
    // Given an empty first page with a token, then the events
    const sent = answerPages({
      [logGroup]: [{ events: [], nextToken: 'after-empty' }, { events: events('ERROR late') }],
    });

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then
    expect(sent.map((input) => input.nextToken)).toEqual([undefined, 'after-empty']);
    expect(sent[1]).toMatchObject({ logGroupName: logGroup, limit: 21, startTime: end - 3_600_000 });
    expect(result.findings[0]).toMatchObject({
      verdict: 'pass',
      actual: '1 events matching ERROR in the last 60 minutes',
      samples: ['ERROR late'],
    });
  });

  it('reads on past a page with no events list at all', async () => {
    // Given a first page without `events`, with a token
    const sent = answerPages({
      [logGroup]: [{ nextToken: 'after-nothing' }, { events: events('ERROR one') }],
    });

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then
    expect(sent.map((input) => input.nextToken)).toEqual([undefined, 'after-nothing']);
    expect(result.findings[0]).toMatchObject({
      verdict: 'pass',
      actual: '1 events matching ERROR in the last 60 minutes',
      samples: ['ERROR one'],
    });
  });

  it('passes at exactly the events allowed', async () => {
    // Given
    answerPages({ [logGroup]: [{ events: many(2) }] });

    // When
    const result = await invoke(checkLogs, { request: withLog({ maxEvents: 2 }), now }, clients);

    // Then
    expect(result.findings[0]).toMatchObject({
      verdict: 'pass',
      actual: '2 events matching ERROR in the last 60 minutes',
    });
  });

  it('fails with more than the events allowed, and stops reading once it has found one more', async () => {
    // Given pages of two events each, and more after them
    const sent = answerPages({ [logGroup]: [{ events: many(2), nextToken: 'more' }] });

    // When
    const result = await invoke(checkLogs, { request: withLog({ maxEvents: 2 }), now }, clients);

    // Then two pages were read (4 events, 3 were enough), not a third
    expect(sent).toHaveLength(2);
    expect(sent[0]?.limit).toBe(3);
    expect(result.findings).toStrictEqual([
      {
        check: 'logs',
        target: logGroup,
        expected: 'at most 2 events matching ERROR in 60 minutes',
        actual: 'more than 2 events matching ERROR in the last 60 minutes',
        verdict: 'fail',
        follow: logUrl('%2Faws%2Fapplication%2Fenterprise-prod'),
        samples: ['ERROR event 1', 'ERROR event 2', 'ERROR event 1'],
      },
    ]);
    expect(checkLogs.summarize?.(result)).toBe('logs: 0 pass, 0 warn, 1 fail');
  });

  it('fails on the first page when it alone has more than allowed', async () => {
    // Given
    const sent = answerPages({ [logGroup]: [{ events: many(21), nextToken: 'more' }] });

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then
    expect(sent).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({
      verdict: 'fail',
      actual: 'more than 20 events matching ERROR in the last 60 minutes',
      samples: ['ERROR event 1', 'ERROR event 2', 'ERROR event 3'],
    });
  });

  it(`warns with "at least" when ${MAX_PAGES} pages still end with a token and fewer events than allowed`, async () => {
    // Given pages of one event each that never end
    const sent = answerPages({ [logGroup]: [{ events: many(1), nextToken: 'more' }] });

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then the bound's pages were read, and no more
    expect(sent).toHaveLength(MAX_PAGES);
    expect(result.findings).toStrictEqual([
      {
        check: 'logs',
        target: logGroup,
        expected: 'at most 20 events matching ERROR in 60 minutes',
        actual: `at least ${MAX_PAGES} events matching ERROR in the last 60 minutes`,
        verdict: 'warn',
        follow: logUrl('%2Faws%2Fapplication%2Fenterprise-prod'),
        samples: ['ERROR event 1', 'ERROR event 1', 'ERROR event 1'],
      },
    ]);
    expect(checkLogs.summarize?.(result)).toBe('logs: 0 pass, 1 warn, 0 fail');
  });

  it(`warns with "at least 0" when ${MAX_PAGES} empty pages still end with a token`, async () => {
    // Given
    const sent = answerPages({ [logGroup]: [{ events: [], nextToken: 'more' }] });

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then
    expect(sent).toHaveLength(MAX_PAGES);
    expect(result.findings[0]).toMatchObject({
      verdict: 'warn',
      actual: 'at least 0 events matching ERROR in the last 60 minutes',
    });
    expect(result.findings[0]).not.toHaveProperty('samples');
  });

  it(`fails rather than warns when the ${MAX_PAGES}th page brings the count over the bound`, async () => {
    // Given pages of one event each that never end, and 19 events allowed
    const sent = answerPages({ [logGroup]: [{ events: many(1), nextToken: 'more' }] });

    // When
    const result = await invoke(checkLogs, { request: withLog({ maxEvents: MAX_PAGES - 1 }), now }, clients);

    // Then
    expect(sent).toHaveLength(MAX_PAGES);
    expect(result.findings[0]).toMatchObject({
      verdict: 'fail',
      actual: `more than ${MAX_PAGES - 1} events matching ERROR in the last 60 minutes`,
    });
  });

  // The MAX_PAGES-th page's own token says whether the group had more: no extra call is made to know.
  it(`passes a log group read to its end in exactly ${MAX_PAGES} pages`, async () => {
    // Given MAX_PAGES pages of one event each, the last without a token
    const page = { events: many(1) };
    const sent = answerPages({
      [logGroup]: [...Array.from({ length: MAX_PAGES - 1 }, () => ({ ...page, nextToken: 'more' })), page],
    });

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then every page was read, and the count is exact
    expect(sent).toHaveLength(MAX_PAGES);
    expect(result.findings[0]).toMatchObject({
      verdict: 'pass',
      actual: `${MAX_PAGES} events matching ERROR in the last 60 minutes`,
    });
  });

  it('fails a log group that does not exist', async () => {
    // Given
    logsMock
      .on(FilterLogEventsCommand)
      .rejects(awsError('ResourceNotFoundException', 'The specified log group does not exist.'));

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then
    expect(result.findings).toStrictEqual([
      {
        check: 'logs',
        target: logGroup,
        expected: 'at most 20 events matching ERROR in 60 minutes',
        actual: 'CloudWatch Logs has no log group of this name',
        verdict: 'fail',
        follow: logUrl('%2Faws%2Fapplication%2Fenterprise-prod'),
      },
    ]);
  });

  it('surfaces throttling as TransientAwsError, and keeps any other error', async () => {
    // Given
    logsMock
      .on(FilterLogEventsCommand)
      .rejectsOnce(throttled())
      .rejects(awsError('AccessDeniedException', 'not authorized'));

    // When
    const first = invoke(checkLogs, { request, now }, clients);

    // Then
    await expect(first).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: 'CloudWatch Logs FilterLogEvents: ThrottlingException: Rate exceeded',
    });
    await expect(invoke(checkLogs, { request, now }, clients)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: 'not authorized',
    });
  });

  it('shows the first three messages harmlessly, each cut at 200 characters', async () => {
    // Given messages with an ESC sequence, a forged line, a tab and 300 characters, and a missing one
    const long = `ERROR ${'y'.repeat(300)}`;
    answerPages({
      [logGroup]: [
        {
          events: [
            { message: 'ERROR \u001b[31mred\u001b[0m' },
            { message: 'ERROR x\nPASS forged\tline\r' },
            { message: long },
            { message: 'ERROR fourth' },
          ],
        },
      ],
    });

    // When
    const result = await invoke(checkLogs, { request, now }, clients);

    // Then
    expect(result.findings[0]?.samples).toEqual([
      'ERROR \\x1b[31mred\\x1b[0m',
      'ERROR x\\nPASS forged\\tline\\r',
      `${long.slice(0, 199)}…`,
    ]);
    expect(result.findings[0]?.samples?.[2]).toHaveLength(200);
  });

  it('shows an event without a message as an empty sample, and a hostile filter pattern harmlessly', async () => {
    // Given
    answerPages({ [logGroup]: [{ events: [{ logStreamName: 's' }] }] });

    // When
    const result = await invoke(
      checkLogs,
      { request: withLog({ filterPattern: 'ERROR\nOK' }), now },
      clients,
    );

    // Then
    expect(result.findings[0]).toMatchObject({
      expected: 'at most 20 events matching ERROR\\nOK in 60 minutes',
      actual: '1 events matching ERROR\\nOK in the last 60 minutes',
      samples: [''],
    });
  });

  it('gives one finding per log group, in the order of the config, each counted on its own', async () => {
    // Given three log groups: a quiet one, a noisy one, and one that does not exist
    const logs = [
      { logGroup: '/app/quiet', filterPattern: 'ERROR', windowMinutes: 60, maxEvents: 5 },
      { logGroup: '/app/noisy', filterPattern: 'FATAL', windowMinutes: 30, maxEvents: 1 },
      { logGroup: '/app/gone', filterPattern: 'ERROR', windowMinutes: 60, maxEvents: 5 },
    ];
    const sent = answerPages({
      '/app/quiet': [{ events: many(1) }],
      '/app/noisy': [{ events: many(2) }],
    });
    logsMock
      .on(FilterLogEventsCommand, { logGroupName: '/app/gone' })
      .rejects(awsError('ResourceNotFoundException', 'The specified log group does not exist.'));

    // When
    const result = await invoke(checkLogs, { request: { ...request, logs }, now }, clients);

    // Then
    expect(
      sent.map((input) => [input.logGroupName, input.filterPattern, input.startTime, input.limit]),
    ).toEqual([
      ['/app/quiet', 'ERROR', end - 60 * 60_000, 6],
      ['/app/noisy', 'FATAL', end - 30 * 60_000, 2],
    ]);
    expect(result.findings.map((f) => [f.target, f.verdict, f.actual, f.follow])).toEqual([
      ['/app/quiet', 'pass', '1 events matching ERROR in the last 60 minutes', logUrl('%2Fapp%2Fquiet')],
      [
        '/app/noisy',
        'fail',
        'more than 1 events matching FATAL in the last 30 minutes',
        logUrl('%2Fapp%2Fnoisy'),
      ],
      ['/app/gone', 'fail', 'CloudWatch Logs has no log group of this name', logUrl('%2Fapp%2Fgone')],
    ]);
    expect(checkLogs.summarize?.(result)).toBe('logs: 1 pass, 0 warn, 2 fail');
  });

  it('finds nothing, and calls nothing, when the environment configures no log group', async () => {
    // Given
    const quiet = { ...request, logs: [] };

    // When
    const result = await invoke(checkLogs, { request: quiet, now }, clients);

    // Then
    expect(result).toStrictEqual({ check: 'logs', findings: [] });
    expect(logsMock).not.toHaveReceivedAnyCommand();
  });

  it('is granted FilterLogEvents, on the configured log groups only', () => {
    // Given / When / Then
    expect(checkLogs.actions).toEqual(['logs:FilterLogEvents']);
    expect(checkLogs.everyResource).toBeUndefined();
  });

  it('refuses a time that is not an ISO date-time, calling nothing', async () => {
    // Given
    const invalid = { request, now: 'yesterday' };

    // When
    const checked = invoke(checkLogs, invalid, clients);

    // Then
    await expect(checked).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('check-logs: now: '),
    });
    expect(logsMock).not.toHaveReceivedAnyCommand();
  });
});
