import { DescribeExportTasksCommand, RDSClient, StartExportTaskCommand } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { startExport } from '../../../tasks/database/start-export.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const snapshotArn =
  'arn:aws:rds:us-east-1:123456789012:snapshot:manual-enterprise-prod-db-202612020900-1a2b3c4d';
const input = {
  taskId: 'export-202612020900-1a2b3c4d',
  snapshotArn,
  bucket: 'runbook-exports',
  prefix: 'prod/main',
  roleArn: 'arn:aws:iam::123456789012:role/export',
  kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
};
const location = 's3://runbook-exports/prod/main/export-202612020900-1a2b3c4d/';

describe('start-export', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('starts the export with the bucket, prefix, role and key, and says where it goes', async () => {
    rdsMock.on(StartExportTaskCommand).resolves({ Status: 'STARTING' });
    const result = await invoke(startExport, input, clients);
    expect(result).toEqual({ taskId: input.taskId, status: 'STARTING', location });
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(StartExportTaskCommand, {
      ExportTaskIdentifier: input.taskId,
      SourceArn: snapshotArn,
      S3BucketName: 'runbook-exports',
      S3Prefix: 'prod/main',
      IamRoleArn: input.roleArn,
      KmsKeyId: input.kmsKeyArn,
    });
  });

  it.each(['ExportTaskAlreadyExistsFault', 'ExportTaskAlreadyExists'])(
    'takes an existing task of its id exporting the same snapshot as its own (a retry), on %s',
    async (name) => {
      rdsMock.on(StartExportTaskCommand).rejects(awsError(name, 'exists'));
      rdsMock
        .on(DescribeExportTasksCommand)
        .resolves({ ExportTasks: [{ SourceArn: snapshotArn, Status: 'IN_PROGRESS' }] });
      expect(await invoke(startExport, input, clients)).toEqual({
        taskId: input.taskId,
        status: 'IN_PROGRESS',
        location,
      });
      expect(rdsMock).toHaveReceivedCommandWith(DescribeExportTasksCommand, {
        ExportTaskIdentifier: input.taskId,
      });
    },
  );

  it('reads a task without a status as STARTING, and one RDS no longer lists as not its own', async () => {
    rdsMock.on(StartExportTaskCommand).resolves({});
    expect(await invoke(startExport, input, clients)).toMatchObject({ status: 'STARTING' });
    rdsMock.on(StartExportTaskCommand).rejects(awsError('ExportTaskAlreadyExistsFault', 'exists'));
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [{ SourceArn: snapshotArn }] });
    expect(await invoke(startExport, input, clients)).toMatchObject({ status: 'STARTING' });
    rdsMock.on(DescribeExportTasksCommand).resolves({});
    await expect(invoke(startExport, input, clients)).rejects.toMatchObject({
      name: 'ExportFailed',
      message: `export task ${input.taskId} already exists for another source (undefined)`,
    });
  });

  it('surfaces throttling while reading the existing task as TransientAwsError naming the call', async () => {
    rdsMock.on(StartExportTaskCommand).rejects(awsError('ExportTaskAlreadyExistsFault', 'exists'));
    rdsMock.on(DescribeExportTasksCommand).rejects(throttled());
    await expect(invoke(startExport, input, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('RDS DescribeExportTasks'),
    });
  });

  it('words its result for a person following the run', () => {
    expect(startExport.summarize?.({ taskId: 'export-1', status: 'STARTING', location })).toBe(
      `export-1 STARTING to ${location}`,
    );
  });

  it('refuses a task of its id exporting another source', async () => {
    rdsMock.on(StartExportTaskCommand).rejects(awsError('ExportTaskAlreadyExistsFault', 'exists'));
    rdsMock
      .on(DescribeExportTasksCommand)
      .resolves({ ExportTasks: [{ SourceArn: 'arn:other', Status: 'COMPLETE' }] });
    await expect(invoke(startExport, input, clients)).rejects.toMatchObject({
      name: 'ExportFailed',
      message: `export task ${input.taskId} already exists for another source (arn:other)`,
    });
  });

  it.each([
    'InvalidExportSourceStateFault',
    'InvalidExportSourceState',
    'DBSnapshotNotFoundFault',
    'DBSnapshotNotFound',
    'IamRoleNotFoundFault',
    'IamRoleMissingPermissionsFault',
    'InvalidS3BucketFault',
    'KMSKeyNotAccessibleFault',
    'InvalidExportOnlyFault',
    'InvalidParameterValue',
    'InvalidParameterCombination',
  ])('ends with ExportFailed on %s, with RDS’s words', async (name) => {
    const refusal = awsError(name, 'no');
    rdsMock.on(StartExportTaskCommand).rejects(refusal);
    await expect(invoke(startExport, input, clients)).rejects.toMatchObject({
      name: 'ExportFailed',
      message: `cannot export ${snapshotArn}: ${name}: no`,
      cause: refusal,
    });
  });

  it('surfaces throttling as TransientAwsError, and an unknown error as it is', async () => {
    rdsMock.on(StartExportTaskCommand).rejects(throttled());
    await expect(invoke(startExport, input, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('RDS StartExportTask'),
    });
    rdsMock.on(StartExportTaskCommand).rejects(awsError('AccessDenied', 'denied'));
    await expect(invoke(startExport, input, clients)).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it.each(['snapshotArn', 'roleArn', 'kmsKeyArn'])(
    'refuses a %s that is not an ARN before calling RDS',
    async (field) => {
      await expect(invoke(startExport, { ...input, [field]: 'not-an-arn' }, clients)).rejects.toMatchObject({
        name: 'InvalidInput',
        message: expect.stringContaining(field),
      });
      expect(rdsMock.calls()).toHaveLength(0);
    },
  );

  it('refuses a task id longer than RDS allows before calling it', async () => {
    await expect(invoke(startExport, { ...input, taskId: 'x'.repeat(61) }, clients)).rejects.toMatchObject({
      name: 'InvalidInput',
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});
