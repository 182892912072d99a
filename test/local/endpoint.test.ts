// The local endpoint against an unmodified @aws-sdk/client-sfn: every action it serves, the error
// codes and the wire shape of its answers, histories in the real event types and order, approvals
// decided through it, stops, nested runs, and what a restart keeps.
import {
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../local/executions.ts';
import { PROCEDURES } from '../../statemachines/registry.ts';
import { approvalIdOf } from '../../tasks/approvals/request.ts';
import { definitionsOnce } from '../statemachines/support.ts';
import { config, devDeployment, example, signedAs, startEndpoint } from './support.ts';

type Endpoint = Awaited<ReturnType<typeof startEndpoint>>;

async function history(local: Endpoint, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await local.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 25, ...(nextToken && { nextToken }) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const types = (events: HistoryEvent[]) => events.map((e) => e.type);
const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: e.name,
      status: e.$metadata?.httpStatusCode,
    }),
  );

/** The one token an approval gate waits on, as its TaskScheduled parameters carry it. */
async function gateToken(local: Endpoint, executionArn: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const scheduled = (await history(local, executionArn)).find(
      (e) => e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken',
    );
    if (scheduled) return JSON.parse(String(scheduled.taskScheduledEventDetails?.parameters)).Payload.token;
    if (Date.now() > deadline) throw new Error('the run never reached its approval gate');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the local endpoint, through @aws-sdk/client-sfn', () => {
  let local: Endpoint;
  beforeAll(async () => {
    // Fast everywhere but at the approval gate, where a decision has a few real seconds to come.
    local = await startEndpoint({ speed: 50_000, approvalSpeed: 600 });
  });
  afterAll(() => local.close());

  it('lists and describes the state machines of the registry', async () => {
    // Given the endpoint / When its machines are listed and one described
    const { stateMachines = [] } = await local.sfn.send(new ListStateMachinesCommand({}));
    const described = await local.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: local.machine('rollback') }),
    );
    // Then they are the synthesized ones, as Standard machines with their definition
    expect(stateMachines.map((m) => m.name).sort()).toEqual(
      PROCEDURES.map((p) => `runbook-${p.name}`).sort(),
    );
    expect(stateMachines[0]?.creationDate).toBeInstanceOf(Date);
    expect(described.type).toBe('STANDARD');
    expect(JSON.parse(String(described.definition))).toEqual(definitionsOnce().machines.rollback?.asl);
  });

  it('runs a deployment to SUCCEEDED and writes its history in the real types, ids and order', async () => {
    // Given a dev deployment (no approval) / When it is started and runs to its end
    const { executionArn = '' } = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.machine('production-deployment'),
        name: 'dev-1',
        input: devDeployment(),
      }),
    );
    const done = await local.settled(executionArn);
    const events = await history(local, executionArn);
    // Then it succeeded with the machine's output
    expect(done.status).toBe('SUCCEEDED');
    expect(done.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(String(done.output))).toMatchObject({ request: { environment: 'dev' } });
    // And the history counts from 1, each event after the one before, from start to success
    expect(events.map((e) => [e.id, e.previousEventId])).toEqual(events.map((_, i) => [i + 1, i]));
    expect(events[0]?.executionStartedEventDetails?.input).toBe(devDeployment());
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    // And a worker's Task writes the Lambda events between its entry and exit; a Wait its own pair
    const validate = events.findIndex((e) => e.stateEnteredEventDetails?.name === 'Validate Input');
    expect(types(events.slice(validate, validate + 5))).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
    expect(events[validate + 1]?.lambdaFunctionScheduledEventDetails?.resource).toMatch(/^arn:aws:lambda:/);
    const wait = events.findIndex((e) => e.type === 'WaitStateEntered');
    expect(types(events.slice(wait, wait + 2))).toEqual(['WaitStateEntered', 'WaitStateExited']);
    // And the pages read newest first are the same events backwards, and without data hold no input
    const reversed = await local.sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: 3,
        includeExecutionData: false,
      }),
    );
    expect(reversed.events?.map((e) => e.id)).toEqual([events.length, events.length - 1, events.length - 2]);
    expect(reversed.nextToken).toBeDefined();
    const first = await local.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1, includeExecutionData: false }),
    );
    expect(first.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
    // And it is listed as the machine's execution
    const listed = await local.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: local.machine('production-deployment'),
        statusFilter: 'SUCCEEDED',
      }),
    );
    expect(listed.executions?.map((e) => e.name)).toContain('dev-1');
  });

  it('answers the same start again while it runs, and refuses a name used before or a bad request', async () => {
    // Given a run waiting at its approval gate
    const stateMachineArn = local.machine('production-deployment');
    const input = JSON.stringify(example('production-deployment'));
    const started = await local.sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'again', input }),
    );
    await gateToken(local, String(started.executionArn));
    // When it is started again with the same name and input / Then that is the same execution
    const again = await local.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'again', input }));
    expect(again.executionArn).toBe(started.executionArn);
    expect(again.startDate?.getTime()).toBe(started.startDate?.getTime());
    // And with another input, or a name already used, or a bad request: the real errors, as HTTP 400
    const refusals = await Promise.all([
      errorOf(local.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'again', input: '{}' }))),
      errorOf(
        local.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'dev-1', input: devDeployment() })),
      ),
      errorOf(
        local.sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}-nope`, input })),
      ),
      errorOf(local.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'a b', input }))),
      errorOf(local.sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{"x":' }))),
      errorOf(
        local.sfn.send(
          new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ x: 'y'.repeat(262_144) }) }),
        ),
      ),
      errorOf(
        local.sfn.send(new GetExecutionHistoryCommand({ executionArn: `${started.executionArn}-nope` })),
      ),
      errorOf(local.sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))),
      errorOf(local.sfn.send(new ListStateMachinesCommand({ maxResults: 5000 }))),
    ]);
    expect(refusals).toEqual(
      [
        'ExecutionAlreadyExists',
        'ExecutionAlreadyExists',
        'StateMachineDoesNotExist',
        'InvalidName',
        'InvalidExecutionInput',
        'ValidationException',
        'ExecutionDoesNotExist',
        'InvalidToken',
        'ValidationException',
      ].map((name) => ({ name, status: 400 })),
    );
    await local.sfn.send(new StopExecutionCommand({ executionArn: started.executionArn }));
  });

  it('speaks JSON 1.0 on the wire: __type and message on errors, epoch seconds, unknown actions refused', async () => {
    // Given the endpoint / When raw requests are sent as the AWS CLI sends them
    const call = (target: string, body: unknown) =>
      fetch(`${local.endpoint.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
        body: JSON.stringify(body),
      });
    const listed = await call('AWSStepFunctions.ListStateMachines', {});
    const missing = await call('AWSStepFunctions.DescribeExecution', {
      executionArn: 'arn:aws:states:us-east-1:1:execution:x:y',
    });
    const unknown = await call('AWSStepFunctions.CreateStateMachine', {});
    // Then a success is JSON with dates as numbers, and an error is 400 with its code and message
    expect(listed.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(
      typeof ((await listed.json()) as { stateMachines: { creationDate: unknown }[] }).stateMachines[0]
        ?.creationDate,
    ).toBe('number');
    expect([missing.status, await missing.json()]).toEqual([
      400,
      {
        __type: 'ExecutionDoesNotExist',
        message: "Execution Does Not Exist: 'arn:aws:states:us-east-1:1:execution:x:y'",
      },
    ]);
    expect([unknown.status, ((await unknown.json()) as { __type: string }).__type]).toEqual([
      400,
      'UnknownOperationException',
    ]);
  });

  it('waits at the approval gate for a decision through the approvals API, as the approver who signed', async () => {
    // Given a prod deployment waiting for its approval
    const { executionArn = '' } = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.machine('production-deployment'),
        name: 'approved-1',
        input: JSON.stringify(example('production-deployment')),
      }),
    );
    const token = await gateToken(local, executionArn);
    await local.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    const approvalId = approvalIdOf(executionArn, 'Wait For Approval');
    // When alice lists the requests and approves exactly what she was shown
    const api = `${local.endpoint.url}/v1/approvals`;
    const listed = (await (await fetch(api, { headers: signedAs('alice') })).json()) as {
      approvals: { approvalId: string; summaryHash: string }[];
    };
    const request = listed.approvals.find((a) => a.approvalId === approvalId);
    const decide = () =>
      fetch(`${api}/${approvalId}/decision`, {
        method: 'POST',
        headers: { ...signedAs('alice'), 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', summaryHash: request?.summaryHash }),
      });
    // (Until CloudTrail has delivered who started the run, the rules say to decide again shortly.)
    let decided = await decide();
    for (let tries = 0; decided.status === 409 && tries < 100; tries++) {
      expect(((await decided.json()) as { error: string }).error).toBe('StarterUnknown');
      await new Promise((resolve) => setTimeout(resolve, 100));
      decided = await decide();
    }
    const unsigned = await fetch(api);
    // Then the decision is taken, an unsigned call refused, and the run goes on to its end
    expect(decided.status).toBe(200);
    expect(unsigned.status).toBe(403);
    expect((await local.settled(executionArn)).status).toBe('SUCCEEDED');
    // And the token, answered, is closed: a callback gets TaskTimedOut, as on AWS
    expect(
      await errorOf(local.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'x' }))),
    ).toEqual({
      name: 'TaskTimedOut',
      status: 400,
    });
  });

  it('ends a run resumed with a forged SendTaskSuccess as the approval rules say: rejected, nothing changed', async () => {
    // Given a run at its gate / When someone sends SendTaskSuccess with a well-formed "approved"
    const { executionArn = '' } = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.machine('production-deployment'),
        name: 'forged-1',
        input: JSON.stringify(example('production-deployment')),
      }),
    );
    const token = await gateToken(local, executionArn);
    await local.sfn.send(
      new SendTaskSuccessCommand({
        taskToken: token,
        output: JSON.stringify({
          decision: 'approved',
          approver: 'mallory',
          approvalId: '0'.repeat(20),
          summaryHash: '0'.repeat(64),
        }),
      }),
    );
    // Then the run's own check refuses it
    const done = await local.settled(executionArn);
    expect([done.status, done.error]).toEqual(['FAILED', 'ApprovalRejected']);
    // And a second answer to the same token is refused (TaskTimedOut) as the Task no longer waits
    expect(
      await errorOf(local.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))),
    ).toEqual({
      name: 'TaskTimedOut',
      status: 400,
    });
  });

  it('stops a run: ABORTED with the error and cause given, its history ending so; a second stop is refused', async () => {
    // Given a run waiting at its gate / When it is stopped
    const { executionArn = '' } = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.machine('production-deployment'),
        name: 'stopped-1',
        input: JSON.stringify(example('production-deployment')),
      }),
    );
    await gateToken(local, executionArn);
    const stop = await local.sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Ops.Stop', cause: 'wrong image' }),
    );
    const done = await local.settled(executionArn);
    // Then it ended ABORTED as stopped, and its history says so last
    expect(stop.stopDate).toBeInstanceOf(Date);
    expect([done.status, done.error, done.cause]).toEqual(['ABORTED', 'Ops.Stop', 'wrong image']);
    const events = await history(local, executionArn);
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Ops.Stop', cause: 'wrong image' },
    });
    expect(await errorOf(local.sfn.send(new StopExecutionCommand({ executionArn })))).toEqual({
      name: 'ValidationException',
      status: 400,
    });
  });

  it('stops a run stopped as soon as it started, and pages a history newest first without losing its place', async () => {
    // Given a run stopped in the same breath as its start
    const { executionArn = '' } = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.machine('production-deployment'),
        name: 'stopped-at-once',
        input: devDeployment(),
      }),
    );
    await local.sfn.send(new StopExecutionCommand({ executionArn }));
    // Then it ends ABORTED, not RUNNING forever
    expect((await local.settled(executionArn, undefined, 10_000)).status).toBe('ABORTED');
    // And a finished history read newest first, seven at a time, is the whole history backwards
    const dev1 = `${local.machine('production-deployment').replace(':stateMachine:', ':execution:')}:dev-1`;
    const all = await history(local, dev1);
    const backwards: number[] = [];
    let nextToken: string | undefined;
    do {
      const page = await local.sfn.send(
        new GetExecutionHistoryCommand({
          executionArn: dev1,
          reverseOrder: true,
          maxResults: 7,
          ...(nextToken && { nextToken }),
        }),
      );
      backwards.push(...(page.events ?? []).map((e) => e.id ?? 0));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(backwards).toEqual(all.map((e) => e.id ?? 0).reverse());
  });

  it('runs the scenario a name begins with: a failed rollout rolls back in a nested execution of its own', async () => {
    // Given a dev deployment named for the crash-loop scenario / When it runs to its end
    const { executionArn = '' } = await local.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: local.machine('production-deployment'),
        name: 'crash-loop--dev-2',
        input: devDeployment(),
      }),
    );
    const done = await local.settled(executionArn);
    const events = await history(local, executionArn);
    // Then it rolled back, through a Task that handed over to a nested execution of the rollback machine
    expect([done.status, done.error]).toEqual(['FAILED', 'DeploymentRolledBack']);
    const submitted = events.find((e) => e.taskSubmittedEventDetails?.resource === 'startExecution.sync:2');
    const child = JSON.parse(String(submitted?.taskSubmittedEventDetails?.output)).ExecutionArn as string;
    expect(child.startsWith(local.machine('rollback').replace(':stateMachine:', ':execution:'))).toBe(true);
    const nested = await local.settled(child);
    expect(nested.status).toBe('SUCCEEDED');
    const { executions = [] } = await local.sfn.send(
      new ListExecutionsCommand({ stateMachineArn: local.machine('rollback') }),
    );
    expect(executions.map((e) => e.executionArn)).toContain(child);
  });

  it('keeps executions across a restart, and reports one it was running as FAILED, never RUNNING forever', async () => {
    // Given a run at its gate on an endpoint that then stops without ending it
    const first = await startEndpoint({ speed: 50_000, approvalSpeed: 600 });
    const { executionArn = '' } = await first.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: first.machine('production-deployment'),
        name: 'cut-short',
        input: JSON.stringify(example('production-deployment')),
      }),
    );
    await gateToken(first, executionArn);
    first.store.save();
    // When another endpoint starts on the same folder
    const again = new LocalStepFunctions({
      config,
      definitions: definitionsOnce(),
      dir: first.dir,
      speed: 1,
    });
    await first.close({ keep: true });
    // Then the run is there, FAILED for the restart, its history kept and closed
    const kept = again.execution(executionArn);
    expect([kept.status, kept.error]).toEqual(['FAILED', 'Local.EndpointRestarted']);
    expect(kept.history[0]?.type).toBe('ExecutionStarted');
    expect(kept.history.at(-1)?.type).toBe('ExecutionFailed');
    expect(kept.history.some((e) => e.type === 'TaskScheduled')).toBe(true);
    // And so is its simulated account as it stood: the lock the run took, still held
    expect(kept.account?.locks).toEqual([expect.objectContaining({ owner: executionArn })]);
  });
});
