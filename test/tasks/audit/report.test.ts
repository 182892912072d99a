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

describe('the audit report, piece by piece', () => {
  const CHILD = 'arn:aws:states:us-east-1:123456789012:execution:runbook-rollback:child-1';
  const lambda = (s: number, state: string, output: unknown, type = 'Task') => [
    entered(s, state, type),
    event(s, 'LambdaFunctionScheduled'),
    event(s, 'LambdaFunctionStarted'),
    event(s + 1, 'LambdaFunctionSucceeded', {
      lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
    }),
    exited(s + 1, state, type),
  ];
  const failedLambda = (s: number, error: string, cause: unknown) =>
    event(s, 'LambdaFunctionFailed', {
      lambdaFunctionFailedEventDetails: {
        error,
        cause: typeof cause === 'string' ? cause : JSON.stringify(cause),
      },
    });
  const poll = (s: number, n: number, done: boolean) => [
    ...lambda(s, 'Check Rollout', { done, attempt: n }),
    entered(s + 2, 'Rollout Complete?', 'Choice'),
    exited(s + 2, 'Rollout Complete?', 'Choice'),
    ...(done
      ? []
      : [entered(s + 2, 'Wait Before Next Check', 'Wait'), exited(s + 17, 'Wait Before Next Check', 'Wait')]),
  ];
  const deployment = () => [
    start({
      requestedBy: 'dana',
      reason: 'why',
      changeRequest: 'CHG-1',
      environment: 'prod',
      service: 'app',
    }),
    ...lambda(1, 'Capture Baseline', { taskDefinition: 'td:41', desiredCount: 3, runningCount: 3 }),
    entered(3, 'Wait For Approval'),
    event(3, 'TaskScheduled'),
    event(3, 'TaskStarted'),
    event(4, 'TaskSubmitted', {
      taskSubmittedEventDetails: {
        output: JSON.stringify({
          Payload: {
            approvalId: 'ap1',
            expiresAt: 'later',
            summaryHash: 'h'.repeat(64),
            required: 2,
            summary: { requestedBy: 'dana' },
          },
        }),
      },
    }),
    event(30, 'TaskSucceeded', {
      taskSucceededEventDetails: {
        output: JSON.stringify({
          decision: 'approved',
          approvalId: 'ap1',
          approvers: [
            {
              person: 'erin',
              arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_x/erin',
              at: 'e-at',
              comment: 'ok',
            },
          ],
          decidedAt: 'decided-at',
          requestedAt: 'requested-at',
          summaryHash: 'h'.repeat(64),
          startedBy: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_O_x/dana',
          refused: [
            {
              arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_O_x/dana',
              at: 'r-at',
              code: 'SelfApproval',
            },
          ],
        }),
      },
    }),
    exited(30, 'Wait For Approval'),
    ...lambda(31, 'Update Service', { taskDefinition: 'td:42', desiredCount: 3, deploymentId: 'd1' }),
    ...poll(40, 1, false),
    entered(60, 'Check Rollout'),
    event(60, 'LambdaFunctionScheduled'),
    failedLambda(61, 'TransientAwsError', 'throttled'),
    event(62, 'LambdaFunctionScheduled'),
    failedLambda(63, 'DeploymentFailed', {
      errorType: 'DeploymentFailed',
      errorMessage: 'tasks failed to start',
    }),
    exited(63, 'Check Rollout'),
    entered(64, 'Roll Back'),
    event(64, 'TaskScheduled'),
    event(65, 'TaskSubmitted', {
      taskSubmittedEventDetails: { output: JSON.stringify({ ExecutionArn: CHILD }) },
    }),
    event(200, 'TaskSucceeded', { taskSucceededEventDetails: { output: '{}' } }),
    exited(200, 'Roll Back'),
    entered(201, 'Rolled Back', 'Fail'),
    event(201, 'ExecutionFailed', {
      executionFailedEventDetails: { error: 'DeploymentRolledBack', cause: 'rolled back' },
    }),
  ];
  const rollback = () => {
    const saved = id;
    id = 0;
    const h = [
      event(65, 'ExecutionStarted', { executionStartedEventDetails: { input: '{}' } }),
      ...lambda(66, 'Restore Service', { taskDefinition: 'td:41', desiredCount: 3, deploymentId: 'd2' }),
      ...poll(70, 1, false),
      ...poll(90, 2, true),
      event(199, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: '{}' } }),
    ];
    id = saved;
    return h;
  };
  const full = () => {
    id = 0;
    const parent = deployment();
    return auditReport([
      {
        executionArn: RUN.replace(
          'runbook-rollback:run-1',
          'runbook-production-deployment:prod-app-4f1c2a9e-ci77',
        ),
        procedure: 'production-deployment',
        history: parent,
        definition: '{"Comment":"Runbook (runbook-as-code 1.2.3)","StartAt":"x","States":{}}',
      },
      { executionArn: CHILD, procedure: 'rollback', history: rollback() },
    ]);
  };

  it('says who asked, why, how it was started, and which definition ran', () => {
    const r = full();
    expect(r.started).toMatchObject({
      requestedBy: 'dana',
      startedBy: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_O_x/dana',
      via: 'ci',
      ciRunId: '77',
      reason: 'why',
      changeRequest: 'CHG-1',
    });
    expect(r.definition).toEqual({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      comment: 'Runbook (runbook-as-code 1.2.3)',
    });
    expect([r.status, r.outcome, r.seconds, r.events, r.truncated, r.redrives]).toEqual([
      'FAILED',
      { status: 'FAILED', error: 'DeploymentRolledBack', cause: 'rolled back' },
      201,
      expect.any(Number),
      false,
      0,
    ]);
  });

  it('records the approval as it was asked and decided, with the refused attempt', () => {
    expect(full().approvals).toEqual([
      {
        gate: 'Wait For Approval',
        approvalId: 'ap1',
        requestedAt: 'requested-at',
        expiresAt: 'later',
        required: 2,
        summary: { requestedBy: 'dana' },
        summaryHash: 'h'.repeat(64),
        decision: 'approved',
        decidedAt: 'decided-at',
        approvers: [
          {
            person: 'erin',
            arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_x/erin',
            at: 'e-at',
            comment: 'ok',
          },
        ],
        refused: [
          {
            arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_O_x/dana',
            at: 'r-at',
            code: 'SelfApproval',
          },
        ],
        reason: null,
        independent: true,
      },
    ]);
  });

  it('lists each step with its attempts and errors, folds the poll loop, and tells the catch', () => {
    const r = full();
    const rows = r.steps.map((s) =>
      s.kind === 'loop'
        ? ['loop', s.state, s.polls, s.first, s.last, s.seconds, s.caught?.error ?? null]
        : ['step', s.state, s.type, s.attempts, s.seconds, s.caught?.error ?? null],
    );
    expect(rows).toEqual([
      ['step', 'Capture Baseline', 'Task', 1, 1, null],
      ['step', 'Wait For Approval', 'Task', 1, 27, null],
      ['step', 'Update Service', 'Task', 1, 1, null],
      ['loop', 'Check Rollout', 2, { done: false, attempt: 1 }, null, 23, 'DeploymentFailed'],
      ['step', 'Roll Back', 'Task', 1, 136, null],
      ['step', 'Rolled Back', 'Fail', 0, null, null],
    ]);
    const loop = r.steps[3];
    expect(loop?.failures).toEqual([
      { error: 'TransientAwsError', cause: 'throttled', at: at(61).toISOString() },
      { error: 'DeploymentFailed', cause: 'tasks failed to start', at: at(63).toISOString() },
    ]);
    expect(r.transitions).toContainEqual({ from: 'Wait Before Next Check', to: 'Check Rollout', count: 1 });
  });

  it('tells the rollback: why, its own steps, what it changed back from and to, how long the service was degraded', () => {
    const [n] = full().nested;
    expect(n?.state).toBe('Roll Back');
    expect(n?.why).toEqual({
      error: 'DeploymentFailed',
      cause: 'tasks failed to start',
      at: at(63).toISOString(),
    });
    expect(n?.report?.started.via).toBe('nested');
    expect(n?.report?.changes.map((c) => [c.kind, c.before, c.after])).toEqual([
      ['service', 'td:42 × 3', 'td:41 × 3'],
    ]);
    expect(n?.report?.steps.find((s) => s.kind === 'loop')).toMatchObject({ polls: 2, last: { done: true } });
    // From the first change to the service (32 s) to the rollback's last poll (91 s)
    expect(n?.degradedSeconds).toBe(59);
  });

  it('tells how a run was started from its name', () => {
    const via = (name: string) =>
      auditReport([{ executionArn: `${RUN.replace('run-1', name)}`, procedure: 'p', history: [start()] }])
        .started;
    expect(via('8a2b7c3d-1e4f-4a5b-9c6d-7e8f9a0b1c2d')).toMatchObject({ via: 'console', ciRunId: null });
    expect(via('rollback-prod-app-0123456789ab')).toMatchObject({ via: 'cli' });
    expect(via('rollback-prod-app-01234567-ci12.3')).toMatchObject({ via: 'ci', ciRunId: '12.3' });
    expect(via('rehearsal-happy-01')).toMatchObject({ via: 'rehearsal' });
    expect(via('my-own-name')).toMatchObject({ via: 'other' });
  });

  it('records an expired, a rejected and a still pending approval, and a truncated history', () => {
    const gate = (...after: HistoryEvent[]) =>
      report([
        start(),
        entered(1, 'Wait For Approval'),
        event(1, 'TaskScheduled'),
        event(2, 'TaskSubmitted', {
          taskSubmittedEventDetails: { output: JSON.stringify({ Payload: { approvalId: 'a' } }) },
        }),
        ...after,
      ]).approvals[0];
    expect(
      gate(
        event(9, 'TaskTimedOut', { taskTimedOutEventDetails: { error: 'States.Timeout', cause: 'no one' } }),
      ),
    ).toMatchObject({
      decision: 'expired',
      reason: 'no one',
      decidedAt: at(9).toISOString(),
    });
    expect(
      gate(event(9, 'TaskFailed', { taskFailedEventDetails: { error: 'ApprovalRejected', cause: 'no' } }))
        ?.decision,
    ).toBe('rejected');
    expect(
      gate(event(9, 'TaskFailed', { taskFailedEventDetails: { error: 'Other', cause: 'x' } }))?.decision,
    ).toBe('failed');
    expect(gate()?.decision).toBe('pending');
    expect(gate()?.independent).toBeNull();
    const cut = report([
      { ...start(), executionStartedEventDetails: { input: '{}', inputDetails: { truncated: true } } },
    ]);
    expect(cut.truncated).toBe(true);
    expect(() => report([entered(1, 'A')])).toThrow(/has no ExecutionStarted event/);
  });
});

