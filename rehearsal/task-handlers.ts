// How the rehearsal serves each kind of Task in a local definition, returning exactly what the
// real integration returns: a clock Task (a replaced Wait) moves the simulated clock; a Lambda Task
// runs its worker with the simulated clients; the approval gate (.waitForTaskToken) records the
// request through its worker and is decided locally; startExecution.sync runs a child execution.

import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { approvalApi } from '../tasks/approvals/approval-api.ts';
import { Refused, redeliver, submitDecision } from '../tasks/approvals/decisions.ts';
import { remindApprovals } from '../tasks/approvals/remind-approvals.ts';
import { readRequest } from '../tasks/approvals/store.ts';
import type { Clients } from '../tasks/clients.ts';
import { invoke, type Worker } from '../tasks/worker.ts';
import type { SimulatedAccount } from './account/account.ts';
import { attemptsOf, simulatedIdentity } from './approvals.ts';
import type { Asl, Definitions, Principal } from './definitions.ts';
import { denied } from './iam/authorize.ts';
import { integrationNeeds, type Need, requestsOf } from './iam/requests.ts';
import { CLOCK_RESOURCE, type WaitSpec } from './local-definition.ts';
import type { ApprovalRequest, Decision, ExecutionOutcome, Pace, TimelineEvent } from './types.ts';

/** A Lambda invocation's modelled duration, in simulated seconds. */
const STEP_SECONDS = 1;
/** How often the reminder schedule runs (infra/constructs/approval-service.ts). */
const REMINDER_SECONDS = 300;
/** How long the simulated person takes to decide an approval. */
const DECISION_SECONDS = 20 * 60;

export interface HandlerContext {
  readonly account: SimulatedAccount;
  /** The rehearsal's own clients: reading the account, and calls made by no role of the stack. */
  readonly clients: Clients;
  /** The clients of a worker, by name: its calls authorized as its Lambda role. */
  clientsAs(worker: string): Clients;
  /** The state machine's role: its integrations (Lambda invokes, nested starts) are authorized as it. */
  readonly role: Principal;
  readonly definitions: Definitions;
  readonly executionArn: string;
  readonly depth: number;
  emit(event: TimelineEvent): void;
  /**
   * Attempts made of each state since it was last entered (the engine resets a state's count when
   * it enters it): a worker payload's `retryCount` is $$.State.RetryCount on AWS, which the
   * engine's static context cannot give.
   */
  readonly attempts: Map<string, number>;
  decide(request: ApprovalRequest): Promise<Decision>;
  /** Who started this execution (the ARN CloudTrail records). */
  readonly startedBy: string;
  /** Runs a nested execution to its end; `started` hears of it as it starts. */
  runChild(
    procedure: string,
    input: unknown,
    started: (executionArn: string, startDate: string) => void,
  ): Promise<ExecutionOutcome>;
  /** Ends the execution as TIMED_OUT once the simulated clock passes its timeout. */
  checkTimeout(): void;
  /** How simulated seconds take real time, if they do (the local endpoint). */
  readonly pace?: Pace;
}

type Handler = (input: never) => Promise<unknown>;

/** A local handler for every Task state of the (local) definition, keyed by state name. */
export function taskHandlers(
  asl: Asl,
  waits: Record<string, WaitSpec>,
  ctx: HandlerContext,
): Record<string, Handler> {
  const handlers: Record<string, Handler> = {};
  for (const [name, state] of Object.entries(asl.States)) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    const worker = workerOf(ctx.definitions, resource);
    const task = taskEvents(ctx, name, resource);
    if (resource === CLOCK_RESOURCE) handlers[name] = clockHandler(waits[name] ?? {}, ctx);
    else if (worker) handlers[name] = traced(task, lambdaHandler(name, resource, worker, ctx));
    else if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      const functionArn = String(state.Parameters?.FunctionName);
      const gate = workerOf(ctx.definitions, functionArn);
      if (!gate) throw new Error(`Task '${name}' waits for a token from an unknown function`);
      // The gate reports its own scheduling: its parameters carry the token of this attempt.
      handlers[name] = traced(task, approvalHandler(name, functionArn, gate, ctx, task), false);
    } else if (resource.startsWith('arn:aws:states:::states:startExecution.sync'))
      handlers[name] = traced(task, childExecutionHandler(ctx, task));
    else throw new Error(`the rehearsal has no local handler for Task '${name}' (${resource})`);
  }
  return handlers;
}

const workerOf = (definitions: Definitions, arn: string): Worker | undefined => definitions.functions[arn];

/** What a Task's integration reports to the timeline, as the history records each attempt. */
type TaskEvents = (
  kind: 'scheduled' | 'submitted' | 'task-succeeded' | 'task-failed',
  fields: Pick<TimelineEvent, 'input' | 'output' | 'error' | 'cause'>,
) => void;

