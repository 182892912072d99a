import { DescribeDBInstancesCommand, DescribeEventsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readDatabase } from '../../../tasks/incident-response/read-database.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients } from '../support.ts';
import { at, now, request } from './request.ts';

const rds = mockClient(RDSClient);
const clients = testClients();
const instance = (status: string) => ({
  DBInstances: [
    {
      DBInstanceStatus: status,
      DBInstanceClass: 'db.r6g.large',
      MultiAZ: true,
      Engine: 'postgres',
      EngineVersion: '15.4',
      PendingModifiedValues: {},
    },
  ],
});

describe('read-database', () => {
  beforeEach(() => {
    rds.reset();
  });

  it("reads the service's instance and its events of the last day, newest first; trouble stands out", async () => {
    rds.on(DescribeDBInstancesCommand).resolves(instance('storage-full'));
    rds.on(DescribeEventsCommand).resolves({
      Events: [
        { Date: at(300), Message: 'Backing up DB instance', EventCategories: ['backup'] },
        {
          Date: at(30),
          Message: 'Allocated storage has been exhausted. Allocate additional storage to resolve the issue.',
          EventCategories: ['low storage'],
        },
      ],
    });
    const section = await invoke(readDatabase, { request, now }, clients);
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'enterprise-prod-db',
    });
    expect(rds.commandCalls(DescribeEventsCommand)[0]?.args[0].input).toEqual({
      SourceType: 'db-instance',
      SourceIdentifier: 'enterprise-prod-db',
      StartTime: at(24 * 60),
      EndTime: new Date(now),
      MaxRecords: 100,
    });
    expect(section.attention).toEqual([
      'enterprise-prod-db is storage-full, not available',
      '07:30:00Z (30 min ago) Allocated storage has been exhausted. Allocate additional storage to resolve the issue.',
    ]);
    expect(section.lines).toEqual([
      'enterprise-prod-db: storage-full, db.r6g.large, Multi-AZ, postgres 15.4',
      '07:30:00Z (30 min ago) Allocated storage has been exhausted. Allocate additional storage to resolve the issue.',
      '03:00:00Z (300 min ago) Backing up DB instance',
    ]);
  });

  it.each(['failure', 'availability', 'failover', 'recovery'])(
    'an event of the %s category stands out',
    async (category) => {
      rds.on(DescribeDBInstancesCommand).resolves(instance('available'));
      rds
        .on(DescribeEventsCommand)
        .resolves({ Events: [{ Date: at(10), Message: 'something', EventCategories: [category] }] });
      expect((await invoke(readDatabase, { request, now }, clients)).attention).toEqual([
        '07:50:00Z (10 min ago) something',
      ]);
    },
  );

  it('an instance backing up with routine events: nothing stands out', async () => {
    rds.on(DescribeDBInstancesCommand).resolves(instance('backing-up'));
    rds.on(DescribeEventsCommand).resolves({
      Events: [{ Date: at(60), Message: 'Finished DB Instance backup', EventCategories: ['backup'] }],
    });
    expect((await invoke(readDatabase, { request, now }, clients)).attention).toEqual([]);
  });

  it('an instance that does not exist stands out; a service with no database reads nothing', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault', 'gone'));
    expect((await invoke(readDatabase, { request, now }, clients)).attention).toEqual([
      'enterprise-prod-db does not exist',
    ]);
    expect(rds.commandCalls(DescribeEventsCommand)).toEqual([]);
    rds.reset();
    const none = await invoke(readDatabase, { request: { ...request, database: null }, now }, clients);
    expect(none).toMatchObject({ attention: [], lines: [] });
    expect(rds.calls()).toEqual([]);
  });
});
