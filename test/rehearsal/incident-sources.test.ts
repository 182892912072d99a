// What the simulated account tells an incident's diagnostics, as the AWS documentation describes
// it, pessimistically where it is vague: CloudTrail's write events (late, one lookup attribute,
// paged), ECS's service events and stopped tasks (paged), the load balancer's metrics (no datapoint
// for a count of zero), and RDS's events.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../infra/config.ts';
import { type AccountFaults, SimulatedAccount } from '../../rehearsal/account/account.ts';
import { DELIVERY_SECONDS } from '../../rehearsal/account/cloudtrail.ts';
import { MINUTE_LAG } from '../../rehearsal/account/metrics.ts';

const start = new Date('2026-12-04T10:00:00.000Z');
const MINUTE = 60_000;
const accountWith = (faults: AccountFaults = {}) =>
  new SimulatedAccount({ config: loadConfig(), faults, table: 'runbook-state', start });
const role = { arn: 'arn:aws:sts::123456789012:assumed-role/worker/fn', statements: [] };

describe('simulated CloudTrail', () => {
  it('records each change as a write event of its caller, visible only DELIVERY_SECONDS later', () => {
    const account = accountWith();
    account.handle('ecs', 'UpdateService', {
      cluster: 'enterprise-prod-cluster',
      service: 'app-service',
      desiredCount: 4,
    });
    const lookup = () =>
      account.handle('cloudtrail', 'LookupEvents', {
        LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }],
      }) as {
        Events: { EventName: string; EventSource: string; Username: string; CloudTrailEvent: string }[];
      };
    expect(lookup().Events).toEqual([]);
    account.clock.advance(DELIVERY_SECONDS - 5);
    expect(lookup().Events).toEqual([]);
    account.clock.advance(5);
    const [event] = lookup().Events;
    expect(event).toMatchObject({
      EventName: 'UpdateService',
      EventSource: 'ecs.amazonaws.com',
      Username: 'rehearsal',
    });
    expect(JSON.parse(event?.CloudTrailEvent ?? '{}')).toMatchObject({
      readOnly: false,
      requestParameters: { service: 'app-service', desiredCount: 4 },
    });
  });

  it("keeps a scenario's earlier events, filters on one attribute only, and pages newest first", () => {
    const earlier = [20, 30, 60].map((minutesBefore) => ({
      minutesBefore,
      eventSource: 'ecs.amazonaws.com',
      eventName: minutesBefore === 30 ? 'RegisterTaskDefinition' : 'UpdateService',
      arn: 'arn:aws:iam::123456789012:user/sam',
      requestParameters: {},
    }));
    const account = accountWith({ cloudtrail: { earlier } });
    const byName = account.handle('cloudtrail', 'LookupEvents', {
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'UpdateService' }],
      MaxResults: 1,
    }) as { Events: { EventTime: Date; Username: string }[]; NextToken?: string };
    expect(byName.Events.map((e) => e.EventTime)).toEqual([new Date(start.getTime() - 20 * MINUTE)]);
    expect(byName.Events[0]?.Username).toBe('sam');
    const next = account.handle('cloudtrail', 'LookupEvents', {
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'UpdateService' }],
      MaxResults: 1,
      NextToken: byName.NextToken,
    }) as { Events: { EventTime: Date }[]; NextToken?: string };
    expect(next.Events.map((e) => e.EventTime)).toEqual([new Date(start.getTime() - 60 * MINUTE)]);
    expect(next.NextToken).toBeUndefined();
    expect(() =>
      account.handle('cloudtrail', 'LookupEvents', {
        LookupAttributes: [
          { AttributeKey: 'ReadOnly', AttributeValue: 'false' },
          { AttributeKey: 'EventName', AttributeValue: 'UpdateService' },
        ],
      }),
    ).toThrow(expect.objectContaining({ name: 'InvalidLookupAttributesException' }));
  });

  it('a call IAM refuses changes nothing, so leaves no event', () => {
    const account = accountWith();
    // Authorized against no statement: refused, and so not recorded
    expect(() =>
      account.handle(
        'ecs',
        'UpdateService',
        { cluster: 'enterprise-prod-cluster', service: 'app-service' },
        role,
      ),
    ).toThrow();
    account.clock.advance(DELIVERY_SECONDS);
    expect((account.handle('cloudtrail', 'LookupEvents', {}) as { Events: unknown[] }).Events).toEqual([]);
  });
});

