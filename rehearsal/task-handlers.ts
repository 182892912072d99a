// How the rehearsal serves each kind of Task in a local definition, returning exactly what the
// real integration returns: a clock Task (a replaced Wait) moves the simulated clock; a Lambda Task
// runs its worker with the simulated clients; the approval gate (.waitForTaskToken) records the
// request through its worker and is decided locally; startExecution.sync runs a child execution.

import type { Clients } from '../tasks/clients.ts';
import type { ApprovalSummary } from '../tasks/request-approval.ts';
import { approvalKey } from '../tasks/run-state.ts';
import { invoke, type Worker } from '../tasks/worker.ts';
import type { SimulatedAccount } from './account/account.ts';
import type { Asl, Definitions } from './definitions.ts';
import { CLOCK_RESOURCE, type WaitSpec } from './local-definition.ts';
import type { ApprovalRequest, Decision, ExecutionOutcome, TimelineEvent } from './types.ts';

/** A Lambda invocation's modelled duration, in simulated seconds. */
const STEP_SECONDS = 1;
/** How long the simulated person takes to decide an approval. */
const DECISION_SECONDS = 180;

export interface HandlerContext {
  readonly account: SimulatedAccount;
  readonly clients: Clients;
  readonly definitions: Definitions;
  readonly executionArn: string;
  readonly depth: number;
  emit(event: TimelineEvent): void;
  decide(request: ApprovalRequest): Promise<Decision>;
  runChild(procedure: string, input: unknown): Promise<ExecutionOutcome>;
  /** Ends the execution as TIMED_OUT once the simulated clock passes its timeout. */
  checkTimeout(): void;
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
    if (resource === CLOCK_RESOURCE) handlers[name] = clockHandler(waits[name] ?? {}, ctx);
    else if (worker) handlers[name] = lambdaHandler(worker, ctx);
    else if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
      const gate = workerOf(ctx.definitions, String(state.Parameters?.FunctionName));
      if (!gate) throw new Error(`Task '${name}' waits for a token from an unknown function`);
      handlers[name] = approvalHandler(name, gate, ctx);
    } else if (resource.startsWith('arn:aws:states:::states:startExecution.sync'))
      handlers[name] = childExecutionHandler(ctx);
    else throw new Error(`the rehearsal has no local handler for Task '${name}' (${resource})`);
  }
  return handlers;
}

const workerOf = (definitions: Definitions, arn: string): Worker | undefined => definitions.functions[arn];

/** Lets every pending event be handled (at the current simulated time) before a step moves the clock. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A payload's `now` comes from $$.State.EnteredTime on AWS, which the engine's static context cannot give. */
const withNow = (payload: unknown, account: SimulatedAccount) =>
  payload && typeof payload === 'object' && 'now' in payload
    ? { ...payload, now: account.clock.iso() }
    : payload;

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
    ctx.account.clock.advance(wait.seconds ?? input.seconds ?? 0);
    ctx.checkTimeout();
    return wait.secondsPath ? input.input : input;
  };
}

/** Runs the worker as its Lambda handler would; the invocation takes STEP_SECONDS of simulated time. */
async function runWorker(worker: Worker, payload: unknown, ctx: HandlerContext): Promise<unknown> {
  try {
    return await invoke(worker, withNow(payload, ctx.account), ctx.clients);
  } catch (error) {
    throw lambdaError(error);
  } finally {
    ctx.account.clock.advance(STEP_SECONDS);
    ctx.checkTimeout();
  }
}

function lambdaHandler(worker: Worker, ctx: HandlerContext): Handler {
  return async (payload: unknown) => {
    await settle();
    return runWorker(worker, payload, ctx);
  };
}

/**
 * The approval gate: the worker records and announces the request, and returns its summary, which the
 * approver is shown as it is (whatever the procedure changes); then the rehearsal decides, as the
 * approval service would: SendTaskSuccess (approved), SendTaskFailure (ApprovalRejected), or
 * no decision until the Task's timeout (States.Timeout).
 */
function approvalHandler(stateName: string, worker: Worker, ctx: HandlerContext): Handler {
  return async (params: { Payload: Record<string, unknown> }) => {
    await settle();
    const payload = params.Payload;
    const { approvalId, expiresAt, summary } = (await runWorker(worker, payload, ctx)) as {
      approvalId: string;
      expiresAt: string;
      summary: ApprovalSummary;
    };
    const approval: ApprovalRequest = { approvalId, expiresAt, ...summary };
    const note = (detail: string) =>
      ctx.emit({
        at: ctx.account.clock.elapsedSeconds(),
        depth: ctx.depth,
        kind: 'approval',
        execution: ctx.executionArn,
        state: stateName,
        detail,
      });
    note(`requested ${approval.approvalId}: ${approval.change}, expires ${approval.expiresAt}`);

    const decision = await ctx.decide(approval);
    const timeout = Number(payload.timeoutSeconds);
    ctx.account.clock.advance(decision === 'expire' ? timeout : Math.min(DECISION_SECONDS, timeout - 1));
    const sent = typeof decision === 'object' && 'sendTaskSuccess' in decision;
    const reason = typeof decision === 'object' && 'reject' in decision ? decision.reject : undefined;
    const status = sent
      ? 'decided'
      : decision === 'approve'
        ? 'approved'
        : decision === 'reject' || reason !== undefined
          ? 'rejected'
          : 'expired';
    recordDecision(ctx.account, ctx.definitions.table, approval.approvalId, status);
    note(`${status} by the rehearsal`);
    ctx.checkTimeout();

    if (typeof decision === 'object' && 'sendTaskSuccess' in decision) return decision.sendTaskSuccess;
    if (status === 'rejected')
      throw namedError(
        'ApprovalRejected',
        `Rejected in the rehearsal (approval ${approval.approvalId})${reason === undefined ? '' : `: ${reason}`}; nothing was changed.`,
      );
    if (decision === 'expire')
      throw namedError(
        'States.Timeout',
        `No decision on approval ${approval.approvalId} within ${timeout} s.`,
      );
    return {
      decision: 'approved',
      approvalId: approval.approvalId,
      approver: 'rehearsal',
      decidedAt: ctx.account.clock.iso(),
    };
  };
}

/** What the approval service would write: the decision, on the approval's record. */
function recordDecision(account: SimulatedAccount, table: string, approvalId: string, status: string): void {
  const dynamodb = account.service('dynamodb');
  const item = dynamodb.getItem({ TableName: table, Key: { pk: { S: approvalKey(approvalId) } } }).Item;
  if (!item) return;
  dynamodb.putItem({
    TableName: table,
    Item: {
      ...item,
      status: { S: status },
      decidedBy: { S: 'rehearsal' },
      decidedAt: { S: account.clock.iso() },
    },
  });
}

/** startExecution.sync:2: the child's output parsed, or States.TaskFailed with the child's error and cause. */
function childExecutionHandler(ctx: HandlerContext): Handler {
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
    const result = await ctx.runChild(child, params.Input);
    const described = {
      ExecutionArn: result.executionArn,
      StateMachineArn: params.StateMachineArn,
      Status: result.status,
    };
    if (result.status === 'SUCCEEDED') return { ...described, Output: result.output };
    throw namedError(
      'States.TaskFailed',
      JSON.stringify({ ...described, Error: result.error, Cause: result.cause }),
    );
  };
}
