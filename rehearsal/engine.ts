// Runs a synthesized definition in aws-local-stepfunctions against the simulated account, with
// every Task served in-process (task-handlers.ts), and reports the execution as a timeline of
// events on the simulated clock and a result: status, error, cause, changes, the account's state.
import './polyfill.ts';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { Config } from '../infra/config.ts';
import { machinePrefixOf } from '../statemachines/procedure.ts';
import type { Clients } from '../tasks/clients.ts';
import { handleAbandonedRun } from '../tasks/handle-abandoned-run.ts';
import { invoke } from '../tasks/worker.ts';
import { type AccountState, type Change, SimulatedAccount } from './account/account.ts';
import { simulatedClients } from './account/clients.ts';
import type { Moment } from './account/moments.ts';
import type { Asl, Definitions } from './definitions.ts';
import { executionInputProblem, firstStepReserve } from './execution-input.ts';
import { seedRunState } from './fixtures.ts';
import { loadIamFacts } from './iam/requests.ts';
import { localDefinition } from './local-definition.ts';
import type { FaultScenario } from './scenarios.ts';
import { taskHandlers } from './task-handlers.ts';
import type {
  ApprovalRequest,
  Approver,
  Decision,
  ExecutionOutcome,
  ExecutionStatus,
  Pace,
  TimelineEvent,
} from './types.ts';

export type { ApprovalRequest, Approver, Decision, ExecutionOutcome, ExecutionStatus, Pace, TimelineEvent };

export interface RehearsalOptions {
  readonly config: Config;
  readonly definitions: Definitions;
  readonly procedure: string;
  readonly input: unknown;
  /** The scenario's name (in execution names and the result), and how the account misbehaves in it. */
  readonly scenario: string;
  readonly faults: FaultScenario;
  readonly approver: Approver;
  readonly onEvent?: (event: TimelineEvent) => void;
  /** The simulated clock's starting time. @default now */
  readonly start?: Date;
  /**
   * A person stops the run (StopExecution) as it, or a run it started, enters this state: stopping
   * a run stops the nested run it waits on too, as the .sync integration does. With `redrive` they
   * then redrive it (RedriveExecution): it resumes at the state it was stopped in, with that
   * state's input, its RedriveCount one more; the result is the redriven run's.
   */
  readonly stop?: {
    readonly atState: string;
    readonly redrive: boolean;
    /** What else happens in the account between the stop and the redrive. */
    readonly beforeRedrive?: (account: SimulatedAccount) => void;
  };
  /** The started execution's name (its nested ones get generated names, as on AWS). @default rehearsal-<scenario>-01 */
  readonly name?: string;
  /** StopExecution: the run, and the nested run it waits on, end ABORTED. */
  readonly signal?: AbortSignal;
  /** How simulated time takes real time (the local endpoint); without it, none. */
  readonly pace?: Pace;
  /** Hears of the simulated account once it is set up (the local endpoint answers task tokens in it). */
  readonly onAccount?: (account: SimulatedAccount) => void;
}

export interface RehearsalResult extends ExecutionOutcome {
  readonly procedure: string;
  readonly scenario: string;
  readonly changes: Change[];
  /** What really happened to the environment, and when: the account's own record (account/moments.ts). */
  readonly moments: Moment[];
  /** AWS calls the stack's functions made (a worker's billed time goes to them). */
  readonly workerCalls: number;
  readonly account: AccountState;
}

/** How the engine's task tokens begin; the execution that issued one follows (the local endpoint reads it). */
export const TASK_TOKEN_PREFIX = 'rehearsal-task-token/';

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

/** The same machine started at another state: a redrive resumes there. */
function resumedAt(asl: Asl, state: string) {
  const entry = prepared(asl);
  if (!entry.asl.States[state]) throw new Error(`no state ${state} to resume at`);
  const from = { ...entry.asl, StartAt: state };
  // The whole definition was validated as synthesized; started elsewhere, the states before this
  // one are unreachable, which the engine's validator would refuse.
  return {
    ...entry,
    machine: new StateMachine(structuredClone(from) as never, { validationOptions: { noValidate: true } }),
  };
}

/** Where a redrive picks a run up: the state it was in when it ended, and that state's input. */
interface Resume {
  readonly executionArn: string;
  readonly name: string;
  readonly state: string;
  readonly input: unknown;
  readonly redriveCount: number;
}

/** StartExecution refused the input (too large, or nested too deep): no run started. */
export class ExecutionInputRefused extends Error {
  override readonly name = 'ExecutionInputRefused';
}

