import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkDbInstance, TERMINAL_STATES } from '../../../tasks/database/check-db-instance.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const DB = 'enterprise-prod-db-restore-202612011000';
const NOW = '2026-12-01T10:30:00.000Z';
const poll = { dbInstance: DB, failWith: 'RestoreFailed', attempt: 0, maxAttempts: 3, now: NOW };
const answer = (status: string) =>
  rdsMock.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: DB }).resolves({
    DBInstances: [{ DBInstanceIdentifier: DB, DBInstanceStatus: status, Endpoint: { Address: `${DB}.rds` } }],
  });

describe('check-db-instance', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('is done once the instance is available, with its endpoint', async () => {
    answer('available');
    expect(await invoke(checkDbInstance, poll, clients)).toEqual({
      done: true,
      attempt: 1,
      status: 'available',
      endpoint: `${DB}.rds`,
      // When it was seen available, for the run's figures
      at: NOW,
    });
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: DB },
    ]);
  });

  it('is not done while the instance is on its way, or not described yet', async () => {
    for (const status of ['creating', 'backing-up', 'renaming', 'modifying', 'rebooting']) {
      answer(status);
      expect(await invoke(checkDbInstance, { ...poll, attempt: 1 }, clients)).toEqual({
        done: false,
        attempt: 2,
        status,
        endpoint: null,
        at: NOW,
      });
    }
    rdsMock.reset();
    rdsMock.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault', 'not found'));
    expect(await invoke(checkDbInstance, poll, clients)).toMatchObject({ done: false, status: 'not found' });
  });

  it('ends at once on a terminal state, with the error asked for', async () => {
    for (const status of TERMINAL_STATES) {
      answer(status);
      for (const failWith of ['RestoreFailed', 'CutoverFailed'])
        await expect(invoke(checkDbInstance, { ...poll, failWith }, clients)).rejects.toMatchObject({
          name: failWith,
          message: `${DB} is ${status}: RDS will not make it available`,
        });
    }
    expect(TERMINAL_STATES).toContain('inaccessible-encryption-credentials');
    expect(TERMINAL_STATES).toContain('incompatible-restore');
  });

  it('ends when its budget is spent, and not a poll before', async () => {
    answer('creating');
    await expect(invoke(checkDbInstance, { ...poll, attempt: 2 }, clients)).rejects.toMatchObject({
      name: 'RestoreFailed',
      message: `${DB} was still creating after 3 polls`,
    });
    answer('available');
    expect(await invoke(checkDbInstance, { ...poll, attempt: 2 }, clients)).toMatchObject({ done: true });
  });

  it('refuses an error name it does not know, and surfaces throttling for the retry', async () => {
    await expect(invoke(checkDbInstance, { ...poll, failWith: 'Oops' }, clients)).rejects.toMatchObject({
      name: 'InvalidInput',
    });
    rdsMock.on(DescribeDBInstancesCommand).rejects(throttled());
    await expect(invoke(checkDbInstance, poll, clients)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
