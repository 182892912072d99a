import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, parseConfig } from '../../../infra/config.ts';
import { resolveIncident } from '../../../tasks/incident-response/validate-incident-input.ts';
import { catalogue, execution } from './request.ts';

const input = {
  environment: 'prod',
  service: 'app',
  severity: 'P0',
  action: 'diagnostics',
  incident: 'INC-2041',
  requestedBy: 'jane@company.com',
};
const attempt = (over: Record<string, unknown>) => () =>
  resolveIncident({ ...input, ...over }, catalogue, execution);

describe('validate-incident-input', () => {
  it('resolves the service, what the diagnostics read, and the P0 topics of the environment', () => {
    const request = resolveIncident(input, catalogue, execution);
    expect(request).toMatchObject({
      procedure: 'incident-response',
      cluster: 'enterprise-prod-cluster',
      serviceName: 'app-service',
      database: 'enterprise-prod-db',
      logs: [expect.objectContaining({ logGroup: '/aws/application/enterprise-prod' })],
      desiredCount: null,
      changeRequest: 'INC-2041',
      route: {
        topicArns: [
          'arn:aws:sns:us-east-1:123456789012:oncall-pager',
          'arn:aws:sns:us-east-1:123456789012:leadership-incidents',
        ],
        severity: 'page',
        audience: 'pages on-call and notifies leadership',
      },
      lock: {
        key: 'ecs:enterprise-prod-cluster/app-service',
        owner: execution.id,
        procedure: 'incident-response',
      },
    });
  });

  it.each([
    ['P1', 'page', 'alerts on-call'],
    ['P2', 'warning', 'the team channel'],
    ['P3', 'info', 'a ticket'],
  ])('routes %s as the runbook says (%s, %s)', (severity, loudness, audience) => {
    const request = resolveIncident({ ...input, severity }, catalogue, execution);
    expect(request.route).toMatchObject({ severity: loudness, audience });
    expect(request.route.topicArns).toEqual(catalogue.environments.prod?.incidents?.[severity as 'P1']);
  });

  it('an environment without routes sends to the runbook topic (no topics of its own)', () => {
    expect(resolveIncident({ ...input, environment: 'dev' }, catalogue, execution).route.topicArns).toEqual(
      [],
    );
  });

  it('scale-up needs a count within the bounds; the other actions take none', () => {
    expect(
      resolveIncident({ ...input, action: 'scale-up', desiredCount: 6 }, catalogue, execution).desiredCount,
    ).toBe(6);
    expect(attempt({ action: 'scale-up' })).toThrow(/desiredCount: scale-up needs the count to run/);
    expect(attempt({ action: 'scale-up', desiredCount: 11 })).toThrow(
      /desiredCount: must be between 2 and 10 for app/,
    );
    expect(attempt({ action: 'force-new-deployment', desiredCount: 4 })).toThrow(
      /desiredCount: only scale-up takes a count, not force-new-deployment/,
    );
  });

  it.each(['constructor', '__proto__', 'toString'])(
    'refuses a service named %s (only configured names)',
    (service) => {
      expect(attempt({ service })).toThrow(/service: '.*' is not configured in prod/);
    },
  );

  it('names every problem of an input at once, and refuses unknown fields', () => {
    expect(attempt({ severity: 'P5', action: 'reboot', incident: 'INC 1; rm -rf', extra: 1 })).toThrow(
      expect.objectContaining({
        name: 'InvalidInput',
        message: expect.stringMatching(/severity.*action.*incident.*extra|extra.*severity/s),
      }),
    );
  });

  it('the config refuses an incident topic of another region or account, and a severity left out, naming the field', () => {
    const raw = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
    raw.environments.prod.incidents.P2 = ['arn:aws:sns:eu-west-1:123456789012:team'];
    raw.environments.prod.incidents.P3 = ['arn:aws:sns:us-east-1:999999999999:tickets'];
    expect(() => parseConfig(raw)).toThrow(
      /environments\.prod\.incidents\.P2\.0: must be a topic of account 123456789012, us-east-1.*environments\.prod\.incidents\.P3\.0: must be a topic/s,
    );
    delete raw.environments.prod.incidents.P3;
    raw.environments.prod.incidents.P2 = ['arn:aws:sns:us-east-1:123456789012:team'];
    expect(() => parseConfig(raw)).toThrow(/environments\.prod\.incidents\.P3/);
  });
});
