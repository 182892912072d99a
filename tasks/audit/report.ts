// A run made into the record an auditor reads: who asked and why, who approved before the change
// (and that they were not the requester), every step with its times and retries (each poll loop
// folded into one line), what changed from what to what, how it ended, what logic ran. Built only
// from what Step Functions keeps: each execution's history in the real event format (from AWS, the
// local endpoint, a rehearsal or the archive) and the definition that ran. The archive worker writes
// it as JSON beside the history; `runbook audit` renders it as Markdown or HTML.
import { createHash } from 'node:crypto';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { identityOf } from '../approvals/identity.ts';
import type { ApprovalRequest } from '../approvals/request.ts';
import { asRequester } from '../approvals/rules.ts';
import { changesOf, type RecordedChange } from './changes.ts';

/** One execution as it was recorded: its history, and the definition it ran (when known). */
export interface RunRecord {
  readonly executionArn: string;
  /** The procedure of the registry it is a run of. */
  readonly procedure: string;
  readonly history: readonly HistoryEvent[];
  /** The definition that ran (DescribeStateMachineForExecution), as JSON text. */
  readonly definition?: string;
}

export interface Failure {
  readonly error: string;
  readonly cause: string;
  readonly at: string;
}

/** A state as it was visited: one entry and exit. */
export interface StepVisit {
  readonly kind: 'step';
  readonly state: string;
  readonly type: string;
  readonly enteredAt: string;
  readonly exitedAt: string | null;
  readonly seconds: number | null;
  /** Calls of its integration (1 + retries); 0 for a state that calls none. */
  readonly attempts: number;
  /** Attempts that failed: retried, caught, or the run's end. */
  readonly failures: Failure[];
  /** The error a Catch took it on with, if its last attempt failed and the run went on. */
  readonly caught: Failure | null;
  readonly output: unknown;
}

/** A poll loop folded: the same states visited again and again until an answer changed. */
export interface PollLoop {
  readonly kind: 'loop';
  readonly state: string;
  readonly polls: number;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly seconds: number;
  readonly first: unknown;
  readonly last: unknown;
  readonly failures: Failure[];
  /** The error a Catch took the loop out on, if its last poll failed and the run went on. */
  readonly caught: Failure | null;
}

export type Step = StepVisit | PollLoop;

export interface ApprovalRecord {
  readonly gate: string;
  readonly approvalId: string | null;
  readonly requestedAt: string;
  readonly expiresAt: string | null;
  readonly required: number | null;
  /** What the approvers were shown, and its hash (a decision must name it). */
  readonly summary: Record<string, unknown> | null;
  readonly summaryHash: string | null;
  readonly decision: 'approved' | 'rejected' | 'expired' | 'failed' | 'pending';
  readonly decidedAt: string | null;
  readonly approvers: { person: string; arn: string | null; at: string | null; comment: string | null }[];
  /** Decisions the approval rules refused before (the requester approving their own change, ...). */
  readonly refused: { arn: string; at: string | null; code: string }[];
  /** The rejection's or the failure's words, as the gate ended with them. */
  readonly reason: string | null;
  /** Whether no approver is the person who requested the change nor the identity that started the run. */
  readonly independent: boolean | null;
}

