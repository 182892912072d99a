// The archive's workers: archive-run writes an ended run's record and report once (a second
// delivery writes nothing), leaves a running one alone, and surfaces transient failures for a retry;
// sweep-archive finds the ended runs of the window not archived yet, bounded per run.
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { archiveRun } from '../../../tasks/audit/archive-run.ts';
import { sweepArchive } from '../../../tasks/audit/sweep-archive.ts';
import { TransientAwsError } from '../../../tasks/errors.ts';
import { invoke } from '../../../tasks/worker.ts';
import { awsError, testClients, throttled } from '../support.ts';

const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const clients = testClients();
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:runbook-rollback';
const RUN = 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:run-1';
const STARTED = new Date('2026-12-01T09:00:00Z');
const KEY = 'runs/rollback/2026-12-01/run-1/run.json';
const history: HistoryEvent[] = [
  {
    id: 1,
    timestamp: STARTED,
    type: 'ExecutionStarted',
    executionStartedEventDetails: {
      input: '{"requestedBy":"dana"}',
      roleArn: 'arn:aws:iam::123456789012:role/r',
    },
  },
  { id: 2, previousEventId: 1, timestamp: new Date('2026-12-01T09:05:00Z'), type: 'ExecutionSucceeded' },
];
const notFound = () =>
  Object.assign(awsError('NotFound', 'Not Found'), { $metadata: { httpStatusCode: 404 } });

beforeEach(() => {
  sfnMock.reset();
  s3Mock.reset();
  sfnMock
    .on(DescribeExecutionCommand)
    .resolves({
      executionArn: RUN,
      stateMachineArn: MACHINE,
      status: 'SUCCEEDED',
      startDate: STARTED,
    } as never)
    .on(GetExecutionHistoryCommand)
    .resolves({ events: history })
    .on(DescribeStateMachineForExecutionCommand)
    .resolves({ stateMachineArn: MACHINE, definition: '{"StartAt":"x","States":{}}' } as never);
  s3Mock.on(HeadObjectCommand).rejects(notFound()).on(PutObjectCommand).resolves({});
});

