// The local endpoint's Step Functions: the registry's synthesized state machines, and their
// executions run on the rehearsal engine against a simulated account, on simulated time that runs
// `speed` times faster than real time. Each execution started gets an account of its own, made from
// its scenario (named by a prefix of its name, `<scenario>--...`, else the endpoint's default).
// Executions, their histories and the state of each run's simulated account are written to a folder
// as they go; an endpoint started again reads them back, and an execution it was running is reported
// FAILED (Local.EndpointRestarted): never lost, never silently RUNNING forever. (Not resumed: the
// engine cannot take a run up again mid-state, and a simulated account's services are objects in
// memory, not state that could be read back into a run.)
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../infra/config.ts';
import type { AccountState, SimulatedAccount } from '../rehearsal/account/account.ts';
import type { Definitions } from '../rehearsal/definitions.ts';
import { rehearse, TASK_TOKEN_PREFIX } from '../rehearsal/engine.ts';
import { executionInputProblem } from '../rehearsal/execution-input.ts';
import { faultScenario } from '../rehearsal/scenarios.ts';
import type { Pace, TimelineEvent } from '../rehearsal/types.ts';
import { faultsOf } from '../statemachines/procedure.ts';
import { procedureNamed } from '../statemachines/registry.ts';
import { closeHistory, type HistoryEvent, historyRecorder, machineRoleArn } from './history.ts';

/** An error the Step Functions API answers with: its code (`__type`) and message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export type Status = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly procedure: string;
  readonly scenario: string;
  /** The execution that started this one as a nested run, if any. */
  readonly parentArn: string | null;
  /** As given to StartExecution (JSON text). */
  readonly input: string;
  startDate: number;
  status: Status;
  stopDate: number | null;
  output: string | null;
  error: string | null;
  cause: string | null;
  readonly history: HistoryEvent[];
  /** The simulated account the run works on (a nested run shares its parent's), as last saved. */
  account: AccountState | null;
}

export interface LocalOptions {
  readonly config: Config;
  readonly definitions: Definitions;
  /** Where executions are kept across restarts. */
  readonly dir: string;
  /** Simulated seconds per real second. */
  readonly speed: number;
  /** Simulated seconds per real second while a run waits for a person (an approval). @default speed */
  readonly approvalSpeed?: number;
  /** The scenario of an execution whose name does not begin with one. @default happy */
  readonly scenario?: string;
}

/** Execution names as StartExecution accepts them: 1-80 characters, none of these. */
const BAD_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const isControl = (name: string) =>
  [...name].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