export interface AuditReport {
  readonly format: 'runbook-audit/1';
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachine: string;
  readonly procedure: string;
  readonly status: string;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly seconds: number | null;
  readonly started: {
    /** As the request says (input.requestedBy). */
    readonly requestedBy: string | null;
    /** The identity that called StartExecution, as CloudTrail told the approval service, when it did. */
    readonly startedBy: string | null;
    /** How, as the execution's name tells it. */
    readonly via: 'ci' | 'cli' | 'console' | 'rehearsal' | 'nested' | 'other';
    readonly ciRunId: string | null;
    readonly reason: string | null;
    readonly changeRequest: string | null;
    readonly input: unknown;
  };
  readonly approvals: ApprovalRecord[];
  readonly steps: Step[];
  /** Each move from one state to the next, as often as it was taken (the drawing highlights them). */
  readonly transitions: { readonly from: string; readonly to: string; readonly count: number }[];
  readonly changes: RecordedChange[];
  readonly outcome: { readonly status: string; readonly error: string | null; readonly cause: string | null };
  /** A run it started (a rollback): why, and its own report. */
  readonly nested: {
    readonly state: string;
    readonly executionArn: string;
    readonly why: Failure | null;
    /** From the first change to the service to the nested run's service back and stable; null if not both. */
    readonly degradedSeconds: number | null;
    /** Its own report; null if the record does not hold its history. */
    readonly report: AuditReport | null;
  }[];
  readonly definition: { readonly sha256: string | null; readonly comment: string | null };
  /** The history's size, and whether any output in it was cut short by the 256 KiB limit. */
  readonly events: number;
  readonly truncated: boolean;
  /** How often the run was redriven (RedriveExecution): it failed that often before this end. */
  readonly redrives: number;
}

/** A date as ISO text; '' for one missing or not a date (a record damaged by hand). */
const iso = (date: Date | undefined) => {
  const ms = date ? new Date(date).getTime() : Number.NaN;
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
};
const secondsBetween = (from: string, to: string | null) =>
  to && from ? Math.round((Date.parse(to) - Date.parse(from)) / 1000) : null;
const parse = (text: string | undefined): unknown => {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};
const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** A Lambda function's error cause is its JSON error object: its message is what a person reads. */
function causeOf(cause: unknown): string {
  const raw = typeof cause === 'string' ? cause : '';
  const parsed = record(parse(raw));
  return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : raw;
}

/** The details object of an event, whatever its type (`taskFailedEventDetails`, ...). */
function details(event: HistoryEvent): Record<string, unknown> {
  const key = Object.keys(event).find((k) => k.endsWith('EventDetails'));
  return key ? record((event as unknown as Record<string, unknown>)[key]) : {};
}

interface OpenVisit {
  state: string;
  type: string;
  enteredAt: string;
  exitedAt: string | null;
  attempts: number;
  failures: Failure[];
  lastFailed: boolean;
  output: unknown;
  submitted: unknown;
  result: unknown;
  /** The first visit after a redrive: no loop folds across it. */
  redriven: boolean;
}

/**
 * The states visited in order, from the history's events. A Task's events go to the state entered
 * last that has not exited; an exit closes the open visit of its state's name. (Inside a Parallel
 * whose branches run at once, events of two branches interleave and may be given to the wrong one;
 * the registry's machines have no Parallel or Map yet.)
 */
function visitsOf(history: readonly HistoryEvent[]): OpenVisit[] {
  const visits: OpenVisit[] = [];
  let open: OpenVisit | undefined;
  let redriven = false;
  const lastOpen = () => [...visits].reverse().find((v) => v.exitedAt === null);
  for (const event of history) {
    const type = event.type ?? '';
    const at = iso(event.timestamp);
    const d = details(event);
    if (type === 'ExecutionRedriven') {
      // The run goes on from the state it failed in: what was open then is not a visit that ended.
      open = undefined;
      redriven = true;
    } else if (type.endsWith('StateEntered')) {
      open = {
        redriven,
        state: String(d.name),
        type: type.replace(/StateEntered$/, ''),
        enteredAt: at,
        exitedAt: null,
        attempts: 0,
        failures: [],
        lastFailed: false,
        output: null,
        submitted: null,
        result: null,
      };
      redriven = false;
      visits.push(open);
    } else if (type.endsWith('StateExited')) {
      const exited = [...visits].reverse().find((v) => v.state === String(d.name) && v.exitedAt === null);
      if (exited) {
        exited.exitedAt = at;
        exited.output = parse(text(d.output) ?? undefined);
      }
      open = lastOpen();
    } else if (!open) {
      // Execution events: the run's own start and end, read elsewhere.
    } else if (type === 'LambdaFunctionScheduled' || type === 'TaskScheduled') {
      open.attempts++;
      open.lastFailed = false;
    } else if (type === 'TaskSubmitted') {
      open.submitted =
        record(parse(text(d.output) ?? undefined)).Payload ?? parse(text(d.output) ?? undefined);
    } else if (type === 'LambdaFunctionSucceeded' || type === 'TaskSucceeded') {
      open.result = parse(text(d.output) ?? undefined);
    } else if (
      /^(LambdaFunction|Task)(Failed|TimedOut|StartFailed|ScheduleFailed|SubmitFailed)$/.test(type)
    ) {
      open.failures.push({ error: String(d.error ?? type), cause: causeOf(d.cause), at });
      open.lastFailed = true;
    }
  }
  return visits;
}