describe('archive-run', () => {
  const event = { bucket: 'archive-bucket', executionArn: RUN };

  it('writes the report, then the run record, under the procedure and the day it started, with the hash', async () => {
    const result = await invoke(archiveRun, event, clients);
    expect(result).toEqual({ archived: true, key: KEY, events: 2 });
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => p.Key)).toEqual(['runs/rollback/2026-12-01/run-1/report.json', KEY]);
    for (const put of puts)
      expect(put).toMatchObject({
        Bucket: 'archive-bucket',
        ContentType: 'application/json',
        Metadata: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), execution: RUN },
      });
    const record = JSON.parse(String(puts[1]?.Body));
    expect(record).toMatchObject({
      format: 'runbook-run/1',
      executions: [{ executionArn: RUN, procedure: 'rollback' }],
    });
    const report = JSON.parse(String(puts[0]?.Body));
    expect(report).toMatchObject({
      format: 'runbook-audit/1',
      status: 'SUCCEEDED',
      started: { requestedBy: 'dana' },
    });
    expect(s3Mock.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'archive-bucket',
      Key: KEY,
    });
  });

  it('writes nothing again when the same record is there already (a second delivery of the event)', async () => {
    await invoke(archiveRun, event, clients);
    const sha256 = s3Mock.commandCalls(PutObjectCommand)[1]?.args[0].input.Metadata?.sha256;
    s3Mock.reset();
    s3Mock.on(HeadObjectCommand).resolves({ Metadata: { sha256: String(sha256) } });
    expect(await invoke(archiveRun, event, clients)).toEqual({
      archived: false,
      key: KEY,
      reason: 'unchanged',
    });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('writes a record that changed since (a redriven run that ended again) as a new version', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ Metadata: { sha256: 'f'.repeat(64) } });
    expect(await invoke(archiveRun, event, clients)).toMatchObject({ archived: true });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('takes a missing key however S3 says it (NotFound, NoSuchKey, a bare 404) as not archived yet', async () => {
    for (const missing of [
      awsError('NoSuchKey', 'gone'),
      Object.assign(awsError('UnknownError', ''), { $metadata: { httpStatusCode: 404 } }),
    ]) {
      s3Mock.reset();
      s3Mock.on(HeadObjectCommand).rejects(missing).on(PutObjectCommand).resolves({});
      expect(await invoke(archiveRun, event, clients)).toMatchObject({ archived: true });
    }
    // And a record there without metadata is one to write again
    s3Mock.reset();
    s3Mock.on(HeadObjectCommand).resolves({}).on(PutObjectCommand).resolves({});
    expect(await invoke(archiveRun, event, clients)).toMatchObject({ archived: true });
  });

  it('leaves a run that runs (again) alone: nothing read, nothing written', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' } as never);
    expect(await invoke(archiveRun, event, clients)).toEqual({
      archived: false,
      key: null,
      reason: 'running',
    });
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('surfaces a throttled write as TransientAwsError, so the invocation is retried, and an access denial as itself', async () => {
    s3Mock.on(PutObjectCommand).rejects(throttled());
    await expect(invoke(archiveRun, event, clients)).rejects.toBeInstanceOf(TransientAwsError);
    s3Mock.on(HeadObjectCommand).rejects(awsError('AccessDenied', 'Access Denied'));
    await expect(invoke(archiveRun, event, clients)).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

describe('sweep-archive', () => {
  const ended = (n: number, startDate: Date, stopped = true) => ({
    executionArn: `${RUN.replace('run-1', `run-${n}`)}`,
    stateMachineArn: MACHINE,
    name: `run-${n}`,
    status: stopped ? 'SUCCEEDED' : 'RUNNING',
    startDate,
    ...(stopped && { stopDate: new Date(startDate.getTime() + 60_000) }),
  });
  const event = {
    bucket: 'archive-bucket',
    stateMachineArns: [MACHINE],
    now: '2026-12-02T00:00:00.000Z',
    sinceDays: 10,
  };

  it('archives the ended runs of the window that are not archived, skips those that are, reads no older page', async () => {
    sfnMock
      .on(ListExecutionsCommand, { stateMachineArn: MACHINE, nextToken: undefined })
      .resolves({
        executions: [ended(1, STARTED), ended(2, STARTED, false), ended(3, STARTED)] as never,
        nextToken: 'p2',
      })
      .on(ListExecutionsCommand, { stateMachineArn: MACHINE, nextToken: 'p2' })
      .resolves({ executions: [ended(4, new Date('2026-11-01T00:00:00Z'))] as never, nextToken: 'p3' });
    s3Mock
      .on(HeadObjectCommand, { Key: 'runs/rollback/2026-12-01/run-3/run.json' })
      .resolves({ Metadata: { sha256: 'a'.repeat(64) } });
    const result = await invoke(sweepArchive, event, clients);
    expect(result).toEqual({
      checked: 2,
      archived: ['runs/rollback/2026-12-01/run-1/run.json'],
      failed: [],
      more: false,
    });
    // (page 2 reached past the window: page 3 was never asked for)
    expect(sfnMock.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input.nextToken)).toEqual([
      undefined,
      'p2',
    ]);
  });

  it('passes over a run it cannot archive, says so, and archives the others', async () => {
    sfnMock
      .on(ListExecutionsCommand)
      .resolves({ executions: [ended(1, STARTED), ended(3, STARTED)] as never });
    sfnMock
      .on(GetExecutionHistoryCommand, { executionArn: RUN })
      .rejects(awsError('AccessDeniedException', 'not allowed'));
    const result = await invoke(sweepArchive, event, clients);
    expect(result).toMatchObject({
      archived: ['runs/rollback/2026-12-01/run-3/run.json'],
      failed: [{ executionArn: RUN, error: 'AccessDeniedException: not allowed' }],
      more: false,
    });
  });

  it('archives again a run redriven since its record was written, and records the redrive count', async () => {
    sfnMock
      .on(ListExecutionsCommand)
      .resolves({ executions: [{ ...ended(1, STARTED), redriveCount: 1 }, ended(3, STARTED)] as never });
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: RUN,
      stateMachineArn: MACHINE,
      status: 'SUCCEEDED',
      startDate: STARTED,
      redriveCount: 1,
    } as never);
    s3Mock.on(HeadObjectCommand).resolves({ Metadata: { sha256: 'a'.repeat(64), redrives: '0' } });
    const result = await invoke(sweepArchive, event, clients);
    expect(result).toMatchObject({ archived: ['runs/rollback/2026-12-01/run-1/run.json'] });
    expect(s3Mock.commandCalls(PutObjectCommand)[1]?.args[0].input.Metadata?.redrives).toBe('1');
  });

  it("counts a run it could not archive toward its limit, reads runs that started at the window's edge, skips runs without a start", async () => {
    const edge = new Date(Date.parse(event.now) - 10 * 86_400_000);
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        { executionArn: RUN, status: 'SUCCEEDED' },
        ended(1, STARTED),
        ended(3, edge),
        ended(5, STARTED),
      ] as never,
    });
    sfnMock
      .on(GetExecutionHistoryCommand, { executionArn: RUN })
      .rejects(awsError('AccessDeniedException', 'no'));
    const result = await invoke(sweepArchive, { ...event, limit: 2 }, clients);
    expect(result).toMatchObject({
      checked: 3,
      failed: [{ executionArn: RUN }],
      // (written under the start date Step Functions describes: the mock's)
      archived: ['runs/rollback/2026-12-01/run-3/run.json'],
      more: true,
    });
  });

  it('stops at its limit and says more are left, for the next run', async () => {
    sfnMock
      .on(ListExecutionsCommand)
      .resolves({ executions: [ended(1, STARTED), ended(3, STARTED), ended(5, STARTED)] as never });
    const result = await invoke(sweepArchive, { ...event, limit: 1 }, clients);
    expect(result).toMatchObject({ archived: ['runs/rollback/2026-12-01/run-1/run.json'], more: true });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  it('refuses a window past what Step Functions keeps (90 days) as invalid input', async () => {
    await expect(invoke(sweepArchive, { ...event, sinceDays: 90 }, clients)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('sinceDays'),
    });
  });
});
