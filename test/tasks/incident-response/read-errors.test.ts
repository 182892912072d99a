import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readErrors } from '../../../tasks/incident-response/read-errors.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients } from '../support.ts';
import { at, now, request } from './request.ts';

const logs = mockClient(CloudWatchLogsClient);
const clients = testClients();
const group = '/aws/application/enterprise-prod';
/** `n` events, one a minute, oldest first (as FilterLogEvents answers). */
const events = (n: number, message = 'ERROR boom') =>
  Array.from({ length: n }, (_, i) => ({ timestamp: at(n - i).getTime(), message: `${message} ${i + 1}` }));

describe('read-errors', () => {
  beforeEach(() => {
    logs.reset();
  });

  it("reads the group's filter over the last hour and keeps the latest 10 lines, newest first", async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: events(25) });
    const section = await invoke(readErrors, { request, now }, clients);
    expect(logs.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toEqual({
      logGroupName: group,
      startTime: at(60).getTime(),
      endTime: Date.parse(now),
      filterPattern: 'ERROR',
    });
    // The group's health check allows 20 an hour: 25 stand out
    expect(section.attention).toEqual([
      `25 lines matching ERROR in ${group} in the last 60 minutes (its health check allows 20)`,
    ]);
    expect(section.lines).toHaveLength(10);
    expect(section.lines[0]).toBe('07:59:00Z (1 min ago) ERROR boom 25');
    expect(section.lines[9]).toBe('07:50:00Z (10 min ago) ERROR boom 16');
  });

  it('as many as the health check allows do not stand out; a hostile line is shown harmlessly', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: events(20, 'ERROR \u001b]0;owned\u0007') });
    const section = await invoke(readErrors, { request, now }, clients);
    expect(section.attention).toEqual([]);
    expect(section.lines[0]).toBe('07:59:00Z (1 min ago) ERROR \\x1b]0;owned\\x07 20');
  });

  it('an hour with more lines than the bound reads shows the last five minutes, not the first ones read', async () => {
    // The hour answers page after page (the bound stops it); the last five minutes answer once
    logs
      .on(FilterLogEventsCommand)
      .callsFake((input: { startTime?: number }) =>
        input.startTime === at(5).getTime()
          ? { events: events(3, 'ERROR recent') }
          : { events: events(1, 'ERROR early'), nextToken: 'more' },
      );
    const section = await invoke(readErrors, { request, now }, clients);
    expect(section.attention).toEqual([
      `at least 20 lines matching ERROR in ${group} in the last 60 minutes (its health check allows 20)`,
    ]);
    expect(section.lines).toEqual([
      '07:59:00Z (1 min ago) ERROR recent 3',
      '07:58:00Z (2 min ago) ERROR recent 2',
      '07:57:00Z (3 min ago) ERROR recent 1',
    ]);
  });

  it('a log group that does not exist stands out; another error is the section error', async () => {
    logs.on(FilterLogEventsCommand).rejects(awsError('ResourceNotFoundException', 'gone'));
    expect((await invoke(readErrors, { request, now }, clients)).attention).toEqual([
      `${group} does not exist`,
    ]);
    logs.on(FilterLogEventsCommand).rejects(awsError('AccessDeniedException', 'no'));
    await expect(invoke(readErrors, { request, now }, clients)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('an environment without log groups says where to configure them', async () => {
    const section = await invoke(readErrors, { request: { ...request, logs: [] }, now }, clients);
    expect(section.title).toMatch(/no log group is configured \(healthCheck.logs of the environment\)/);
    expect(logs.commandCalls(FilterLogEventsCommand)).toEqual([]);
  });
});