function taskEvents(ctx: HandlerContext, state: string, resource: string): TaskEvents {
  return (kind, fields) =>
    ctx.emit({
      at: ctx.account.clock.elapsedSeconds(),
      depth: ctx.depth,
      execution: ctx.executionArn,
      state,
      type: 'Task',
      kind,
      ...(kind === 'scheduled' && { detail: resource }),
      ...fields,
    });
}

/** A handler whose every attempt is reported: scheduled (unless it says so itself), then its result or error. */
function traced(task: TaskEvents, handler: Handler, schedules = true): Handler {
  return async (input: never) => {
    // Once the engine's own events (the state's entry) are out, as the history orders them.
    await settle();
    if (schedules) task('scheduled', { input });
    try {
      const output = await handler(input);
      task('task-succeeded', { output });
      return output;
    } catch (error) {
      const e = error as Error;
      task('task-failed', { error: e.name, cause: e.message });
      throw error;
    }
  };
}

/** Lets every pending event be handled (at the current simulated time) before a step moves the clock. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A payload's `now` comes from $$.State.EnteredTime on AWS, which the engine's static context cannot give. */
const withNow = (payload: unknown, account: SimulatedAccount) =>
  payload && typeof payload === 'object' && 'now' in payload
    ? { ...payload, now: account.clock.iso() }
    : payload;

/** A payload's `retryCount` comes from $$.State.RetryCount on AWS: this attempt's, counted from 0. */
function withRetryCount(payload: unknown, state: string, ctx: HandlerContext) {
  const attempt = ctx.attempts.get(state) ?? 0;
  ctx.attempts.set(state, attempt + 1);
  return payload && typeof payload === 'object' && 'retryCount' in payload
    ? { ...payload, retryCount: attempt }
    : payload;
}

/** What a Lambda-backed Task reports on AWS: the error type as Error, a JSON document as Cause. */
function lambdaError(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  return namedError(e.name, JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
}

function namedError(name: string, cause: string): Error {
  const e = new Error(cause);
  e.name = name;
  return e;
}

function clockHandler(wait: WaitSpec, ctx: HandlerContext): Handler {
  return async (input: { seconds?: number; input?: unknown }) => {
    await settle();
    const seconds = wait.seconds ?? input.seconds;
    // As Step Functions: a Wait's seconds are an integer from 0 to 99,999,999, else the run fails.
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > 99_999_999)
      throw namedError(
        'States.Runtime',
        `The Wait's SecondsPath ${wait.secondsPath ?? ''} resolved to ${JSON.stringify(seconds)}, not an integer from 0 to 99999999`,
      );
    if (ctx.pace) await ctx.pace(seconds);
    ctx.account.clock.advance(seconds);
    ctx.checkTimeout();
    return wait.secondsPath ? input.input : input;
  };
}

/**
 * The state machine's role must be allowed what the integration does, or the Task fails as on AWS:
 * `Lambda.AWSLambdaException` for an invoke, `StepFunctions.AWSStepFunctionsException` (the same
 * SDK's naming; the pessimistic reading) for a nested start, with AWS's words as the cause.
 */
function authorizeIntegration(ctx: HandlerContext, needs: readonly Need[], error: string, service: string) {
  const refusal = denied(ctx.role, requestsOf(needs, ctx.account.callEnv));
  if (refusal)
    throw namedError(
      error,
      `${refusal} (Service: ${service}; Status Code: 403; Error Code: AccessDeniedException)`,
    );
}

/** The function's timeout (infra/constructs/workers.ts): how long a function that times out took. */
const FUNCTION_TIMEOUT_SECONDS = 25;

/**
 * Runs the worker as its Lambda handler would; the invocation takes STEP_SECONDS of simulated time.
 * A scenario's dying function makes its calls first (what it changed stays changed), then is
 * reported as Lambda reports it, its result lost.
 */
async function runWorker(worker: Worker, payload: unknown, ctx: HandlerContext): Promise<unknown> {
  try {
    const result = await invoke(worker, withNow(payload, ctx.account), ctx.clientsAs(worker.name));
    const died = ctx.account.workerDies(worker.name);
    if (died === 'Sandbox.Timedout') {
      ctx.account.clock.advance(FUNCTION_TIMEOUT_SECONDS);
      throw namedError(
        died,
        JSON.stringify({
          errorType: died,
          errorMessage: `Task timed out after ${FUNCTION_TIMEOUT_SECONDS}.00 seconds`,
        }),
      );
    }
    if (died)
      throw namedError(
        died,
        JSON.stringify({ errorType: died, errorMessage: 'Runtime exited with error: signal: killed' }),
      );
    return result;
  } catch (error) {
    if (error instanceof Error && /^(Sandbox\.Timedout|Runtime\.OutOfMemory)$/.test(error.name)) throw error;
    throw lambdaError(error);
  } finally {
    if (ctx.pace) await ctx.pace(STEP_SECONDS);
    ctx.account.clock.advance(STEP_SECONDS);
    ctx.checkTimeout();
  }
}

