import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { renameInstance } from '../../../tasks/database/rename-instance.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const FROM = 'enterprise-prod-db';
const TO = 'enterprise-prod-db-pre-restore-202612011000';
const present = (id: string, status = 'available') =>
  rdsMock
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id })
    .resolves({ DBInstances: [{ DBInstanceIdentifier: id, DBInstanceStatus: status }] });
const absent = (id: string) =>
  rdsMock
    .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: id })
    .rejects(awsError('DBInstanceNotFoundFault', `DBInstance ${id} not found.`));

describe('rename-instance', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('renames at once (ApplyImmediately), as one ModifyDBInstance', async () => {
    present(FROM);
    rdsMock
      .on(ModifyDBInstanceCommand)
      .resolves({ DBInstance: { DBInstanceIdentifier: TO, DBInstanceStatus: 'renaming' } });
    expect(await invoke(renameInstance, { from: FROM, to: TO }, clients)).toEqual({
      from: FROM,
      to: TO,
      status: 'renaming',
      already: false,
    });
    expect(rdsMock.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: FROM, NewDBInstanceIdentifier: TO, ApplyImmediately: true },
    ]);
  });

  it('a retry after the rename went through does not rename again', async () => {
    absent(FROM);
    present(TO, 'renaming');
    expect(await invoke(renameInstance, { from: FROM, to: TO }, clients)).toMatchObject({
      already: true,
      status: 'renaming',
    });
    expect(rdsMock.commandCalls(ModifyDBInstanceCommand)).toEqual([]);
  });

  it('fails with CutoverFailed when neither exists, or RDS refuses', async () => {
    absent(FROM);
    absent(TO);
    await expect(invoke(renameInstance, { from: FROM, to: TO }, clients)).rejects.toMatchObject({
      name: 'CutoverFailed',
      message: `neither ${FROM} nor ${TO} exists: nothing to rename`,
    });
    for (const refusal of ['DBInstanceAlreadyExistsFault', 'InvalidDBInstanceStateFault']) {
      rdsMock.reset();
      present(FROM);
      rdsMock.on(ModifyDBInstanceCommand).rejects(awsError(refusal, 'no'));
      await expect(invoke(renameInstance, { from: FROM, to: TO }, clients)).rejects.toMatchObject({
        name: 'CutoverFailed',
        message: `RDS refused to rename ${FROM} to ${TO} (${refusal}: no)`,
      });
    }
  });

  it('surfaces throttling as TransientAwsError, for the state machine to retry', async () => {
    present(FROM);
    rdsMock.on(ModifyDBInstanceCommand).rejects(throttled());
    await expect(invoke(renameInstance, { from: FROM, to: TO }, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});