const MAX_INPUT_CHARS = 262_144;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LocalStepFunctions {
  private readonly executions = new Map<string, Execution>();
  /** Runs in progress (started ones, not nested): how to stop them, and their accounts. */
  private readonly live = new Map<
    string,
    {
      controller: AbortController;
      account: SimulatedAccount | null;
      stop: { error?: string; cause?: string };
    }
  >();
  private readonly dirty = new Set<string>();
  private flushing: NodeJS.Timeout | null = null;
  private readonly created = Date.now();

  constructor(private readonly options: LocalOptions) {
    mkdirSync(this.folder, { recursive: true });
    for (const file of readdirSync(this.folder).filter((f) => f.endsWith('.json'))) {
      const execution = JSON.parse(readFileSync(join(this.folder, file), 'utf8')) as Execution;
      if (execution.status === 'RUNNING') {
        const now = Date.now();
        Object.assign(execution, {
          status: 'FAILED',
          stopDate: now,
          error: 'Local.EndpointRestarted',
          cause:
            'The local endpoint stopped while this execution ran, and a run is not resumed mid-state; its simulated account as last saved is kept in this record.',
        });
        closeHistory(execution.history, now, String(execution.error), String(execution.cause));
        this.dirty.add(execution.executionArn);
      }
      this.executions.set(execution.executionArn, execution);
    }
    this.flush();
  }

  private get folder() {
    return join(this.options.dir, 'executions');
  }

  /** The state machines, one per procedure of the registry. */
  stateMachines() {
    return Object.entries(this.options.definitions.machines).map(([procedure, m]) => ({
      procedure,
      stateMachineArn: m.arn,
      name: m.name,
      type: 'STANDARD',
      creationDate: this.created,
      definition: JSON.stringify(m.asl),
      roleArn: machineRoleArn(this.options.definitions, procedure),
    }));
  }

  stateMachine(arn: unknown) {
    const machine = this.stateMachines().find((m) => m.stateMachineArn === arn);
    if (!machine)
      throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    return machine;
  }

  execution(arn: unknown): Execution {
    const found = this.executions.get(String(arn));
    if (!found) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return found;
  }

  /** Newest first, as ListExecutions answers. */
  list(stateMachineArn: unknown): Execution[] {
    this.stateMachine(stateMachineArn);
    return [...this.executions.values()]
      .filter((e) => e.stateMachineArn === stateMachineArn)
      .sort((a, b) => b.startDate - a.startDate);
  }

  start(request: { stateMachineArn?: unknown; name?: unknown; input?: unknown }): Execution {
    const machine = this.stateMachine(request.stateMachineArn);
    const name = request.name === undefined ? randomUUID() : String(request.name);
    if (name.length < 1 || name.length > 80 || BAD_NAME.test(name) || isControl(name))
      throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
    const text = request.input === undefined ? '{}' : String(request.input);
    if (text.length > MAX_INPUT_CHARS)
      throw new ApiError(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_CHARS}`,
      );
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (error) {
      throw new ApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
      );
    }
    const refused = executionInputProblem(input);
    if (refused)
      throw new ApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${refused}'`);
    const executionArn = `${machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // As on AWS: the same name and input while it runs is the same start; anything else is refused.
      if (existing.status === 'RUNNING' && existing.input === text) return existing;
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const procedure = procedureNamed(machine.procedure);
    if (!procedure) throw new ApiError('StateMachineDoesNotExist', `No procedure for '${machine.name}'`);
    const named = /^(.+?)--/.exec(name)?.[1];
    const scenario =
      procedure.scenarios.find((s) => s.name === named) ??
      procedure.scenarios.find((s) => s.name === (this.options.scenario ?? 'happy')) ??
      procedure.scenarios[0];
    const faults = scenario && faultScenario(faultsOf(scenario));
    if (!scenario || !faults) throw new ApiError('ValidationException', `No scenario to run ${name} in`);

    const startMs = Date.now();
    const execution = this.record(
      executionArn,
      machine.stateMachineArn,
      name,
      machine.procedure,
      scenario.name,
      null,
      text,
      startMs,
    );
    const controller = new AbortController();
    const live = {
      controller,
      account: null as SimulatedAccount | null,
      stop: {} as { error?: string; cause?: string },
    };
    this.live.set(executionArn, live);
    const recorder = historyRecorder(this.options.definitions, this.options.config.region, startMs, (run) =>
      run.executionArn === executionArn
        ? execution.history
        : this.record(
            run.executionArn,
            run.stateMachineArn,
            run.executionArn.split(':').pop() ?? '',
            run.procedure,
            scenario.name,
            run.parentArn,
            JSON.stringify(run.input),
            startMs + run.at * 1000,
          ).history,
    );
    const onEvent = (e: TimelineEvent) => {
      const target = this.executions.get(e.execution);
      if (e.kind === 'finished' && target) {
        const stopped = e.detail === 'ABORTED' ? live.stop : {};
        const error = e.error ?? stopped.error ?? null;
        const cause = e.cause ?? stopped.cause ?? null;
        Object.assign(target, {
          status: e.detail as Status,
          stopDate: startMs + e.at * 1000,
          output: e.detail === 'SUCCEEDED' ? JSON.stringify(e.output ?? null) : null,
          error,
          cause,
        });
        recorder.onEvent({ ...e, ...(error && { error }), ...(cause && { cause }) });
      } else recorder.onEvent(e);
      if (this.executions.has(e.execution)) this.changed(e.execution, e.kind === 'finished');
    };
    rehearse({
      config: this.options.config,
      definitions: this.options.definitions,
      procedure: machine.procedure,
      input,
      scenario: scenario.name,
      faults,
      // Nobody decides for the run: its approvals wait for a decision through the endpoint.
      approver: { attempts: [] },
      name,
      start: new Date(startMs),
      signal: controller.signal,
      pace: this.pace(controller.signal),
      onAccount: (account) => {
        live.account = account;
      },
      onEvent,
    })
      .catch((error: Error) => {
        // A fault of the rehearsal itself: the execution ends FAILED saying so, the endpoint goes on.
        for (const e of this.executions.values())
          if (e.status === 'RUNNING' && (e.executionArn === executionArn || e.parentArn === executionArn)) {
            Object.assign(e, {
              status: 'FAILED',
              stopDate: Date.now(),
              error: 'Local.InternalError',
              cause: `${error.name}: ${error.message}`,
            });
            closeHistory(e.history, Date.now(), 'Local.InternalError', String(e.cause));
            this.changed(e.executionArn, true);
          }
      })
      .finally(() => this.live.delete(executionArn));
    return execution;
  }

  stop(request: { executionArn?: unknown; error?: unknown; cause?: unknown }): Execution {
    const execution = this.execution(request.executionArn);
    if (execution.parentArn !== null && execution.status === 'RUNNING')
      // On AWS the parent's Task would fail (and its Catch decide); the engine can only stop the whole run.
      throw new ApiError(
        'ValidationException',
        `the local endpoint stops a nested execution only with its parent: stop ${execution.parentArn}`,
      );
    const live = this.live.get(execution.executionArn);
    if (execution.status !== 'RUNNING' || !live)
      throw new ApiError(
        'ValidationException',
        `Execution is not RUNNING: '${execution.executionArn}' is ${execution.status}`,
      );
    live.stop = {
      ...(typeof request.error === 'string' && { error: request.error }),
      ...(typeof request.cause === 'string' && { cause: request.cause }),
    };
    live.controller.abort();
    return execution;
  }

  /** Answers a task token in the run that issued it, as SendTaskSuccess / SendTaskFailure would. */
  callback(
    action: 'SendTaskSuccess' | 'SendTaskFailure' | 'SendTaskHeartbeat',
    request: Record<string, unknown>,
  ) {
    const token = String(request.taskToken ?? '');
    const account = [...this.live.values()].find((l) => l.account?.service('sfn').issued(token))?.account;
    if (!account) {
      // A token of a run that has ended is closed, as on AWS; anything else was never a token.
      const ended = [...this.executions.keys()].some((arn) =>
        token.startsWith(`${TASK_TOKEN_PREFIX}${arn}/`),
      );
      if (ended) throw new ApiError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
      throw new ApiError('InvalidToken', 'Invalid Token');
    }
    const sfn = account.service('sfn');
    try {
      if (action === 'SendTaskHeartbeat') {
        if (!sfn.waiting(token)) throw new ApiError('TaskTimedOut', 'Task Timed Out');
        // A waiting Task takes the heartbeat; the gates here set no HeartbeatSeconds.
        return {};
      }
      if (action === 'SendTaskSuccess') {
        try {
          JSON.parse(String(request.output));
        } catch {
          throw new ApiError('InvalidOutput', 'Invalid Output: the output is not JSON');
        }
        sfn.commands.SendTaskSuccess(request as never);
      } else sfn.commands.SendTaskFailure(request as never);
      return {};
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError((error as Error).name, (error as Error).message);
    }
  }

  /** The simulated accounts of the runs in progress (the approvals API looks for a request in them). */
  accounts(): SimulatedAccount[] {
    return [...this.live.values()].flatMap((l) => (l.account ? [l.account] : []));
  }

  /** Stops every run in progress (ABORTED) and writes everything (tests). */
  close(): void {
    for (const live of this.live.values()) live.controller.abort();
    this.save();
  }

  /** Writes what changed now: the endpoint stops, and what ran is on disk. */
  save(): void {
    this.flush();
  }

  private pace(signal: AbortSignal): Pace {
    return async (seconds, until) => {
      const speed = until ? (this.options.approvalSpeed ?? this.options.speed) : this.options.speed;
      const realMs = (seconds * 1000) / speed;
      let waited = 0;
      for (;;) {
        // A stopped run's Task never finishes (the engine has already ended the run).
        if (signal.aborted) return new Promise<number>(() => {});
        if (until?.()) return Math.min(seconds, (waited * speed) / 1000);
        if (waited >= realMs) return seconds;
        const slice = Math.min(50, realMs - waited);
        await sleep(slice);
        waited += slice;
      }
    };
  }

  private record(
    executionArn: string,
    stateMachineArn: string,
    name: string,
    procedure: string,
    scenario: string,
    parentArn: string | null,
    input: string,
    startDate: number,
  ): Execution {
    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name,
      procedure,
      scenario,
      parentArn,
      input,
      startDate,
      status: 'RUNNING',
      stopDate: null,
      output: null,
      error: null,
      cause: null,
      history: [],
      account: null,
    };
    this.executions.set(executionArn, execution);
    this.changed(executionArn, true);
    return execution;
  }

  /** Written soon (a quarter second), or at once when it matters (a start, an end). */
  private changed(executionArn: string, now: boolean) {
    this.dirty.add(executionArn);
    if (now) this.flush();
    else this.flushing ??= setTimeout(() => this.flush(), 250);
  }

  private flush() {
    if (this.flushing) clearTimeout(this.flushing);
    this.flushing = null;
    for (const arn of this.dirty) {
      const execution = this.executions.get(arn);
      if (!execution) continue;
      let root: Execution | undefined = execution;
      while (root?.parentArn) root = this.executions.get(root.parentArn);
      const account = root && this.live.get(root.executionArn)?.account;
      if (account) execution.account = account.state();
      const file = join(this.folder, `${execution.stateMachineArn.split(':').pop()}--${execution.name}.json`);
      // Written whole, then moved into place: a crash mid-write never leaves half a record.
      try {
        writeFileSync(`${file}.tmp`, JSON.stringify(execution));
        renameSync(`${file}.tmp`, file);
      } catch (error) {
        // The endpoint goes on serving from memory, and says what it could not keep.
        process.stderr.write(
          `runbook local: cannot save ${execution.name} in ${this.folder}: ${(error as Error).message}\n`,
        );
      }
    }
    this.dirty.clear();
  }
}
