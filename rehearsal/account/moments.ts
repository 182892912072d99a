// The simulated account's own record of what really happened to the environment, as it happened:
// the moments of truth a benchmark measures the runbook (and the usual ways of deploying) against,
// never the state machine's view of them. Seconds since the rehearsal started.
import type { SimulatedClock } from './clock.ts';

export type Moment =
  /** A deployment reached COMPLETED: its tasks healthy, no old task left. */
  | { kind: 'rollout-completed'; at: number; service: string; taskDefinition: string }
  /** The circuit breaker marked a deployment FAILED (and, with rollback, ECS started its own). */
  | { kind: 'rollout-failed'; at: number; service: string; taskDefinition: string; ecsRollsBack: boolean }
  /** As many of a deployment's tasks failed as the circuit breaker allows, breaker or not. */
  | { kind: 'tasks-failing'; at: number; service: string; taskDefinition: string }
  /** A new task's target was unhealthy past the health-check grace period: ECS failed the task. */
  | { kind: 'targets-unhealthy'; at: number; service: string; taskDefinition: string }
  /** A watched alarm went into ALARM. */
  | { kind: 'alarm'; at: number; alarm: string; service: string }
  /** Application Auto Scaling set a service's desired count. */
  | { kind: 'scaled'; at: number; service: string; from: number; to: number };

type Stamped<K extends Moment['kind']> = Omit<Extract<Moment, { kind: K }>, 'at'>;

export class Moments {
  readonly list: Moment[] = [];

  constructor(private readonly clock: SimulatedClock) {}

  record<K extends Moment['kind']>(moment: Stamped<K> & { kind: K }): void {
    this.list.push({ ...moment, at: this.clock.elapsedSeconds() } as unknown as Moment);
  }
}
