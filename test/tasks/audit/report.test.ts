// The report from histories of unusual shapes: a redriven run, a nested run the record does not
// hold, a damaged timestamp, an approver whose identity the record lacks, a pipe in an ARN.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { markdownReport } from '../../../scripts/audit/markdown.ts';
import { auditReport } from '../../../tasks/audit/report.ts';

const RUN = 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:run-1';
let id = 0;
const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 10, 0, s));
const event = (s: number, type: string, extra: Record<string, unknown> = {}): HistoryEvent =>
  ({ id: ++id, previousEventId: id - 1, timestamp: at(s), type, ...extra }) as HistoryEvent;
const start = (input: unknown = {}) =>
  event(0, 'ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(input) } });
const entered = (s: number, name: string, type = 'Task') =>
  event(s, `${type}StateEntered`, { stateEnteredEventDetails: { name } });
const exited = (s: number, name: string, type = 'Task') =>
  event(s, `${type}StateExited`, { stateExitedEventDetails: { name, output: '{}' } });
const report = (history: HistoryEvent[]) =>
  auditReport([{ executionArn: RUN, procedure: 'rollback', history }]);

describe('the audit report of unusual histories', () => {
  it('reports a redriven run by its last end, counts the redrive, and folds no loop across it', () => {
    const history = [
      start(),
      entered(1, 'Restore Service'),
      event(2, 'LambdaFunctionScheduled'),
      event(3, 'LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error: 'E', cause: 'c' } }),
      event(4, 'ExecutionFailed', { executionFailedEventDetails: { error: 'E' } }),
      event(60, 'ExecutionRedriven', { executionRedrivenEventDetails: { redriveCount: 1 } }),
      entered(61, 'Restore Service'),
      event(62, 'LambdaFunctionScheduled'),
      event(63, 'LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: '{}' } }),
      exited(64, 'Restore Service'),
      event(65, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: '{}' } }),
    ];
    const r = report(history);
    expect([r.status, r.redrives, r.seconds]).toEqual(['SUCCEEDED', 1, 65]);
    expect(r.steps.map((s) => [s.kind, s.state])).toEqual([
      ['step', 'Restore Service'],
      ['step', 'Restore Service'],
    ]);
    // Still going after its redrive: RUNNING, not the failure before it
    expect(report(history.slice(0, 8)).status).toBe('RUNNING');
  });

  it('says a nested run is not in the record rather than leaving it out', () => {
    const child = 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:child';
    const r = report([
      start(),
      entered(1, 'Roll Back'),
      event(2, 'TaskScheduled'),
      event(3, 'TaskSubmitted', {
        taskSubmittedEventDetails: { output: JSON.stringify({ ExecutionArn: child }) },
      }),
    ]);
    expect(r.nested).toEqual([
      expect.objectContaining({ state: 'Roll Back', executionArn: child, report: null }),
    ]);
    expect(markdownReport(r)).toContain('Its history is not in the record');
  });

  it('survives a damaged timestamp, and names the state machine from the execution ARN', () => {
    const r = report([start(), { ...entered(1, 'A'), timestamp: new Date('nonsense') }, exited(2, 'A')]);
    expect(r.steps[0]).toMatchObject({ state: 'A', enteredAt: '', seconds: null });
    expect(r.stateMachine).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:runbook-rollback');
  });

  it('calls approvers independent only as the approval rules would: unknown identities are not', () => {
    const gate = (approvers: unknown[]) =>
      report([
        start({ requestedBy: 'dana@company.com' }),
        entered(1, 'Wait For Approval'),
        event(2, 'TaskScheduled'),
        event(3, 'TaskSubmitted', {
          taskSubmittedEventDetails: {
            output: JSON.stringify({ Payload: { approvalId: 'a1', summary: {} } }),
          },
        }),
        event(4, 'TaskSucceeded', {
          taskSucceededEventDetails: {
            output: JSON.stringify({
              decision: 'approved',
              approvers,
              startedBy: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Operator_x/Dana@Company.com',
            }),
          },
        }),
        exited(5, 'Wait For Approval'),
      ]).approvals[0]?.independent;
    const sso = (person: string) =>
      `arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approver_x/${person}`;
    expect(gate([{ person: 'erin', arn: sso('erin') }])).toBe(true);
    // The requester under another of their roles, whatever the case of the name
    expect(gate([{ person: 'DANA@company.com', arn: sso('DANA@company.com') }])).toBe(false);
    expect(gate([{ person: 'erin', arn: null }])).toBe(false);
    // Whoever's session carries the requester's name is refused by the rules, and so not independent here
    expect(
      gate([{ person: 'x', arn: 'arn:aws:sts::123456789012:assumed-role/deployer/Dana@Company.com' }]),
    ).toBe(false);
    // The same role session name as the starter's, but on a role that is not personal: only the ARN counts
    expect(gate([{ person: 'ops', arn: 'arn:aws:sts::123456789012:assumed-role/deployer/ops' }])).toBe(true);
  });

  it('keeps a pipe in an ARN or a time from splitting a Markdown table cell', () => {
    const r = report([start({ requestedBy: 'a|b' }), entered(1, 'A|B'), exited(2, 'A|B')]);
    const text = markdownReport({ ...r, executionArn: `${RUN}|x` });
    for (const line of text.split('\n').filter((l) => l.startsWith('| Execution') || l.startsWith('| 1 ')))
      expect(line.match(/(?<!\\)\|/g)?.length).toBe(line.startsWith('| 1 ') ? 7 : 3);
  });
});
