// Runs a synthesized definition in aws-local-stepfunctions against the simulated account: every Task
// is served in-process by the same worker code Lambda runs (through the simulated SDK clients), the
// approval gate is decided locally, the nested rollback runs as a child execution, and the
// simulated clock moves instead of anything sleeping.
import './polyfill.ts';
import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { Config } from '../infra/config.ts';
import { workers } from '../tasks/index.ts';
import { invoke, type Worker } from '../tasks/worker.ts';
import { type AccountState, type Change, SimulatedAccount } from './account/account.ts';
import { simulatedClients } from './account/clients.ts';
import type { Asl, Definitions } from './definitions.ts';
import { CLOCK_RESOURCE, localDefinition } from './local-definition.ts';
import type { Scenario } from './scenarios.ts';

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type Decision = 'approve' | 'reject' | 'expire';

export interface ApprovalRequest {
  readonly approvalId: string;
  readonly expiresAt: string;
  readonly procedure: string;
  readonly environment: string;
  readonly service: string;
  readonly change: string;
  readonly requestedBy: string | null;
  readonly approvers: readonly string[];
}

/** How the rehearsal decides approvals: a fixed answer, or a function (e.g. a prompt on a TTY). */
export type Approver = Decision | ((request: ApprovalRequest) => Promise<Decision>);

export interface TimelineEvent {
  /** Seconds since the rehearsal started (simulated). */
  readonly at: number;
  /** 0 for the execution started, 1 for a nested execution it runs, ... */
  readonly depth: number;
  readonly kind: 'started' | 'entered' | 'exited' | 'failed' | 'retried' | 'caught' | 'approval' | 'finished';
  readonly execution: string;
  readonly state?: string;
  readonly type?: string;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly detail?: string;
}

export interface RehearsalOptions {
  readonly config: Config;
  readonly definitions: Definitions;
  readonly procedure: string;
  readonly input: unknown;
  readonly scenario: Scenario;
  readonly approver: Approver;
  readonly onEvent?: (event: TimelineEvent) => void;
  /** The simulated clock's starting time. @default now */
  readonly start?: Date;
}

export interface RehearsalResult {
  readonly procedure: string;
  readonly scenario: string;
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  readonly error: string | null;
  readonly cause: string | null;
  readonly output: unknown;
  /** State transitions of the execution started (nested executions count their own). */
  readonly transitions: number;
  /** Simulated seconds from start to finish. */
  readonly durationSeconds: number;
  readonly changes: Change[];
  readonly account: AccountState;
}

/** A Lambda invocation's modelled duration, in simulated seconds. */
const STEP_SECONDS = 1;
/** How long the simulated person takes to decide an approval. */
const DECISION_SECONDS = 180;

const machines = new WeakMap<
  Asl,
  { machine: StateMachine; waits: ReturnType<typeof localDefinition>['waits']; asl: Asl }
>();

function prepared(asl: Asl) {
  let entry = machines.get(asl);
  if (!entry) {
    const local = localDefinition(asl);
    // The engine's validator adds fields to the definition it checks; give it its own copy.
    entry = {
      machine: new StateMachine(structuredClone(local.asl) as never),
      waits: local.waits,
      asl: local.asl,
    };
    machines.set(asl, entry);
  }
  return entry;
}

/** Lets every pending event be handled (at the current simulated time) before a step moves the clock. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a Lambda-backed Task reports on AWS: the error type as Error, a JSON document as Cause. */
function lambdaError(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  const out = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }));
  out.name = e.name;
  return out;
}

function namedError(name: string, cause: string): Error {
  const e = new Error(cause);
  e.name = name;
  return e;
}

