// What a procedure is: one typed description the stack, the CLI, the docs and the tests all read.
// A procedure's own files sit in a folder named after it in each layer; statemachines/registry.ts
// lists every procedure, and nothing else names one by hand.
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { z } from 'zod';
import type { RunbookErrorClass } from '../tasks/errors.ts';
import type { Catalogue } from '../tasks/schemas/catalogue.ts';
import type { Worker } from '../tasks/worker.ts';
import type { Timing } from './timing.ts';

/**
 * What a definition needs from the app: a Lambda function per worker, the state machines of the
 * procedures it runs nested, and the names of the shared resources. It knows nothing else of the
 * infrastructure.
 */
export interface Deps {
  /** The procedure whose machine is being built (its name, as notices and reasons say it). */
  readonly procedure: string;
  /** The Lambda function that runs a worker (one per worker, whichever procedures use it). */
  worker(worker: Worker): lambda.IFunction;
  /** The state machine of another procedure, to run as a nested execution (one of its `runs`). */
  stateMachine(procedure: ProcedureSpec): sfn.IStateMachine;
  /** The state machines that run this procedure nested (those listing it in their `runs`). */
  readonly parents: readonly string[];
  /** DynamoDB table of locks, approvals and known-good records. */
  readonly table: string;
  /** SNS topic for start, approval, success, rollback and failure notices. */
  readonly topicArn: string;
  /** Where snapshots are exported (the stack's export bucket, role and key); null when no database exports. */
  readonly databaseExports: {
    readonly bucket: string;
    readonly roleArn: string;
    readonly kmsKeyArn: string;
  } | null;
  /** Resolved by the first step of every procedure; embedded in the definition. */
  readonly catalogue: Catalogue;
  readonly timing: Timing;
  /** Longest a run of this machine may take (its timeout); its lock expires after it even if the run dies without its Catch. */
  readonly maxRunSeconds: number;
}

/** What a procedure locks for the length of a run (one run per target); a read-only one locks nothing. */
export type LockKind = 'service' | 'database' | 'none';

/** Who a scheduled run names as having asked for it. */
export const SCHEDULER = 'EventBridge Scheduler';

/** A run a procedure's schedule starts by itself (EventBridge Scheduler, infra/runbook-stack.ts). */
export interface ScheduledRun {
  /** Unique within the procedure (an environment's name): the schedule is named after it. */
  readonly name: string;
  /** An EventBridge Scheduler expression: cron(minutes hours day-of-month month day-of-week year) or rate(n hours). */
  readonly expression: string;
  /** The IANA time zone the expression is read in. */
  readonly timeZone: string;
  /** The execution input it starts each run with (it must validate: the contract test checks). */
  readonly input: unknown;
}

/** Who makes an attempt on an approval in a rehearsal, as a simulated identity (rehearsal/approvals.ts). */
export type Decider =
  /** The first or second person a configured approver pattern names. */
  | 'approver'
  | 'second-approver'
  /** Whoever the input names as requestedBy, signed in as an approver would be. */
  | 'requester'
  /** The person who started the run (as CloudTrail records it), signed in as an approver would be. */
  | 'starter'
  /** Someone no approver pattern names. */
  | 'non-approver'
  /** A person who names themselves (the interactive prompt). */
  | { readonly person: string };

/** One attempt to decide an approval in a rehearsal; the approval service's rules judge it. */
export interface ApprovalAttempt {
  readonly as: Decider;
  readonly decision: 'approve' | 'reject';
  /** A comment on an approval, the reason of a rejection. */
  readonly comment?: string;
  /** Made after the request expired. */
  readonly late?: boolean;
  /** Made this many minutes after the request (default: 20 after the last attempt). */
  readonly afterMinutes?: number;
}

/**
 * How an approval is decided in a scenario: approved (by as many approvers as it needs), rejected
 * (with a reason), left to expire, a list of attempts the rules judge one by one (if none closes
 * the request, it expires), or a raw SendTaskSuccess output (a faulty approval service).
 */
export type ScenarioApproval =
  | 'approve'
  | 'reject'
  | 'expire'
  | { readonly reject: string }
  | { readonly attempts: readonly ApprovalAttempt[] }
  | { readonly sendTaskSuccess: unknown };

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One path of a procedure: the faults it meets, what it is given, and the outcome it must reach. */
export interface ScenarioSpec {
  /** kebab-case, unique within the procedure; `runbook rehearse <procedure> --scenario <name>`. */
  readonly name: string;
  readonly description: string;
  /** The simulated account's fault scenario it runs against (rehearsal/scenarios.ts). @default the scenario's name */
  readonly faults?: string;
  /** The execution input. @default the procedure's example */
  readonly input?: unknown;
  /** How its approvals are decided. @default 'approve' */
  readonly approval?: ScenarioApproval;
  /** The outcome it must reach: the execution status, and the error (null on success). */
  readonly expect: { readonly status: ExecutionStatus; readonly error: RunbookErrorClass | null };
}

/** What a procedure's time budget is computed from. */
export interface BudgetContext {
  readonly timing: Timing;
  readonly catalogue: Catalogue;
}

export interface Budget {
  /** The execution timeout: above the worst case of a whole run, so a Catch always gets to run. */
  readonly runSeconds: number;
  /** Poll rounds one run may take at worst; the config refuses budgets above MAX_POLL_ROUNDS. */
  readonly pollRounds: number;
}

export interface ProcedureSpec {
  /** kebab-case; the state machine is named runbook-<name>. */
  readonly name: string;
  /** One sentence: the state machine's comment and the catalogue's summary. */
  readonly summary: string;
  /** The heading of the operational runbook it automates. */
  readonly runbookSection: string;
  /** The execution input, strict (unknown fields rejected): the console's and the CLI's schema. */
  readonly input: z.ZodType;
  /** An input that validates and rehearses to SUCCEEDED (examples/<name>.json). */
  readonly example: unknown;
  readonly lock: LockKind;
  /** The procedures it runs as nested executions. */
  readonly runs?: readonly ProcedureSpec[];
  /** Builds the definition; the stack gives it its workers, nested machines and shared resources. */
  readonly definition: (scope: Construct, deps: Deps) => sfn.IChainable;
  budget(context: BudgetContext): Budget;
  /** Every error a run can end with. */
  readonly errors: readonly RunbookErrorClass[];
  readonly scenarios: readonly ScenarioSpec[];
  /** What a run's output says, in lines for a person (a report's findings); none unless it says. */
  describeOutput?(output: unknown): readonly string[];
  /** The runs it starts by itself, from the config (none unless it says). */
  schedules?(catalogue: Catalogue): readonly ScheduledRun[];
  /** Its reference page, from the repository root. */
  readonly page: string;
}

/** The stack name a config has unless it names another. */
export const DEFAULT_STACK_NAME = 'Runbook';

/** What every state machine of a stack is named with first: two stacks side by side never share a name. */
export const machinePrefixOf = (stackName: string) => `${stackName.toLowerCase()}-`;

/** The state machine of a procedure in a stack: `runbook-<name>` in the default one. */
export const stateMachineName = (procedure: Pick<ProcedureSpec, 'name'>, stackName = DEFAULT_STACK_NAME) =>
  `${machinePrefixOf(stackName)}${procedure.name}`;

/** Where a procedure's scenario meets its faults. */
export const faultsOf = (scenario: ScenarioSpec) => scenario.faults ?? scenario.name;