function lambdaHandler(state: string, functionArn: string, worker: Worker, ctx: HandlerContext): Handler {
  return async (payload: unknown) => {
    await settle();
    const attempt = withRetryCount(payload, state, ctx);
    authorizeIntegration(ctx, integrationNeeds.invoke(functionArn), 'Lambda.AWSLambdaException', 'AWSLambda');
    return runWorker(worker, attempt, ctx);
  };
}

/**
 * The approval gate: the worker records and announces the request; the approver is shown it (its
 * summary as recorded, whatever the procedure changes), and each attempt it stands for goes through
 * the approval service's own code, as a simulated person. Whatever that sent Step Functions for the
 * token is the Task's result: SendTaskSuccess, SendTaskFailure (ApprovalRejected), or nothing until
 * the Task's timeout (States.Timeout).
 */
function approvalHandler(
  stateName: string,
  functionArn: string,
  worker: Worker,
  ctx: HandlerContext,
  task: TaskEvents,
): Handler {
  let tries = 0;
  // The approval service's functions, as their roles: the reminders, and the decision API.
  const reminders = ctx.clientsAs(remindApprovals.name);
  const decisionApi = ctx.clientsAs(approvalApi.name);
  return async (params: { Payload: Record<string, unknown> }) => {
    await settle();
    authorizeIntegration(ctx, integrationNeeds.invoke(functionArn), 'Lambda.AWSLambdaException', 'AWSLambda');
    // As on AWS, each attempt of the Task waits for a token of its own (the engine's static context
    // has one for the whole run); and $$.State.Name, which that context cannot give either.
    tries++;
    const token = `${String(params.Payload.token)}/${stateName}/attempt-${tries}`;
    const payload: Record<string, unknown> = { ...params.Payload, token, gate: stateName };
    task('scheduled', { input: { ...params, Payload: { ...params.Payload, token } } });
    const sfn = ctx.account.service('sfn');
    sfn.issue(token);
    const recorded = await runWorker(worker, payload, ctx).catch((error: unknown) => {
      // A failed attempt's token is retired: a decision sent to it no longer reaches the run.
      sfn.collect(token);
      throw error;
    });
    task('submitted', { output: { ExecutedVersion: '$LATEST', Payload: recorded, StatusCode: 200 } });
    const { approvalId } = recorded as { approvalId: string };
    const table = ctx.definitions.table;
    const found = await readRequest(ctx.clients.dynamodb, table, approvalId);
    if (!found) throw new Error(`the approval gate recorded no request ${approvalId}`);
    const stored = found.request;
    const note = (detail: string) =>
      ctx.emit({
        at: ctx.account.clock.elapsedSeconds(),
        depth: ctx.depth,
        kind: 'approval',
        execution: ctx.executionArn,
        state: stateName,
        detail,
      });
    note(`requested ${approvalId}: ${stored.summary.change}, expires ${stored.expiresAt}`);

    const timeout = Number(payload.timeoutSeconds);
    // While the gate waits, the reminder and delivery schedule runs every REMINDER_SECONDS, as on AWS.
    const wait = async (seconds: number, until: () => boolean = () => false) => {
      let left = seconds;
      while (left > 0 && !until()) {
        const step = Math.min(
          left,
          REMINDER_SECONDS - (ctx.account.clock.elapsedSeconds() % REMINDER_SECONDS),
        );
        const passed = ctx.pace ? await ctx.pace(step, until) : step;
        ctx.account.clock.advance(passed);
        left -= passed;
        if (ctx.account.clock.elapsedSeconds() % REMINDER_SECONDS !== 0) continue;
        const sent = await invoke(
          remindApprovals,
          { table, topicArn: ctx.definitions.topicArn, now: ctx.account.clock.iso() },
          reminders,
        );
        if (sent.paged > 0) note('still pending near its expiry: the on-call was paged');
        else if (sent.reminded > 0) note('still pending: announced again');
        const again = await redeliver(decisionApi, table, ctx.account.clock.iso());
        if (again.delivered > 0) note('the decision was sent again by the delivery schedule, and taken');
      }
    };
    const decision = await ctx.decide({
      ...stored.summary,
      approvalId,
      expiresAt: stored.expiresAt,
      summaryHash: stored.summaryHash,
      rule: stored.rule,
    });
    if (typeof decision === 'object' && 'sendTaskSuccess' in decision) {
      // A faulty approval service: whatever it sends, straight to Step Functions.
      await wait(Math.min(DECISION_SECONDS, timeout - 1));
      await ctx.clients.sfn.send(
        new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(decision.sendTaskSuccess) }),
      );
      note('decided by a raw SendTaskSuccess');
    }
    const attempts =
      typeof decision === 'object' && 'sendTaskSuccess' in decision
        ? []
        : attemptsOf(decision, stored.rule.required);
    const started = ctx.account.clock.elapsedSeconds();
    for (const attempt of attempts) {
      // Each attempt a few minutes after the last (within the wait); a late one just after it ended.
      // Whenever it comes, the approval service's rules judge it.
      // Once the run was resumed, what follows is a double submit: at once, not holding the run up.
      const elapsed = ctx.account.clock.elapsedSeconds() - started;
      if (!sfn.answered(token))
        await wait(
          attempt.late
            ? Math.max(0, timeout - elapsed) + 1
            : attempt.afterMinutes !== undefined
              ? Math.max(0, attempt.afterMinutes * 60 - elapsed)
              : Math.max(0, Math.min(DECISION_SECONDS, timeout - 1 - elapsed)),
        );
      const caller = simulatedIdentity(attempt.as, stored, ctx.startedBy);
      try {
        const outcome = await submitDecision(decisionApi, table, approvalId, {
          caller,
          decision: attempt.decision,
          summaryHash: stored.summaryHash,
          comment: attempt.comment ?? null,
          now: ctx.account.clock.iso(),
        });
        note(
          `${attempt.decision === 'approve' ? 'approved' : 'rejected'} by ${caller.person} (${caller.arn})` +
            (outcome.remaining > 0
              ? `; ${outcome.remaining} more approval${outcome.remaining === 1 ? '' : 's'} needed`
              : '') +
            (outcome.delivery === 'failed' ? '; Step Functions did not take it (it is sent again)' : ''),
        );
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        note(`refused ${error.code}: ${error.message}`);
      }
    }
    // Whatever reaches the token until the Task's timeout is its result (a decision sent again, too).
    await wait(Math.max(0, timeout - (ctx.account.clock.elapsedSeconds() - started)), () =>
      sfn.answered(token),
    );
    const answer = sfn.collect(token);
    if (!answer) note(`no decision within ${timeout} s`);
    ctx.checkTimeout();
    if (!answer)
      throw namedError('States.Timeout', `No decision on approval ${approvalId} within ${timeout} s.`);
    if (answer.kind === 'failure') throw namedError(answer.error, answer.cause);
    return answer.output;
  };
}