const stepOf = (v: OpenVisit): StepVisit => ({
  kind: 'step',
  state: v.state,
  type: v.type,
  enteredAt: v.enteredAt,
  exitedAt: v.exitedAt,
  seconds: secondsBetween(v.enteredAt, v.exitedAt),
  attempts: v.attempts,
  failures: v.failures,
  caught: v.lastFailed && v.exitedAt ? (v.failures.at(-1) ?? null) : null,
  output: v.result ?? v.output,
});

/**
 * Folds each poll loop: a stretch of visits going round the same states (the check, the choice, the
 * wait), with a Wait among them (what makes it a poll, not a retry from an earlier state), into one
 * line per Task polled at least twice, with its first and last answer. A redrive ends a stretch.
 */
function fold(visits: OpenVisit[]): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < visits.length) {
    const start = visits[i] as OpenVisit;
    // The loop's states: from here up to the state's next visit.
    const boundary = visits.findIndex((v, j) => j > i && v.redriven);
    const limit = boundary < 0 ? visits.length : boundary;
    const again = visits.findIndex((v, j) => j > i && j < limit && v.state === start.state);
    const cycle = again > i ? visits.slice(i, again) : [];
    const looping =
      cycle.length > 0 &&
      new Set(cycle.map((v) => v.state)).size === cycle.length &&
      cycle.some((v) => v.type === 'Wait');
    if (!looping) {
      steps.push(stepOf(start));
      i++;
      continue;
    }
    const members = new Set(cycle.map((v) => v.state));
    let end = i;
    while (end < limit && members.has((visits[end] as OpenVisit).state)) end++;
    const stretch = visits.slice(i, end);
    const polled = cycle.filter(
      (v) => v.type === 'Task' && stretch.filter((w) => w.state === v.state).length >= 2,
    );
    // A loop that polls no Task (a wait for a time, a choice) is one line of its first state.
    for (const { state } of polled.length > 0 ? polled : cycle.slice(0, 1)) {
      const polls = stretch.filter((v) => v.state === state);
      const first = polls[0] as OpenVisit;
      const last = polls.at(-1) as OpenVisit;
      steps.push({
        kind: 'loop',
        state,
        polls: polls.length,
        firstAt: first.enteredAt,
        lastAt: last.exitedAt ?? last.enteredAt,
        seconds: secondsBetween(first.enteredAt, last.exitedAt ?? last.enteredAt) ?? 0,
        first: first.result,
        last: last.result,
        failures: polls.flatMap((v) => v.failures),
        caught: stepOf(last).caught,
      });
    }
    // A Task of the loop visited only once (the round that left it) is a step of its own.
    const folded = new Set((polled.length > 0 ? polled : cycle.slice(0, 1)).map((v) => v.state));
    for (const v of stretch) if (v.type === 'Task' && !folded.has(v.state)) steps.push(stepOf(v));
    i = end;
  }
  return steps;
}

function transitionsOf(visits: OpenVisit[]): AuditReport['transitions'] {
  const counts = new Map<string, { from: string; to: string; count: number }>();
  visits.slice(1).forEach((v, i) => {
    const from = (visits[i] as OpenVisit).state;
    const key = JSON.stringify([from, v.state]);
    const seen = counts.get(key) ?? { from, to: v.state, count: 0 };
    seen.count++;
    counts.set(key, seen);
  });
  return [...counts.values()];
}

