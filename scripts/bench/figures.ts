// What one rehearsed run costs and how fast it noticed what really happened: state transitions,
// history events, Lambda invocations and their price, read from the run's timeline; and the
// detection lag, from the simulated account's own record of what happened (its moments) to the
// moment the state machine moved on.
import type { Moment } from '../../rehearsal/account/moments.ts';
import type { Definitions } from '../../rehearsal/definitions.ts';
import type { RehearsalResult, TimelineEvent } from '../../rehearsal/engine.ts';
import { EVENTS_PER_RETRY, EXECUTION_EVENTS, eventsPerVisit } from '../../statemachines/history.ts';

/** List prices the costs are computed with (us-east-1), and when they were read. */
export const PRICES = {
  asOf: '2026-12-01',
  source: 'aws.amazon.com/step-functions/pricing and aws.amazon.com/lambda/pricing, us-east-1',
  /** Step Functions Standard, per state transition. */
  stateTransition: 0.025 / 1000,
  /** Lambda, per request. */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda on Arm (the workers' architecture), per GB-second. */
  lambdaGbSecond: 0.0000133334,
} as const;

/**
 * What a worker invocation is billed for, which the rehearsal cannot measure (its calls answer in
 * microseconds): a start-up share per invocation and a round trip per AWS call it made, the
 * pessimistic side of what calls within a region take.
 */
export const BILLED_MS = { perInvocation: 20, perAwsCall: 60 } as const;

export interface Detection {
  /** What really happened first after the rollout began, by the account's record. */
  readonly truth: 'completed' | Exclude<Moment['kind'], 'rollout-completed'>;
  /** Seconds since the rehearsal started. */
  readonly at: number;
  /** When the state machine moved on (left the rollout loop, or caught the failure); null: never. */
  readonly movedOnAt: number | null;
  readonly lagSeconds: number | null;
  /** For a failure: from it to the rollback starting, and to the service completing a rollout again. */
  readonly rollbackStartedAfterSeconds: number | null;
  readonly healthyAgainAfterSeconds: number | null;
}

export interface RunFigures {
  readonly procedure: string;
  readonly scenario: string;
  readonly status: string;
  readonly error: string | null;
  readonly simulatedSeconds: number;
  readonly transitions: number;
  readonly historyEvents: number;
  readonly lambdaInvocations: number;
  readonly awsCalls: number;
  readonly costUsd: { readonly stepFunctions: number; readonly lambda: number; readonly total: number };
  /** Null where the run rolled nothing out (refused, rejected, ...). */
  readonly detection: Detection | null;
  /** Whether the procedure rolls back on a failure itself (has a Roll Back state). */
  readonly rollsBack: boolean;
}

const FAILURES = new Set<Moment['kind']>(['rollout-failed', 'tasks-failing', 'targets-unhealthy', 'alarm']);

/** Which procedure each execution of the timeline ran (its `started` event says). */
function machinesOf(events: readonly TimelineEvent[]): Map<string, string> {
  const machines = new Map<string, string>();
  for (const e of events)
    if (e.kind === 'started') machines.set(e.execution, (e.detail ?? '').split(' ')[0] ?? '');
  return machines;
}

/** The first service rollout of the run (its UpdateService on a service behind a load balancer), if any. */
function watchedRollout(result: RehearsalResult, events: readonly TimelineEvent[]) {
  const request = events.find((e) => e.depth === 0 && e.kind === 'exited' && e.state === 'Validate Input')
    ?.output as { request?: { cluster?: string; serviceName?: string } } | undefined;
  const name = request?.request?.serviceName;
  const cluster = request?.request?.cluster;
  if (!name || !cluster) return null;
  const update = result.changes.find((c) => c.action === 'UpdateService' && c.target === name);
  const release = update && /taskDefinition ([^,\s]+)/.exec(update.detail)?.[1];
  return update && release ? { service: `${cluster}/${name}`, at: update.at, release } : null;
}

/** Whether a task definition ARN is the one a change names by family:revision. */
export const isRelease = (taskDefinition: string, release: string) => taskDefinition.endsWith(`/${release}`);

export function detectionOf(result: RehearsalResult, events: readonly TimelineEvent[]): Detection | null {
  const rollout = watchedRollout(result, events);
  if (!rollout) return null;
  const after = (m: Moment) => m.at >= rollout.at && m.service === rollout.service;
  const failure = result.moments.find((m) => after(m) && FAILURES.has(m.kind));
  const completed = result.moments.find(
    (m) => after(m) && m.kind === 'rollout-completed' && isRelease(m.taskDefinition, rollout.release),
  );
  const top = events.filter((e) => e.depth === 0);
  if (completed && (!failure || completed.at < failure.at)) {
    // Completed first: the run moved on when its rollout check said done.
    const done = top.find(
      (e) =>
        e.kind === 'exited' &&
        e.state === 'Check Rollout' &&
        e.at >= completed.at &&
        (e.output as { rollout?: { done?: boolean } } | undefined)?.rollout?.done === true,
    );
    const later = failure ?? null;
    if (!later)
      return {
        truth: 'completed',
        at: completed.at,
        movedOnAt: done?.at ?? null,
        lagSeconds: done ? done.at - completed.at : null,
        rollbackStartedAfterSeconds: null,
        healthyAgainAfterSeconds: null,
      };
  }
  if (!failure) return null;
  // A failure: the run moved on when it caught it (a check's named error), then rolled back.
  const caught = top.find((e) => e.kind === 'caught' && e.at >= failure.at);
  // The rollback path starts with handing the lock over to the rollback, then starting it.
  const rollback = top.find(
    (e) =>
      e.kind === 'entered' && (e.state === 'Hand Over Lock' || e.state === 'Roll Back') && e.at >= failure.at,
  );
  // Healthy again: a rollout of another revision (the previous one, restored) completed.
  const healthy = result.moments.find(
    (m) =>
      m.kind === 'rollout-completed' &&
      m.service === rollout.service &&
      m.at > failure.at &&
      !isRelease(m.taskDefinition, rollout.release),
  );
  return {
    truth: failure.kind as Detection['truth'],
    at: failure.at,
    movedOnAt: caught?.at ?? null,
    lagSeconds: caught ? caught.at - failure.at : null,
    rollbackStartedAfterSeconds: rollback ? rollback.at - failure.at : null,
    healthyAgainAfterSeconds: healthy ? healthy.at - failure.at : null,
  };
}

/** The figures of one rehearsed run, from its result and its timeline. */
export function figuresOf(
  result: RehearsalResult,
  events: readonly TimelineEvent[],
  definitions: Definitions,
): RunFigures {
  const machines = machinesOf(events);
  let transitions = 0;
  let historyEvents = EXECUTION_EVENTS * machines.size;
  let lambdaInvocations = 0;
  for (const e of events) {
    if (!e.state) continue;
    const asl = definitions.machines[machines.get(e.execution) ?? '']?.asl;
    const state = asl?.States[e.state] as { Type?: string; Resource?: string } | undefined;
    // A worker is invoked by its function's ARN, or through lambda:invoke (the approval gate).
    const resource = state?.Resource ?? '';
    const isLambda =
      state?.Type === 'Task' && (resource in definitions.functions || resource.includes(':lambda:invoke'));
    if (e.kind === 'entered') {
      transitions++;
      historyEvents += eventsPerVisit(state ?? { Type: e.type }, false);
      if (isLambda) lambdaInvocations++;
    } else if (e.kind === 'retried') {
      transitions++;
      historyEvents += EVENTS_PER_RETRY;
      if (isLambda) lambdaInvocations++;
    }
  }
  const awsCalls = result.workerCalls;
  const gbSeconds =
    ((lambdaInvocations * BILLED_MS.perInvocation + awsCalls * BILLED_MS.perAwsCall) / 1000) *
    (definitions.workerMemoryMb / 1024);
  const stepFunctions = transitions * PRICES.stateTransition;
  const lambda = lambdaInvocations * PRICES.lambdaRequest + gbSeconds * PRICES.lambdaGbSecond;
  return {
    procedure: result.procedure,
    scenario: result.scenario,
    status: result.status,
    error: result.error,
    simulatedSeconds: result.durationSeconds,
    transitions,
    historyEvents,
    lambdaInvocations,
    awsCalls,
    costUsd: { stepFunctions, lambda, total: stepFunctions + lambda },
    detection: detectionOf(result, events),
    rollsBack: 'Roll Back' in (definitions.machines[result.procedure]?.asl.States ?? {}),
  };
}