/** startExecution.sync:2: the child's output parsed, or States.TaskFailed with the child's description (and its error and cause, if it failed). */
function childExecutionHandler(ctx: HandlerContext, task: TaskEvents): Handler {
  return async (params: { StateMachineArn: string; Input: unknown }) => {
    await settle();
    const child = Object.entries(ctx.definitions.machines).find(
      ([, m]) => m.arn === params.StateMachineArn,
    )?.[0];
    if (!child)
      throw namedError(
        'StepFunctions.StateMachineDoesNotExistException',
        `State machine ${params.StateMachineArn} does not exist`,
      );
    if (ctx.account.throttlesNestedStart())
      throw namedError('StepFunctions.ThrottlingException', 'Rate exceeded (StartExecution)');
    const nested = (needs: Need[]) =>
      authorizeIntegration(ctx, needs, 'StepFunctions.AWSStepFunctionsException', 'AWSStepFunctions');
    nested(integrationNeeds.startNested(params.StateMachineArn));
    const result = await ctx.runChild(child, params.Input, (ExecutionArn, StartDate) =>
      task('submitted', { output: { ExecutionArn, StartDate } }),
    );
    // Following the child is authorized on its own execution, here once it ended (on AWS, a missing
    // grant fails the parent as soon as the child started, while the child runs on).
    nested(integrationNeeds.followNested(result.executionArn));
    const described = {
      ExecutionArn: result.executionArn,
      StateMachineArn: params.StateMachineArn,
      Status: result.status,
    };
    if (result.status === 'SUCCEEDED') return { ...described, Output: result.output };
    // DescribeExecution has an error and a cause for a failed execution only: the pessimistic
    // reading leaves them out of one that timed out or was stopped.
    throw namedError(
      'States.TaskFailed',
      JSON.stringify({
        ...described,
        ...(result.status === 'FAILED' && { Error: result.error, Cause: result.cause }),
      }),
    );
  };
}