export async function rehearse(options: RehearsalOptions): Promise<RehearsalResult> {
  const { config, definitions, scenario, faults } = options;
  const refused = executionInputProblem(options.input, firstStepReserve(config));
  if (refused) throw new ExecutionInputRefused(refused);
  await loadIamFacts();
  const account = new SimulatedAccount({
    config,
    faults,
    table: definitions.table,
    topicKeys: definitions.topicKeys,
    ...(options.start && { start: options.start }),
  });
  seedRunState(account, config, definitions.table, faults.fixtures);
  options.onAccount?.(account);
  // The rehearsal's own clients (an administrator), and each worker's, authorized as its role.
  const clients = simulatedClients(account, config.region);
  const workerClients = new Map<string, Clients>();
  const clientsAs = (worker: string): Clients => {
    const role = definitions.workerRoles[worker];
    if (!role) throw new Error(`the synthesized stack has no role for the worker ${worker}`);
    let found = workerClients.get(worker);
    if (!found) {
      found = simulatedClients(account, config.region, role);
      workerClients.set(worker, found);
    }
    return found;
  };
  const emit = options.onEvent ?? (() => {});
  let executions = 0;
  /** The runs in progress, outermost first: a person's stop reaches each. */
  const active: { abort: () => void }[] = [];
  let stopped = false;
  const stopAll = () => {
    stopped = true;
    for (const running of [...active].reverse()) running.abort();
  };
  options.signal?.addEventListener('abort', stopAll);

  const decide = async (request: ApprovalRequest): Promise<Decision> =>
    typeof options.approver === 'function' ? options.approver(request) : options.approver;

  /**
   * Who starts the rehearsed run, as CloudTrail records it: the person the input names as
   * requestedBy (else an operator), signed in through IAM Identity Center.
   */
  const requestedBy = (options.input as { requestedBy?: unknown } | null)?.requestedBy;
  const operator = `arn:aws:sts::${config.account}:assumed-role/AWSReservedSSO_Operator_rehearsal/${typeof requestedBy === 'string' && /^[\w+=,.@-]{1,64}$/.test(requestedBy) ? requestedBy : 'operator'}`;

  async function execute(
    procedure: string,
    input: unknown,
    depth: number,
    startedBy: string,
    resume?: Resume,
    onStart?: (executionArn: string, startDate: string) => void,
  ): Promise<ExecutionOutcome & { unfinished: { state: string; input: unknown } | null }> {
    const definition = definitions.machines[procedure];
    if (!definition) throw new Error(`no state machine for procedure '${procedure}'`);
    const { machine, waits, asl } = resume
      ? resumedAt(definition.asl, resume.state)
      : prepared(definition.asl);
    executions++;
    const name =
      resume?.name ??
      (options.name === undefined
        ? `rehearsal-${scenario}-${String(executions).padStart(2, '0')}`
        : depth === 0
          ? options.name
          : randomUUID());
    const executionArn =
      resume?.executionArn ?? `${definition.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const startedAt = account.clock.elapsedSeconds();
    account.service('sfn').execution(executionArn, 'RUNNING');
    account.service('cloudtrail').record({
      eventSource: 'states.amazonaws.com',
      eventName: 'StartExecution',
      arn: startedBy,
      requestParameters: { stateMachineArn: definition.arn, name },
      responseElements: { executionArn, startDate: account.clock.iso() },
    });
    onStart?.(executionArn, account.clock.iso());
    const timeoutSeconds = asl.TimeoutSeconds ?? Number.POSITIVE_INFINITY;
    let timedOut = false;
    let run: ReturnType<StateMachine['run']> | undefined;
    const checkTimeout = () => {
      if (!timedOut && account.clock.elapsedSeconds() - startedAt > timeoutSeconds) {
        timedOut = true;
        run?.abort();
      }
    };

    const role = definitions.machineRoles[procedure];
    if (!role) throw new Error(`the synthesized stack has no role for the state machine of ${procedure}`);
    const attempts = new Map<string, number>();
    const handlers = taskHandlers(asl, waits, {
      account,
      attempts,
      clients,
      clientsAs,
      role,
      definitions,
      executionArn,
      depth,
      emit,
      decide,
      startedBy,
      // A nested run is started by the parent's state machine role.
      runChild: (child, childInput, started) =>
        execute(child, childInput, depth + 1, role.arn, undefined, started),
      checkTimeout,
      ...(options.pace && { pace: options.pace }),
    });
    // The engine would really wait between retries; the clock moves by the interval instead (below).
    const retryIntervalOverrides = Object.fromEntries(
      Object.entries(asl.States)
        .filter(([, state]) => state.Retry)
        .map(([name]) => [name, 0]),
    );

    const context = {
      Execution: {
        Id: executionArn,
        Name: name,
        RoleArn: `arn:aws:iam::${config.account}:role/rehearsal`,
        RedriveCount: resume?.redriveCount ?? 0,
      },
      StateMachine: { Id: definition.arn, Name: definition.name },
      State: { Name: '', EnteredTime: account.clock.iso(), RetryCount: 0 },
      Task: { Token: `${TASK_TOKEN_PREFIX}${executionArn}` },
    };
    emit({
      at: startedAt,
      depth,
      kind: 'started',
      execution: executionArn,
      input,
      detail: resume ? `${procedure} (redriven at ${resume.state})` : procedure,
    });
    run = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      context,
    });
    const thisRun = run;
    active.push(thisRun);
    // Stopped before it got going (StopExecution right after StartExecution): it ends at once.
    if (options.signal?.aborted) stopAll();
    /** The state in progress: where a stopped run was, and where its redrive resumes. */
    let unfinished: { state: string; input: unknown } | null = null;
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
          if (e.state) attempts.set(e.state.name, 0);
          unfinished = e.state
            ? { state: e.state.name, input: (e.state as { input?: unknown }).input }
            : null;
          emit({ ...base, kind: 'entered', input: (e.state as { input?: unknown } | undefined)?.input });
          if (options.stop && !stopped && e.state?.name === options.stop.atState) {
            // A person stops the outermost run; Step Functions stops the nested runs it waits on.
            stopAll();
          }
        } else if (e.type === 'StateExited') {
          if (unfinished?.state === e.state?.name) unfinished = null;
          emit({ ...base, kind: 'exited', output: e.state?.output });
        } else if (e.type === 'StateFailed')
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
    active.splice(active.indexOf(thisRun), 1);
    account.service('sfn').execution(executionArn, status);
    // As on AWS, EventBridge's abandoned-run rule hands a run that ended this way to its worker,
    // which releases a lock the run still holds and pages (infra/runbook-stack.ts).
    if (status !== 'SUCCEEDED') {
      const note = (detail: string) =>
        emit({
          at: account.clock.elapsedSeconds(),
          depth,
          kind: 'abandoned',
          execution: executionArn,
          detail,
        });
      try {
        const handled = (await invoke(
          handleAbandonedRun,
          {
            table: definitions.table,
            topicArn: definitions.topicArn,
            executionArn,
            stateMachineArn: definition.arn,
            status,
            machinePrefix: machinePrefixOf(config.stackName),
          },
          clientsAs(handleAbandonedRun.name),
        )) as { released: string[] };
        if (handled.released.length > 0 || status !== 'FAILED')
          note(
            `${status}: the on-call was paged${handled.released.length > 0 ? `, and its lock on ${handled.released.join(', ')} released` : ''}`,
          );
      } catch (failure) {
        // On AWS, EventBridge retries the invocation (8 times, for 2 hours): the rehearsal says so.
        note(
          `${status}: its handler failed (${(failure as Error).name}: ${(failure as Error).message}); on AWS, EventBridge retries it for up to 2 hours`,
        );
      }
    }
    emit({
      at: account.clock.elapsedSeconds(),
      depth,
      kind: 'finished',
      execution: executionArn,
      detail: status,
      ...(status === 'SUCCEEDED' && { output }),
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
      unfinished: status === 'SUCCEEDED' ? null : unfinished,
    };
  }

  let { unfinished, ...result } = await execute(options.procedure, options.input, 0, operator);
  if (options.stop?.redrive && result.status !== 'SUCCEEDED' && unfinished) {
    const first = result;
    options.stop.beforeRedrive?.(account);
    ({ unfinished, ...result } = await execute(options.procedure, unfinished.input, 0, operator, {
      executionArn: first.executionArn,
      name: first.executionArn.split(':').pop() ?? '',
      state: unfinished.state,
      input: unfinished.input,
      redriveCount: 1,
    }));
    result = { ...result, transitions: first.transitions + result.transitions };
  }
  return {
    procedure: options.procedure,
    scenario,
    ...result,
    changes: account.changes,
    moments: account.moments.list,
    workerCalls: account.workerCalls,
    account: account.state(),
  };
}