function approvalOf(v: OpenVisit, requestedBy: string | null, startedBy: string | null): ApprovalRecord {
  const request = record(v.submitted);
  const result = record(v.result);
  const failure = v.lastFailed ? v.failures.at(-1) : undefined;
  const approvers = (Array.isArray(result.approvers) ? result.approvers : []).map((a) => {
    const r = record(a);
    return {
      person: String(r.person ?? ''),
      arn: text(r.arn),
      at: text(r.at),
      comment: text(r.comment),
    };
  });
  const decision: ApprovalRecord['decision'] = failure
    ? failure.error === 'ApprovalRejected'
      ? 'rejected'
      : failure.error === 'States.Timeout' || failure.error === 'ApprovalExpired'
        ? 'expired'
        : 'failed'
    : result.decision === 'approved'
      ? 'approved'
      : v.exitedAt
        ? 'failed'
        : 'pending';
  const summary = request.summary ? record(request.summary) : null;
  const requester = text(summary?.requestedBy) ?? requestedBy;
  const starter = text(result.startedBy) ?? startedBy;
  return {
    gate: v.state,
    approvalId: text(request.approvalId) ?? text(result.approvalId),
    requestedAt: text(result.requestedAt) ?? v.enteredAt,
    expiresAt: text(request.expiresAt),
    required: typeof request.required === 'number' ? request.required : null,
    summary,
    summaryHash: text(result.summaryHash) ?? text(request.summaryHash),
    decision,
    decidedAt: text(result.decidedAt) ?? failure?.at ?? null,
    approvers,
    refused: (Array.isArray(result.refused) ? result.refused : []).map((x) => {
      const f = record(x);
      return { arn: String(f.arn ?? ''), at: text(f.at), code: String(f.code ?? '') };
    }),
    reason: failure ? failure.cause : null,
    // As the approval rules decide it (tasks/approvals/rules.ts): not who the input says asked, not
    // who started the run, nor the same person under another role; unknown for an approver whose
    // identity the record does not carry.
    independent:
      approvers.length === 0
        ? null
        : approvers.every((a) => {
            const identity = a.arn === null ? null : identityOf(a.arn);
            if (!identity) return false;
            const asked = { summary: { requestedBy: requester }, startedBy: starter } as ApprovalRequest;
            return asRequester(asked, identity) === null;
          }),
  };
}

function viaOf(
  name: string,
  nested: boolean,
): { via: AuditReport['started']['via']; ciRunId: string | null } {
  if (nested) return { via: 'nested', ciRunId: null };
  const ci = /-ci([A-Za-z0-9_.-]+)$/.exec(name);
  if (ci) return { via: 'ci', ciRunId: ci[1] ?? null };
  if (/^rehearsal-/.test(name)) return { via: 'rehearsal', ciRunId: null };
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name))
    return { via: 'console', ciRunId: null };
  if (/-[0-9a-f]{8,12}$/.test(name)) return { via: 'cli', ciRunId: null };
  return { via: 'other', ciRunId: null };
}

/**
 * The report of a run: `records[0]` is the execution, the others the executions it started (found
 * by their ARNs in its history); a nested run missing from them is reported as not found.
 */