describe('simulated ECS service events and stopped tasks', () => {
  it('tells what the service did, newest first, in ECS words; ListTasks pages the stopped tasks, oldest first', () => {
    const account = accountWith({
      ecs: {
        tasks: () => ({
          startSeconds: 40,
          outcome: 'crashes',
          health: 'healthy',
          healthSeconds: 30,
          stoppedReason: 'exit 1',
        }),
      },
    });
    account.handle('ecs', 'UpdateService', {
      cluster: 'enterprise-prod-cluster',
      service: 'app-service',
      forceNewDeployment: true,
    });
    account.clock.advance(180);
    const described = account.handle('ecs', 'DescribeServices', {
      cluster: 'enterprise-prod-cluster',
      services: ['app-service'],
    }) as { services: { events: { createdAt: Date; message: string }[] }[] };
    const events = described.services[0]?.events ?? [];
    const times = events.map((e) => e.createdAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(
      events.some((e) => /^\(service app-service\) has started 1 tasks: \(task \w+\)\.$/.test(e.message)),
    ).toBe(true);
    expect(events.some((e) => /deployment failed: tasks failed to start\.$/.test(e.message))).toBe(true);
    expect(events.at(-1)?.message).toBe('(service app-service) has reached a steady state.');
    const page = account.handle('ecs', 'ListTasks', {
      cluster: 'enterprise-prod-cluster',
      serviceName: 'app-service',
      desiredStatus: 'STOPPED',
      maxResults: 2,
    }) as { taskArns: string[]; nextToken?: string };
    expect(page.taskArns).toHaveLength(2);
    expect(page.nextToken).toBe('2');
    expect(() =>
      account.handle('ecs', 'ListTasks', {
        cluster: 'enterprise-prod-cluster',
        serviceName: 'app-service',
        maxResults: 101,
      }),
    ).toThrow(expect.objectContaining({ name: 'InvalidParameterException' }));
  });
});

describe('simulated load balancer metrics', () => {
  const query = (id: string, metric: string, stat: string) => ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: metric,
        Dimensions: [{ Name: 'LoadBalancer', Value: 'app/enterprise-prod-app-alb/6d0ecf831eec9f09' }],
      },
      Period: 60,
      Stat: stat,
    },
  });
  const hour = (faults: AccountFaults = {}) => {
    const metrics = accountWith(faults).service('cloudwatch').metrics;
    const answer = metrics.getMetricData({
      MetricDataQueries: [
        query('requests', 'RequestCount', 'Sum'),
        query('target5xx', 'HTTPCode_Target_5XX_Count', 'Sum'),
        query('elb5xx', 'HTTPCode_ELB_5XX_Count', 'Sum'),
        query('latency', 'TargetResponseTime', 'Average'),
      ],
      StartTime: new Date(start.getTime() - 60 * MINUTE),
      EndTime: start,
    });
    return Object.fromEntries(answer.MetricDataResults.map((r) => [r.Id, r]));
  };

  it('a minute without a 5xx has no datapoint; the last minutes are not readable yet', () => {
    const figures = hour();
    // The minutes 09:00 to 09:57: each is readable MINUTE_LAG after it
    const readable = 60 - MINUTE_LAG / MINUTE + 1;
    expect(figures.requests?.Values).toHaveLength(readable);
    expect(figures.elb5xx?.Values).toEqual([]);
    expect(
      (figures.target5xx?.Values.length ?? 0) > 0 && (figures.target5xx?.Values.length ?? 0) < readable,
    ).toBe(true);
    for (const v of figures.latency?.Values ?? []) expect(v).toBeLessThan(0.2);
  });

  it("a scenario's trouble shows from the moment it set", () => {
    const figures = hour({
      cloudwatch: {
        metrics: {
          loadBalancer: { sinceMinutes: 20, target5xxPercent: 10, elb5xxPercent: 1, responseSeconds: 3 },
        },
      },
    });
    const latency = figures.latency?.Values ?? [];
    // Newest first: the readable minutes of the last 20 are slow, the ones before are not
    expect(latency.slice(0, 21 - MINUTE_LAG / MINUTE)).toEqual(Array(21 - MINUTE_LAG / MINUTE).fill(3));
    expect(latency.at(-1)).toBeLessThan(0.2);
    const requests = figures.requests?.Values[0] ?? 0;
    expect(figures.target5xx?.Values[0]).toBe(Math.round(requests * 0.1));
  });

  it('another load balancer, or another set of dimensions, has no datapoints', () => {
    const metrics = accountWith().service('cloudwatch').metrics;
    const other = { ...query('m', 'RequestCount', 'Sum') };
    other.MetricStat.Metric.Dimensions = [{ Name: 'LoadBalancer', Value: 'app/other/1' }];
    const answer = metrics.getMetricData({
      MetricDataQueries: [other],
      StartTime: new Date(start.getTime() - 60 * MINUTE),
      EndTime: start,
    });
    expect(answer.MetricDataResults[0]?.Values).toEqual([]);
  });
});

