import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { notifyIncident } from '../../../tasks/incident-response/notify-incident.ts';
import type { Diagnostics } from '../../../tasks/incident-response/report-diagnostics.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { request } from './request.ts';

const sns = mockClient(SNSClient);
const clients = testClients();
const topicArn = 'arn:aws:sns:us-east-1:123456789012:runbook-notifications';
const executionId = 'arn:aws:states:us-east-1:123456789012:execution:runbook-incident-response:inc-1';
const report: Diagnostics = {
  incident: 'INC-2041',
  severity: 'P1',
  environment: 'prod',
  service: 'app',
  action: 'diagnostics',
  summary: 'P1 INC-2041: diagnostics of app in prod: 1 thing stands out, first traffic: 5xx.',
  attention: ['traffic: 5xx'],
  sections: [
    {
      section: 'traffic',
      title: 'Traffic',
      attention: ['5xx'],
      lines: ['a line'],
      more: 0,
      follow: null,
      unavailable: null,
    },
  ],
};
const published = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);

describe('notify-incident', () => {
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });

  it('publishes the bundle to every topic of the severity, with its loudness', async () => {
    const p0 = {
      ...request,
      severity: 'P0' as const,
      route: {
        topicArns: ['arn:aws:sns:us-east-1:123456789012:a', 'arn:aws:sns:us-east-1:123456789012:b'],
        severity: 'page' as const,
        audience: 'pages on-call and notifies leadership',
      },
    };
    const result = await invoke(
      notifyIncident,
      { topicArn, executionId, request: p0, report, outcome: 'diagnosed' },
      clients,
    );
    expect(result).toEqual({ outcome: 'diagnosed', severity: 'P0', topics: 2, undelivered: [] });
    expect(
      published().map((p) => [
        p.TopicArn,
        p.Subject,
        p.MessageAttributes?.severity?.StringValue,
        p.MessageAttributes?.event?.StringValue,
      ]),
    ).toEqual([
      [
        'arn:aws:sns:us-east-1:123456789012:a',
        '[P0] INC-2041 app in prod: diagnostics, 1 thing stands out',
        'page',
        'incident',
      ],
      [
        'arn:aws:sns:us-east-1:123456789012:b',
        '[P0] INC-2041 app in prod: diagnostics, 1 thing stands out',
        'page',
        'incident',
      ],
    ]);
    const message = published()[0]?.Message ?? '';
    expect(message.split('\n')).toEqual([
      report.summary,
      '',
      'What stands out:',
      '  - traffic: 5xx',
      '',
      'Traffic',
      '  a line',
      '',
      'Severity P0 (pages on-call and notifies leadership); action diagnostics, asked by jane@company.com.',
      `Execution: ${executionId}`,
    ]);
  });

  it('a topic that refuses does not silence the others: the notice goes on, and to the runbook topic as a page naming it', async () => {
    const [a, b] = ['arn:aws:sns:us-east-1:123456789012:a', 'arn:aws:sns:us-east-1:123456789012:b'];
    sns.reset();
    sns
      .on(PublishCommand)
      .resolves({ MessageId: 'm' })
      .on(PublishCommand, { TopicArn: a })
      .rejects(Object.assign(new Error('not allowed'), { name: 'AuthorizationErrorException' }));
    const p0 = { ...request, route: { topicArns: [a, b], severity: 'page' as const, audience: 'on-call' } };
    const result = await invoke(
      notifyIncident,
      { topicArn, executionId, request: p0, report, outcome: 'diagnosed' },
      clients,
    );
    expect(result.undelivered).toEqual([`${a} (AuthorizationErrorException: not allowed)`]);
    expect(published().map((p) => [p.TopicArn, p.MessageAttributes?.severity?.StringValue])).toEqual([
      [a, 'page'],
      [b, 'page'],
      [topicArn, 'page'],
    ]);
    const fallback = published()[2];
    expect(fallback?.Subject).toBe(
      '[NOT DELIVERED] [P1] INC-2041 app in prod: diagnostics, 1 thing stands out',
    );
    expect(fallback?.Message?.split('\n')[0]).toBe(
      `This notice of a P1 incident did not reach where the severity goes: ${a} (AuthorizationErrorException: not allowed).`,
    );
  });

  it('when the runbook topic refuses too, the step fails: the run hears of it', async () => {
    sns.reset();
    sns.on(PublishCommand).rejects(Object.assign(new Error('down'), { name: 'InternalError' }));
    await expect(
      invoke(notifyIncident, { topicArn, executionId, request, report, outcome: 'diagnosed' }, clients),
    ).rejects.toThrow();
  });

  it("without topics of the environment's own, it goes to the runbook topic", async () => {
    const bare = {
      ...request,
      route: { topicArns: [], severity: 'warning' as const, audience: 'the team channel' },
    };
    await invoke(
      notifyIncident,
      { topicArn, executionId, request: bare, report, outcome: 'diagnosed' },
      clients,
    );
    expect(published().map((p) => [p.TopicArn, p.MessageAttributes?.severity?.StringValue])).toEqual([
      [topicArn, 'warning'],
    ]);
  });

  it("says how the action ended, with the run's words first, and only the summary of the bundle", async () => {
    await invoke(
      notifyIncident,
      {
        topicArn,
        executionId,
        request: { ...request, action: 'force-new-deployment', reason: 'tasks exit' },
        report,
        outcome: 'not-recovered',
        detail: 'The forced new deployment did not recover',
      },
      clients,
    );
    const [notice] = published();
    expect(notice?.Subject).toBe('[P1] INC-2041 app in prod: force-new-deployment did not recover');
    expect(notice?.MessageAttributes?.event?.StringValue).toBe('incident-not-recovered');
    expect(notice?.Message?.split('\n')).toEqual([
      'The forced new deployment did not recover',
      '',
      report.summary,
      '',
      'Severity P1 (alerts on-call); action force-new-deployment, asked by jane@company.com: tasks exit.',
      `Execution: ${executionId}`,
    ]);
  });
});
