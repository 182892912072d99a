// Reading a run from Step Functions for the record: every page of each history, the definition
// that ran (or none, said so, where it cannot be read), and every nested execution it handed over to.
import {
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditReport } from '../../../tasks/audit/report.ts';
import { nestedArns, parseRunFile, readRun, runFileText } from '../../../tasks/audit/run-record.ts';
import { awsError } from '../support.ts';

const sfnMock = mockClient(SFNClient);
const sfn = new SFNClient({ region: 'us-east-1' });
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:runbook-production-deployment';
const RUN = 'arn:aws:states:us-east-1:123456789012:execution:runbook-production-deployment:run-1';
const CHILD = 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:child-1';
const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));

const started = (id: number, input: unknown): HistoryEvent => ({
  id,
  timestamp: at(0),
  type: 'ExecutionStarted',
  executionStartedEventDetails: { input: JSON.stringify(input), roleArn: 'arn:aws:iam::123456789012:role/r' },
});
const handOver: HistoryEvent = {
  id: 3,
  previousEventId: 2,
  timestamp: at(2),
  type: 'TaskSubmitted',
  taskSubmittedEventDetails: {
    resourceType: 'states',
    resource: 'startExecution.sync:2',
    output: JSON.stringify({ ExecutionArn: CHILD, StartDate: 1 }),
  },
};

describe('readRun', () => {
  beforeEach(() => sfnMock.reset());

  it('reads every page of the history, the definition, and the nested run it handed over to', async () => {
    sfnMock
      .on(GetExecutionHistoryCommand, { executionArn: RUN, nextToken: undefined })
      .resolves({
        events: [
          started(1, { requestedBy: 'dana' }),
          {
            id: 2,
            previousEventId: 1,
            timestamp: at(1),
            type: 'TaskStateEntered',
            stateEnteredEventDetails: { name: 'Roll Back' },
          },
        ],
        nextToken: 'page-2',
      })
      .on(GetExecutionHistoryCommand, { executionArn: RUN, nextToken: 'page-2' })
      .resolves({
        events: [
          handOver,
          { id: 4, timestamp: at(9), type: 'ExecutionFailed', executionFailedEventDetails: { error: 'E' } },
        ],
      })
      .on(GetExecutionHistoryCommand, { executionArn: CHILD })
      .resolves({
        events: [
          started(1, {}),
          {
            id: 2,
            timestamp: at(8),
            type: 'ExecutionSucceeded',
            executionSucceededEventDetails: { output: '{}' },
          },
        ],
      })
      .on(DescribeStateMachineForExecutionCommand, { executionArn: RUN })
      .resolves({
        stateMachineArn: MACHINE,
        definition: '{"Comment":"c","StartAt":"x","States":{}}',
      } as never)
      .on(DescribeStateMachineForExecutionCommand, { executionArn: CHILD })
      .rejects(awsError('AccessDeniedException', 'not allowed'));

    const records = await readRun(sfn, RUN, (arn) => arn.split(':').pop()?.replace('runbook-', '') ?? '');

    // Then each history was read whole, with the data in it, page by page
    const reads = sfnMock.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(reads).toEqual([
      { executionArn: RUN, maxResults: 1000, includeExecutionData: true, nextToken: undefined },
      { executionArn: RUN, maxResults: 1000, includeExecutionData: true, nextToken: 'page-2' },
      { executionArn: CHILD, maxResults: 1000, includeExecutionData: true, nextToken: undefined },
    ]);
    expect(records.map((r) => [r.executionArn, r.procedure, r.history.length, r.definition ?? null])).toEqual(
      [
        [RUN, 'production-deployment', 4, '{"Comment":"c","StartAt":"x","States":{}}'],
        [CHILD, 'rollback', 2, null],
      ],
    );
    // And the report says what logic ran where it could, and that it is not known where it could not
    const report = auditReport(records);
    expect(report.definition).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), comment: 'c' });
    expect(report.nested[0]?.report?.definition).toEqual({ sha256: null, comment: null });
    expect(report.nested[0]?.report?.status).toBe('SUCCEEDED');
    expect(report.started.requestedBy).toBe('dana');
  });

  it('fails, saying so, when a history cannot be read (nothing is reported from half a run)', async () => {
    sfnMock.on(GetExecutionHistoryCommand).rejects(awsError('ExecutionDoesNotExist', 'gone'));
    await expect(readRun(sfn, RUN, () => 'p')).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
  });

  it('reads a run record written by runFileText back as it was, dates included', () => {
    const records = [{ executionArn: RUN, procedure: 'p', history: [started(1, {}), handOver] }];
    const back = parseRunFile(runFileText(records), 'run.json');
    expect(back).toEqual(records);
    expect(nestedArns(back[0]?.history ?? [])).toEqual([CHILD]);
    // A byte-order mark is accepted
    expect(parseRunFile(`\uFEFF${runFileText(records)}`, 'bom.json')).toEqual(records);
  });
});

describe('run record files and hand-overs', () => {
  it('finds no hand-over in an output that is not JSON or names no execution', () => {
    const submitted = (output: string | undefined): HistoryEvent => ({
      id: 1,
      timestamp: at(1),
      type: 'TaskSubmitted',
      taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', output },
    });
    expect(
      nestedArns([
        submitted('not json'),
        submitted(JSON.stringify({ ExecutionArn: 7 })),
        submitted(undefined),
        submitted(JSON.stringify({ Payload: {} })),
      ]),
    ).toEqual([]);
  });

  it('refuses a file that is not a run record, naming the file and what is wrong', () => {
    expect(() => parseRunFile('{', 'a.json')).toThrow(/^a\.json: not JSON/);
    expect(() => parseRunFile('null', 'b.json')).toThrow(/^b\.json: not a run record/);
    expect(() => parseRunFile('{"format":"runbook-run/1"}', 'c.json')).toThrow(/^c\.json: not a run record/);
    expect(() => parseRunFile('{"format":"other","executions":[]}', 'd.json')).toThrow(
      /^d\.json: not a run record/,
    );
    expect(() => parseRunFile('{"format":"runbook-run/1","executions":[{"history":[]}]}', 'e.json')).toThrow(
      /^e\.json: executions\[0\] needs executionArn and history/,
    );
    expect(() =>
      parseRunFile('{"format":"runbook-run/1","executions":[{"executionArn":"x","history":{}}]}', 'f.json'),
    ).toThrow(/executions\[0\] needs/);
    expect(() => parseRunFile('{"format":"runbook-run/1","executions":[null]}', 'g.json')).toThrow(
      /executions\[0\]/,
    );
    expect(
      parseRunFile('{"format":"runbook-run/1","executions":[{"executionArn":"x","history":[]}]}', 'h.json'),
    ).toEqual([{ executionArn: 'x', procedure: '', history: [] }]);
  });
});