export function auditReport(records: readonly RunRecord[], nestedIn = false): AuditReport {
  const [run, ...others] = records;
  if (!run) throw new Error('no execution to report on');
  const history = run.history;
  const startEvent = history.find((e) => e.type === 'ExecutionStarted');
  if (!startEvent) throw new Error(`the history of ${run.executionArn} has no ExecutionStarted event`);
  const started = details(startEvent);
  const input = parse(text(started.input) ?? undefined);
  const request = record(input);
  // A redriven run ended once (or more) before it went on: its end is the one after its last redrive.
  const redrives = history.filter((e) => e.type === 'ExecutionRedriven').length;
  const lastRedrive = history.findLastIndex((e) => e.type === 'ExecutionRedriven');
  const end = history
    .slice(lastRedrive + 1)
    .reverse()
    .find((e) => /^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(e.type ?? ''));
  const status = end
    ? ({ Succeeded: 'SUCCEEDED', Failed: 'FAILED', TimedOut: 'TIMED_OUT', Aborted: 'ABORTED' } as const)[
        (end.type ?? '').replace('Execution', '') as 'Succeeded'
      ]
    : 'RUNNING';
  const endDetails = end ? details(end) : {};
  const visits = visitsOf(history);
  const requestedBy = text(request.requestedBy);
  const startedBy =
    visits.map((v) => text(record(v.result).startedBy)).find((s): s is string => s !== null) ?? null;
  const approvals = visits
    .filter((v) => record(v.submitted).approvalId !== undefined)
    .map((v) => approvalOf(v, requestedBy, startedBy));
  const nested = visits.flatMap((v, index) => {
    const arn = text(record(v.submitted).ExecutionArn);
    if (!arn) return [];
    const child = others.find((r) => r.executionArn === arn);
    const why =
      visits
        .slice(0, index)
        .reverse()
        .map((w) => (w.lastFailed && w.exitedAt ? (w.failures.at(-1) ?? null) : null))
        .find((f) => f !== null) ?? null;
    // A run it started that the record does not hold is said, not left out.
    const report = child ? auditReport([child, ...others.filter((r) => r !== child)], true) : null;
    return [{ state: v.state, executionArn: arn, why, degradedSeconds: null as number | null, report }];
  });
  const changes = changesOf(
    visits.map((v) => ({ state: v.state, at: v.exitedAt ?? v.enteredAt, output: v.result })),
  );
  const firstServiceChange = changes.find((c) => c.kind === 'service')?.at;
  for (const n of nested) {
    const own = n.report;
    if (!own) continue;
    // What the nested run changed the service back from is what this run had changed it to.
    const changedTo = [...changes]
      .reverse()
      .find((c) => c.kind === 'service' && c.at <= own.startedAt)?.after;
    const report = {
      ...own,
      changes: own.changes.map((c) =>
        c.kind === 'service' && c.before === null ? { ...c, before: changedTo ?? null } : c,
      ),
    };
    n.report = report;
    const backAt = [...report.steps].reverse().find((s) => s.kind === 'loop')?.lastAt;
    const restored = report.changes.some((c) => c.kind === 'service') && report.status === 'SUCCEEDED';
    n.degradedSeconds =
      firstServiceChange && backAt && restored ? secondsBetween(firstServiceChange, backAt) : null;
  }
  const name = run.executionArn.split(':').pop() ?? '';
  const definition = run.definition ? parse(run.definition) : null;
  const startedAt = iso(startEvent.timestamp);
  const stoppedAt = end ? iso(end.timestamp) : null;
  return {
    format: 'runbook-audit/1',
    executionArn: run.executionArn,
    name,
    stateMachine: run.executionArn.replace(':execution:', ':stateMachine:').split(':').slice(0, -1).join(':'),
    procedure: run.procedure,
    status,
    startedAt,
    stoppedAt,
    seconds: secondsBetween(startedAt, stoppedAt),
    started: {
      requestedBy,
      startedBy,
      ...viaOf(name, nestedIn),
      reason: text(request.reason),
      changeRequest: text(request.changeRequest),
      input,
    },
    approvals,
    steps: fold(visits),
    transitions: transitionsOf(visits),
    changes,
    outcome: { status, error: text(endDetails.error), cause: text(endDetails.cause) },
    nested,
    definition: {
      sha256: run.definition ? createHash('sha256').update(run.definition).digest('hex') : null,
      comment: text(record(definition).Comment),
    },
    events: history.length,
    truncated: history.some(
      (e) =>
        record(details(e).outputDetails).truncated === true ||
        record(details(e).inputDetails).truncated === true,
    ),
    redrives,
  };
}
