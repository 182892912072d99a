import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readChanges } from '../../../tasks/incident-response/read-changes.ts';
import { invoke } from '../../../tasks/worker.ts';
import { testClients } from '../support.ts';
import { at, now, request } from './request.ts';

const cloudtrail = mockClient(CloudTrailClient);
const clients = testClients();

const event = (over: {
  source: string;
  name: string;
  minutesBefore: number;
  user?: string;
  params: Record<string, unknown>;
}) => ({
  EventName: over.name,
  EventSource: over.source,
  EventTime: at(over.minutesBefore),
  Username: over.user ?? 'sam@company.com',
  CloudTrailEvent: JSON.stringify({ requestParameters: over.params }),
});

describe('read-changes', () => {
  beforeEach(() => {
    cloudtrail.reset();
  });

  it('looks up the write events of the last two hours, and keeps those that touch the service, newest first', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({
      Events: [
        event({
          source: 'ecs.amazonaws.com',
          name: 'UpdateService',
          minutesBefore: 20,
          params: { cluster: 'enterprise-prod-cluster', service: 'app-service', desiredCount: 3 },
        }),
        // Another service's change, and a table write: not the incident's
        event({
          source: 'ecs.amazonaws.com',
          name: 'UpdateService',
          minutesBefore: 25,
          params: { cluster: 'enterprise-dev-cluster', service: 'app', desiredCount: 1 },
        }),
        event({
          source: 'dynamodb.amazonaws.com',
          name: 'PutItem',
          minutesBefore: 26,
          params: { tableName: 'app-service' },
        }),
        event({
          source: 'ec2.amazonaws.com',
          name: 'RevokeSecurityGroupIngress',
          minutesBefore: 40,
          params: { groupId: 'sg-0123' },
        }),
        // A service of the same name in another cluster, and an EC2 write that is not a security group's
        event({
          source: 'ecs.amazonaws.com',
          name: 'UpdateService',
          minutesBefore: 27,
          params: { cluster: 'other-cluster', service: 'app-service', desiredCount: 9 },
        }),
        event({
          source: 'ec2.amazonaws.com',
          name: 'CreateTags',
          minutesBefore: 28,
          params: { resourcesSet: {} },
        }),
        event({
          source: 'application-autoscaling.amazonaws.com',
          name: 'RegisterScalableTarget',
          minutesBefore: 30,
          params: { resourceId: 'service/enterprise-prod-cluster/app-service', minCapacity: 1 },
        }),
        event({
          source: 'elasticloadbalancing.amazonaws.com',
          name: 'ModifyTargetGroup',
          minutesBefore: 35,
          params: { targetGroupArn: request.targetGroupArn, healthCheckPath: '/x' },
        }),
        event({
          source: 'rds.amazonaws.com',
          name: 'ModifyDBInstance',
          minutesBefore: 70,
          params: { dBInstanceIdentifier: 'enterprise-prod-db', dBInstanceClass: 'db.t4g.micro' },
        }),
      ],
    });
    const section = await invoke(readChanges, { request, now }, clients);
    expect(cloudtrail.commandCalls(LookupEventsCommand).map((c) => c.args[0].input)).toEqual([
      {
        LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }],
        StartTime: at(120),
        EndTime: new Date(now),
        MaxResults: 50,
      },
    ]);
    expect(section.lines).toEqual([
      '07:40:00Z (20 min ago) UpdateService by sam@company.com: desiredCount=3',
      '07:30:00Z (30 min ago) RegisterScalableTarget by sam@company.com: resourceId=service/enterprise-prod-cluster/app-service, minCapacity=1',
      `07:25:00Z (35 min ago) ModifyTargetGroup by sam@company.com: targetGroupArn=${request.targetGroupArn}, healthCheckPath=/x`,
      '07:20:00Z (40 min ago) RevokeSecurityGroupIngress by sam@company.com: groupId=sg-0123',
      '06:50:00Z (70 min ago) ModifyDBInstance by sam@company.com: dBInstanceIdentifier=enterprise-prod-db, dBInstanceClass=db.t4g.micro',
    ]);
    expect(section.attention).toEqual([
      '1 UpdateService call in the last 120 minutes, the latest 07:40:00Z (20 min ago) by sam@company.com',
      '4 other changes to the service, its scaler, target group or database',
    ]);
  });

  it('follows the pages, and shows a hostile user name harmlessly', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [], NextToken: 'p2' })
      .resolves({
        Events: [
          event({
            source: 'ecs.amazonaws.com',
            name: 'UpdateService',
            minutesBefore: 5,
            user: 'eve\u001b[2J',
            params: { cluster: 'enterprise-prod-cluster', service: 'app-service', forceNewDeployment: true },
          }),
        ],
      });
    const section = await invoke(readChanges, { request, now }, clients);
    // (the SDK's paginator reuses one input object: the last token is what it holds)
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(2);
    expect(cloudtrail.commandCalls(LookupEventsCommand)[1]?.args[0].input.NextToken).toBe('p2');
    expect(section.lines).toEqual([
      '07:55:00Z (5 min ago) UpdateService by eve\\x1b[2J: forceNewDeployment=true',
    ]);
  });

  it('says so when the account wrote more than the bound reads', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [], NextToken: 'more' });
    const section = await invoke(readChanges, { request, now }, clients);
    expect(cloudtrail.commandCalls(LookupEventsCommand)).toHaveLength(21);
    expect(section.attention).toEqual([
      'the account wrote more than the 0 events read in the last 120 minutes: older changes to the service may be missing',
    ]);
  });

  it('says so when nothing touched the service', async () => {
    cloudtrail.on(LookupEventsCommand).resolves({ Events: [] });
    const section = await invoke(readChanges, { request, now }, clients);
    expect(section).toMatchObject({
      attention: [],
      lines: ['no write event concerning the service was found'],
    });
  });

  it("a refusal is the section's error, for the Catch to keep", async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(invoke(readChanges, { request, now }, clients)).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });
});