describe('simulated RDS events', () => {
  it("tells a scenario's status as an event before the rehearsal, and each change of status after", () => {
    const account = accountWith({ rds: { firstInstanceStatus: 'storage-full' } });
    const events = () =>
      (
        account.handle('rds', 'DescribeEvents', {
          SourceType: 'db-instance',
          SourceIdentifier: 'enterprise-prod-db',
          Duration: 24 * 60,
        }) as { Events: { Message: string; EventCategories: string[]; Date: Date }[] }
      ).Events;
    expect(events()).toEqual([
      {
        SourceIdentifier: 'enterprise-prod-db',
        SourceType: 'db-instance',
        SourceArn: 'arn:aws:rds:us-east-1:123456789012:db:enterprise-prod-db',
        Message: 'Allocated storage has been exhausted. Allocate additional storage to resolve the issue.',
        EventCategories: ['low storage'],
        Date: new Date(start.getTime() - 20 * MINUTE),
      },
    ]);
    // The default window is the last hour; MaxRecords is 20 to 100; SourceIdentifier needs SourceType
    account.clock.advance(2 * 3600, 600);
    expect((account.handle('rds', 'DescribeEvents', {}) as { Events: unknown[] }).Events).toEqual([]);
    expect(() => account.handle('rds', 'DescribeEvents', { MaxRecords: 10 })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterValue' }),
    );
    expect(() => account.handle('rds', 'DescribeEvents', { SourceIdentifier: 'enterprise-prod-db' })).toThrow(
      expect.objectContaining({ name: 'InvalidParameterCombination' }),
    );
  });

  it('a snapshot puts the instance through backing-up and back, each an event', () => {
    const account = accountWith();
    account.handle('rds', 'CreateDBSnapshot', {
      DBInstanceIdentifier: 'enterprise-prod-db',
      DBSnapshotIdentifier: 'pre-deploy-x',
    });
    account.clock.advance(600);
    const messages = (
      account.handle('rds', 'DescribeEvents', {
        SourceType: 'db-instance',
        SourceIdentifier: 'enterprise-prod-db',
      }) as {
        Events: { Message: string }[];
      }
    ).Events.map((e) => e.Message);
    expect(messages).toEqual(['Backing up DB instance', 'Finished DB Instance backup']);
  });
});