describe('the folding of loops and the reading of approvals, at their edges', () => {
  const pass = (s: number, name: string, type: string) => [entered(s, name, type), exited(s, name, type)];
  const task = (s: number, name: string, output: unknown = {}) => [
    entered(s, name),
    event(s, 'LambdaFunctionScheduled'),
    event(s, 'LambdaFunctionSucceeded', {
      lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
    }),
    exited(s + 1, name),
  ];
  const kinds = (history: HistoryEvent[]) => report(history).steps.map((s) => `${s.kind}:${s.state}`);

  it('folds no loop without a Wait in it: a Catch that goes back to an earlier state is steps, not polls', () => {
    id = 0;
    expect(kinds([start(), ...task(1, 'A'), ...task(3, 'B'), ...task(5, 'A'), ...task(7, 'B')])).toEqual([
      'step:A',
      'step:B',
      'step:A',
      'step:B',
    ]);
  });

  it('folds a loop that waits on time alone into one line of its first state', () => {
    id = 0;
    const r = report([
      start(),
      ...pass(1, 'Due?', 'Choice'),
      ...pass(2, 'Wait A Minute', 'Wait'),
      ...pass(62, 'Due?', 'Choice'),
      ...pass(63, 'Wait A Minute', 'Wait'),
      ...pass(123, 'Due?', 'Choice'),
      ...task(124, 'Go'),
    ]);
    expect(
      r.steps.map((s) => (s.kind === 'loop' ? `loop:${s.state}:${s.polls}` : `step:${s.state}`)),
    ).toEqual(['loop:Due?:3', 'step:Go']);
  });

  it('keeps a Task of a loop visited once as a step of its own, and folds no loop across a redrive', () => {
    id = 0;
    const once = report([
      start(),
      ...task(1, 'Check', { n: 1 }),
      ...pass(2, 'Done?', 'Choice'),
      ...pass(3, 'Wait', 'Wait'),
      ...task(4, 'Check', { n: 2 }),
      ...pass(5, 'Done?', 'Choice'),
      ...task(6, 'Fix Up'),
      ...pass(7, 'Wait', 'Wait'),
    ]);
    expect(once.steps.map((s) => `${s.kind}:${s.state}`)).toEqual(['loop:Check', 'step:Fix Up', 'step:Wait']);
    id = 0;
    const redriven = report([
      start(),
      ...task(1, 'Check'),
      ...pass(2, 'Wait', 'Wait'),
      event(3, 'ExecutionFailed'),
      event(4, 'ExecutionRedriven'),
      ...task(5, 'Check'),
      ...pass(6, 'Wait', 'Wait'),
    ]);
    expect(redriven.steps.every((s) => s.kind === 'step')).toBe(true);
  });

  it('reads an approval from whichever of the request and the decision carries each field', () => {
    id = 0;
    const approval = (payload: unknown, decided: unknown, error?: string) =>
      report([
        start({ requestedBy: 'dana' }),
        entered(1, 'Gate'),
        event(1, 'TaskScheduled'),
        event(2, 'TaskSubmitted', {
          taskSubmittedEventDetails: { output: JSON.stringify({ Payload: payload }) },
        }),
        error
          ? event(3, 'TaskFailed', { taskFailedEventDetails: { error, cause: { not: 'text' } } })
          : event(3, 'TaskSucceeded', { taskSucceededEventDetails: { output: JSON.stringify(decided) } }),
        exited(4, 'Gate'),
      ]).approvals[0];
    const sso = (p: string) => `arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_A_x/${p}`;
    expect(
      approval(
        { approvalId: 'from-request', summaryHash: 'h1', required: 'two' },
        {
          decision: 'approved',
          approvers: [
            { person: 'erin', arn: sso('erin') },
            { person: 'dana', arn: sso('dana') },
          ],
        },
      ),
    ).toMatchObject({ approvalId: 'from-request', summaryHash: 'h1', required: null, independent: false });
    expect(
      approval({ approvalId: 'a' }, { decision: 'approved', approvalId: 'b', summaryHash: 'h2' }),
    ).toMatchObject({
      approvalId: 'a',
      summaryHash: 'h2',
      approvers: [],
      independent: null,
    });
    expect(approval({ approvalId: 'a' }, { decision: 'maybe' })?.decision).toBe('failed');
    expect(approval({ approvalId: 'a' }, null, 'ApprovalExpired')).toMatchObject({
      decision: 'expired',
      reason: '',
    });
  });

  it('keeps an output that is not JSON as its text', () => {
    id = 0;
    const r = report([
      start(),
      entered(1, 'A'),
      event(1, 'LambdaFunctionScheduled'),
      event(2, 'LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: 'plain words' } }),
      exited(3, 'A'),
    ]);
    expect(r.steps[0]).toMatchObject({ kind: 'step', output: 'plain words' });
  });
});
