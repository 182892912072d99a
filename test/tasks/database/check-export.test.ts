import { DescribeExportTasksCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkExport } from '../../../tasks/database/check-export.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const rdsMock = mockClient(RDSClient);
const clients = testClients();
const poll = { taskId: 'export-1', attempt: 0, maxAttempts: 3 };
const given = (task: Record<string, unknown>) =>
  rdsMock
    .on(DescribeExportTasksCommand, { ExportTaskIdentifier: 'export-1' })
    .resolves({ ExportTasks: [task] });

describe('check-export', () => {
  beforeEach(() => {
    rdsMock.reset();
  });

  it('is done once COMPLETE', async () => {
    given({ Status: 'COMPLETE', PercentProgress: 100 });
    expect(await invoke(checkExport, poll, clients)).toEqual({
      done: true,
      attempt: 1,
      status: 'COMPLETE',
      progress: 100,
    });
    expect(rdsMock).toHaveReceivedCommandExactlyOnceWith(DescribeExportTasksCommand, {
      ExportTaskIdentifier: 'export-1',
    });
  });

  it.each(['STARTING', 'IN_PROGRESS'])('is not done while %s, with its progress', async (status) => {
    given({ Status: status, PercentProgress: 30 });
    expect(await invoke(checkExport, { ...poll, attempt: 1 }, clients)).toEqual({
      done: false,
      attempt: 2,
      status,
      progress: 30,
    });
  });

  it.each([
    ['FAILED', 'Access Denied', 'export export-1 is FAILED: Access Denied; the snapshot is kept'],
    ['CANCELED', undefined, 'export export-1 is CANCELED; the snapshot is kept'],
    ['CANCELING', undefined, 'export export-1 is CANCELING; the snapshot is kept'],
  ])('ends with ExportFailed when %s', async (status, cause, message) => {
    given({ Status: status, ...(cause && { FailureCause: cause }) });
    await expect(invoke(checkExport, poll, clients)).rejects.toMatchObject({ name: 'ExportFailed', message });
  });

  it('ends with ExportFailed once its budget is spent, saying it may still complete', async () => {
    given({ Status: 'IN_PROGRESS', PercentProgress: 80 });
    await expect(invoke(checkExport, { ...poll, attempt: 2 }, clients)).rejects.toMatchObject({
      name: 'ExportFailed',
      message:
        'export export-1 was still IN_PROGRESS (80%) after 3 polls; it may still complete, the snapshot is kept',
    });
  });

  it.each(['ExportTaskNotFoundFault', 'ExportTaskNotFound'])(
    'ends with ExportFailed when RDS answers %s',
    async (name) => {
      rdsMock.on(DescribeExportTasksCommand).rejects(awsError(name, 'gone'));
      await expect(invoke(checkExport, poll, clients)).rejects.toMatchObject({
        name: 'ExportFailed',
        message: 'export task export-1 does not exist',
      });
    },
  );

  it('ends with ExportFailed when RDS lists no such task, or one without a status', async () => {
    rdsMock.on(DescribeExportTasksCommand).resolves({ ExportTasks: [] });
    await expect(invoke(checkExport, poll, clients)).rejects.toMatchObject({
      message: 'export export-1 is missing; the snapshot is kept',
    });
    rdsMock.on(DescribeExportTasksCommand).resolves({});
    await expect(invoke(checkExport, poll, clients)).rejects.toMatchObject({
      message: 'export export-1 is missing; the snapshot is kept',
    });
  });

  it('reads a running task without progress as 0 %', async () => {
    given({ Status: 'IN_PROGRESS' });
    expect(await invoke(checkExport, poll, clients)).toMatchObject({ progress: 0 });
  });

  it('surfaces throttling as TransientAwsError naming the call, and another error as it is', async () => {
    rdsMock.on(DescribeExportTasksCommand).rejects(throttled());
    await expect(invoke(checkExport, poll, clients)).rejects.toMatchObject({
      name: 'TransientAwsError',
      message: expect.stringContaining('RDS DescribeExportTasks'),
    });
    rdsMock.on(DescribeExportTasksCommand).rejects(awsError('AccessDenied', 'no'));
    await expect(invoke(checkExport, poll, clients)).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('words its result for a person following the run', () => {
    expect(checkExport.summarize?.({ done: false, attempt: 1, status: 'IN_PROGRESS', progress: 40 })).toBe(
      'IN_PROGRESS 40%',
    );
  });
});
