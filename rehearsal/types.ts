// The types the rehearsal's engine and its Task handlers share: how approvals are asked and decided,
// the events of the timeline, and how an execution ended.
import type { ExecutionStatus, ScenarioApproval } from '../statemachines/procedure.ts';
import type { ApprovalRule, ApprovalSummary } from '../tasks/approvals/request.ts';

export type { ExecutionStatus };

/**
 * How an approval is decided: approved, rejected, left to expire, or, to rehearse a faulty approval
 * service, whatever output it sends with SendTaskSuccess (as a procedure's scenario may declare).
 */
export type Decision = ScenarioApproval;

/** An approval waiting for a decision: its summary as the approval worker recorded and announced it. */
export interface ApprovalRequest extends ApprovalSummary {
  readonly approvalId: string;
  readonly expiresAt: string;
  /** What a decision must name: the hash of what is shown. */
  readonly summaryHash: string;
  /** Who may decide it, and how many must approve. */
  readonly rule: ApprovalRule;
}

/**
 * Real seconds for simulated ones: how a run that someone follows (the local endpoint) takes time.
 * `until` is given where a run waits for a person (an approval gate): it resolves with the simulated
 * seconds that passed, fewer once `until` holds. It never settles once the run was stopped. Without
 * one, a rehearsal takes no real time at all.
 */
export type Pace = (seconds: number, until?: () => boolean) => Promise<number>;

/** How the rehearsal decides approvals: a fixed answer, or a function (e.g. a prompt on a TTY). */
export type Approver = Decision | ((request: ApprovalRequest) => Promise<Decision>);

export interface TimelineEvent {
  /** Seconds since the rehearsal started (simulated). */
  readonly at: number;
  /** 0 for the execution started, 1 for a nested execution it runs, ... */
  readonly depth: number;
  readonly kind:
    | 'started'
    | 'entered'
    | 'exited'
    | 'failed'
    | 'retried'
    | 'caught'
    | 'approval'
    | 'finished'
    /** The abandoned-run rule handled the execution's end (TIMED_OUT, ABORTED, FAILED). */
    | 'abandoned'
    /** A Task's integration was called (`input`: its effective parameters, `detail`: its resource). */
    | 'scheduled'
    /** A callback or nested-run Task handed its work over and waits (`output`: what the call returned). */
    | 'submitted'
    /** A Task's integration answered (`output`: its raw result) or failed (`error`, `cause`): once per attempt. */
    | 'task-succeeded'
    | 'task-failed';
  readonly execution: string;
  readonly state?: string;
  readonly type?: string;
  /** What a state was entered with; for `scheduled`, the parameters the integration was called with. */
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly detail?: string;
}

/** How one execution (the one started, or a nested one) ended. */
export interface ExecutionOutcome {
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  readonly error: string | null;
  readonly cause: string | null;
  readonly output: unknown;
  /** State transitions of the execution (nested executions count their own). */
  readonly transitions: number;
  /** Simulated seconds from start to finish. */
  readonly durationSeconds: number;
}