export async function rehearse(options: RehearsalOptions): Promise<RehearsalResult> {
  const { config, definitions, scenario } = options;
  const account = new SimulatedAccount({
    config,
    scenario,
    table: definitions.table,
    ...(options.start && { start: options.start }),
  });
  const clients = simulatedClients(account, config.region);
  const emit = options.onEvent ?? (() => {});
  let executions = 0;

  const patchNow = (payload: unknown) =>
    payload && typeof payload === 'object' && 'now' in payload
      ? { ...payload, now: account.clock.iso() }
      : payload;

  async function decide(request: ApprovalRequest): Promise<Decision> {
    return typeof options.approver === 'function' ? options.approver(request) : options.approver;
  }

  async function execute(
    procedure: string,
    input: unknown,
    depth: number,
  ): Promise<Omit<RehearsalResult, 'changes' | 'account' | 'scenario' | 'procedure'>> {
    const definition = definitions.machines[procedure];
    if (!definition) throw new Error(`no state machine for procedure '${procedure}'`);
    const { machine, waits, asl } = prepared(definition.asl);
    executions++;
    const name = `rehearsal-${scenario.name}-${String(executions).padStart(2, '0')}`;
    const executionArn = `${definition.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const startedAt = account.clock.elapsedSeconds();
    const timeoutSeconds = asl.TimeoutSeconds ?? Number.POSITIVE_INFINITY;
    let timedOut = false;
    let run: ReturnType<StateMachine['run']> | undefined;
    const checkTimeout = () => {
      if (!timedOut && account.clock.elapsedSeconds() - startedAt > timeoutSeconds) {
        timedOut = true;
        run?.abort();
      }
    };

    const handlers: Record<string, (input: never) => Promise<unknown>> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    for (const [stateName, state] of Object.entries(asl.States)) {
      if (state.Retry) retryIntervalOverrides[stateName] = 0;
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      if (resource === CLOCK_RESOURCE) {
        const wait = waits[stateName] ?? {};
        handlers[stateName] = async (input: { seconds?: number; input?: unknown }) => {
          await settle();
          account.clock.advance(wait.seconds ?? input.seconds ?? 0);
          checkTimeout();
          return wait.secondsPath ? input.input : input;
        };
      } else if (definitions.functions[resource]) {
        const worker: Worker = workers[definitions.functions[resource]];
        handlers[stateName] = async (payload: unknown) => {
          await settle();
          try {
            return await invoke(worker, patchNow(payload), clients);
          } catch (error) {
            throw lambdaError(error);
          } finally {
            account.clock.advance(STEP_SECONDS);
            checkTimeout();
          }
        };
      } else if (resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        const worker: Worker =
          workers[definitions.functions[String(state.Parameters?.FunctionName)] ?? 'request-approval'];
        handlers[stateName] = async (params: { Payload: Record<string, unknown> }) => {
          await settle();
          const payload = patchNow(params.Payload) as Record<string, unknown>;
          let recorded: { approvalId: string; expiresAt: string };
          try {
            recorded = (await invoke(worker, payload, clients)) as typeof recorded;
          } catch (error) {
            throw lambdaError(error);
          } finally {
            account.clock.advance(STEP_SECONDS);
          }
          const request = payload.request as Record<string, unknown>;
          const approval: ApprovalRequest = {
            approvalId: recorded.approvalId,
            expiresAt: recorded.expiresAt,
            procedure: String(request.procedure),
            environment: String(request.environment),
            service: String(request.service),
            change: request.image ? `image ${request.image}` : `task definition ${request.taskDefinition}`,
            requestedBy: (request.requestedBy as string | null) ?? null,
            approvers: (request.approvers as string[]) ?? [],
          };
          emit({
            at: account.clock.elapsedSeconds(),
            depth,
            kind: 'approval',
            execution: executionArn,
            state: stateName,
            detail: `requested ${approval.approvalId}: ${approval.change}, expires ${approval.expiresAt}`,
          });
          const decision = await decide(approval);
          const timeout = Number(payload.timeoutSeconds);
          account.clock.advance(decision === 'expire' ? timeout : Math.min(DECISION_SECONDS, timeout - 1));
          recordDecision(account, definitions.table, approval.approvalId, decision);
          emit({
            at: account.clock.elapsedSeconds(),
            depth,
            kind: 'approval',
            execution: executionArn,
            state: stateName,
            detail: `${decision === 'approve' ? 'approved' : decision === 'reject' ? 'rejected' : 'expired'} by the rehearsal`,
          });
          checkTimeout();
          if (decision === 'reject')
            throw namedError(
              'ApprovalRejected',
              `Rejected in the rehearsal (approval ${approval.approvalId}); nothing was changed.`,
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
            decidedAt: account.clock.iso(),
          };
        };
      } else if (resource.startsWith('arn:aws:states:::states:startExecution.sync')) {
        handlers[stateName] = async (params: { StateMachineArn: string; Input: unknown }) => {
          await settle();
          const child = Object.entries(definitions.machines).find(
            ([, m]) => m.arn === params.StateMachineArn,
          )?.[0];
          if (!child)
            throw namedError(
              'StepFunctions.StateMachineDoesNotExistException',
              `State machine ${params.StateMachineArn} does not exist`,
            );
          const result = await execute(child, params.Input, depth + 1);
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
      } else {
        throw new Error(`the rehearsal has no local handler for Task '${stateName}' (${resource})`);
      }
    }

    const context = {
      Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${config.account}:role/rehearsal` },
      StateMachine: { Id: definition.arn, Name: definition.name },
      State: { Name: '', EnteredTime: account.clock.iso(), RetryCount: 0 },
      Task: { Token: `rehearsal-task-token/${name}` },
    };
    emit({ at: startedAt, depth, kind: 'started', execution: executionArn, detail: procedure });
    run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      context,
    });
    let transitions = 0;
    const consume = (async () => {
      for await (const event of run.eventLogs) {
        const at = account.clock.elapsedSeconds();
        const e = event as {
          type: string;
          state?: { name: string; type: string; output?: unknown };
          Error?: string;
          Cause?: string;
          retry?: { retrier: { IntervalSeconds?: number; BackoffRate?: number }; attempt: number };
        };
        const base = {
          at,
          depth,
          execution: executionArn,
          ...(e.state && { state: e.state.name, type: e.state.type }),
        };
        if (e.type === 'StateEntered') {
          transitions++;
          emit({ ...base, kind: 'entered' });
        } else if (e.type === 'StateExited') emit({ ...base, kind: 'exited', output: e.state?.output });
        else if (e.type === 'StateFailed')
          emit({
            ...base,
            kind: 'failed',
            ...(e.Error && { error: e.Error }),
            ...(e.Cause && { cause: String(e.Cause) }),
          });
        else if (e.type === 'StateRetried' && e.retry) {
          // The engine retries at once; the clock moves by the retrier's (jitter-free) interval instead.
          const { IntervalSeconds = 1, BackoffRate = 2 } = e.retry.retrier;
          account.clock.advance(IntervalSeconds * BackoffRate ** Math.max(0, e.retry.attempt - 1));
          emit({
            ...base,
            at: account.clock.elapsedSeconds(),
            kind: 'retried',
            detail: `attempt ${e.retry.attempt + 1}`,
          });
        } else if (e.type === 'StateCaught') emit({ ...base, kind: 'caught' });
      }
    })();

    let status: ExecutionStatus = 'SUCCEEDED';
    let error: string | null = null;
    let cause: string | null = null;
    let output: unknown = null;
    try {
      output = await run.result;
    } catch (failure) {
      if (timedOut) {
        status = 'TIMED_OUT';
        error = 'States.Timeout';
        cause = `The execution ran longer than its ${timeoutSeconds} s timeout`;
      } else if (failure instanceof ExecutionAbortedError) {
        status = 'ABORTED';
      } else if (failure instanceof ExecutionError) {
        status = 'FAILED';
        const inner = failure.cause as Error;
        error = inner.name;
        cause = inner.message;
      } else {
        throw failure;
      }
    }
    await consume.catch(() => {});
    emit({
      at: account.clock.elapsedSeconds(),
      depth,
      kind: 'finished',
      execution: executionArn,
      detail: status,
      ...(error && { error }),
      ...(cause && { cause }),
    });
    return {
      executionArn,
      status,
      error,
      cause,
      output,
      transitions,
      durationSeconds: account.clock.elapsedSeconds() - startedAt,
    };
  }

  const result = await execute(options.procedure, options.input, 0);
  return {
    procedure: options.procedure,
    scenario: scenario.name,
    ...result,
    changes: account.changes,
    account: account.state(),
  };
}

/** What the approval service would write: the decision, on the approval's record. */
function recordDecision(
  account: SimulatedAccount,
  table: string,
  approvalId: string,
  decision: Decision,
): void {
  const key = { pk: { S: `approval#${approvalId}` } };
  const item = account.dynamodb.getItem({ TableName: table, Key: key }).Item;
  if (!item) return;
  const status = decision === 'approve' ? 'approved' : decision === 'reject' ? 'rejected' : 'expired';
  account.dynamodb.putItem({
    TableName: table,
    Item: {
      ...item,
      status: { S: status },
      decidedBy: { S: 'rehearsal' },
      decidedAt: { S: account.clock.iso() },
    },
  });
}

export { SimulatedAccount };
