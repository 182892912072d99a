// The usual ways of deploying, watching the same rollout the run made, on a fresh simulated account
// with the scenario's faults: the JS SDK's services-stable waiter as @aws-sdk/client-ecs defines it
// (its own code, run on the simulated clock), the AWS CLI's `aws ecs wait services-stable` (the same
// acceptors, generated from the same service model, polled every 15 s, 40 times), and ECS's circuit
// breaker alone. Each is measured against that account's own record of what happened.
import { type ECSClient, waitForServicesStable } from '@aws-sdk/client-ecs';
import FakeTimers from '@sinonjs/fake-timers';
import type { Config } from '../../infra/config.ts';
import { SimulatedAccount } from '../../rehearsal/account/account.ts';
import { simulatedClients } from '../../rehearsal/account/clients.ts';
import type { Moment } from '../../rehearsal/account/moments.ts';
import type { RehearsalResult } from '../../rehearsal/engine.ts';
import { faultScenario } from '../../rehearsal/scenarios.ts';
import { faultsOf, type ProcedureSpec, type ScenarioSpec } from '../../statemachines/procedure.ts';
import { DEFAULT_TIMING } from '../../statemachines/timing.ts';
import { isRelease } from './figures.ts';

export interface BaselineOutcome {
  /** What it reported, and when (seconds after the rollout began); timeout when it gave up. */
  readonly reported: 'success' | 'failure' | 'timeout' | 'nothing';
  readonly at: number | null;
  /** From the moment of truth (the first failure, else the completion) to its report; null if it gave up or said nothing. */
  readonly lagSeconds: number | null;
  /** It reported success, and the account recorded a failure of that rollout within the watch. */
  readonly falseSuccess: boolean;
  /** From the failure to the service completing a rollout again (only ECS's own rollback does that here). */
  readonly healthyAgainAfterSeconds: number | null;
}

export interface BaselineFigures {
  /** The truth of the baseline's own account, seconds after the rollout began. */
  readonly truth: { readonly kind: string; readonly at: number } | null;
  readonly sdkWaiter: BaselineOutcome;
  readonly cliWaiter: BaselineOutcome;
  readonly circuitBreaker: BaselineOutcome;
}

/** `aws ecs wait services-stable` polls this many times, 15 s apart (botocore's waiter model). */
const CLI_ATTEMPTS = 40;

/** As long as the runbook's own rollout budget: the watch window of every baseline. */
export const WATCH_SECONDS = DEFAULT_TIMING.deploymentMaxPolls * DEFAULT_TIMING.deploymentIntervalSeconds;

const FAILURES = new Set<Moment['kind']>(['rollout-failed', 'tasks-failing', 'targets-unhealthy', 'alarm']);

/** The rollout the run made: the service, the task definition, and the images of a new revision. */
function rolloutOf(result: RehearsalResult) {
  const update = result.changes.find((c) => c.action === 'UpdateService' && /taskDefinition /.test(c.detail));
  if (!update) return null;
  const taskDefinition = /taskDefinition ([^,\s]+)/.exec(update.detail)?.[1] ?? '';
  const registered = result.changes.find((c) => c.action === 'RegisterTaskDefinition');
  const images = registered
    ? Object.fromEntries(
        (registered.detail.split(': ')[1] ?? '')
          .split(', ')
          .map((pair) => pair.split('=') as [string, string]),
      )
    : null;
  return { service: update.target, taskDefinition, images };
}

/** A fresh account with the scenario's faults, where the run's rollout is made again at its start. */
function replay(config: Config, scenario: ScenarioSpec, rollout: NonNullable<ReturnType<typeof rolloutOf>>) {
  const faults = faultScenario(faultsOf(scenario));
  if (!faults) throw new Error(`no faults ${faultsOf(scenario)}`);
  const account = new SimulatedAccount({ config, faults, table: 'bench' });
  const ecs = account.service('ecs');
  const service = [...ecs.services.values()].find((s) => s.name === rollout.service);
  if (!service) throw new Error(`no service ${rollout.service} in the simulated account`);
  const running = ecs.resolveTaskDefinition(service.deployments[0]?.taskDefinition ?? '');
  if (rollout.images) {
    // The same new revision the run registered: the running one with its images replaced.
    ecs.registerTaskDefinition({
      ...running,
      containerDefinitions: running.containerDefinitions.map((c) => ({
        ...c,
        image: rollout.images?.[c.name ?? ''] ?? c.image,
      })),
    });
  }
  const target = ecs.resolveTaskDefinition(rollout.taskDefinition).arn;
  ecs.updateService({ cluster: service.cluster, service: service.name, taskDefinition: target });
  return { account, cluster: service.cluster, name: service.name, key: service.key };
}

/** The waiter, run as the SDK runs it, its sleeps and clock on the simulated clock (jitter at its median). */
async function runWaiter(
  config: Config,
  scenario: ScenarioSpec,
  rollout: NonNullable<ReturnType<typeof rolloutOf>>,
  params: { minDelay?: number; maxDelay?: number; maxWaitTime: number },
) {
  const { account, cluster, name, key } = replay(config, scenario, rollout);
  const client = simulatedClients(account, config.region).ecs as ECSClient;
  const clock = FakeTimers.withGlobal(globalThis).install({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const random = Math.random;
  Math.random = () => 0.5;
  let state: string | undefined;
  let at: number | null = null;
  try {
    const waiting = waitForServicesStable({ client, ...params }, { cluster, services: [name] }).then(
      (r) => {
        state = r.state;
        at = account.clock.elapsedSeconds();
      },
      () => {
        state = 'FAILURE';
        at = account.clock.elapsedSeconds();
      },
    );
    // The account and the waiter's timers move together, a second at a time.
    while (state === undefined && account.clock.elapsedSeconds() <= params.maxWaitTime + 60) {
      account.clock.advance(1, 1);
      await clock.tickAsync(1000);
    }
    if (state !== undefined) await waiting;
  } finally {
    Math.random = random;
    clock.uninstall();
  }
  // Watch on to the end of the window, for what happened after it reported.
  const rest = WATCH_SECONDS - account.clock.elapsedSeconds();
  if (rest > 0) account.clock.advance(rest);
  const reported = state === 'SUCCESS' ? 'success' : state === 'FAILURE' ? 'failure' : 'timeout';
  return { reported, at, moments: account.moments.list.filter((m) => m.service === key) } as const;
}

/** The first failure of the rollout, else its completion, by the account's record. */
function truthOf(moments: readonly Moment[], release: string) {
  const failure = moments.find((m) => FAILURES.has(m.kind));
  const completed = moments.find(
    (m) => m.kind === 'rollout-completed' && isRelease(m.taskDefinition, release),
  );
  return {
    failure,
    truth: failure && (!completed || failure.at <= completed.at) ? failure : (completed ?? failure),
  };
}

function outcome(
  moments: readonly Moment[],
  release: string,
  reported: BaselineOutcome['reported'],
  at: number | null,
): BaselineOutcome {
  const { failure, truth } = truthOf(moments, release);
  const healthy =
    failure &&
    moments.find(
      (m) => m.kind === 'rollout-completed' && m.at > failure.at && !isRelease(m.taskDefinition, release),
    );
  return {
    reported,
    at,
    lagSeconds:
      truth && at !== null && (reported === 'success' || reported === 'failure') ? at - truth.at : null,
    falseSuccess: reported === 'success' && failure !== undefined,
    healthyAgainAfterSeconds: failure && healthy ? healthy.at - failure.at : null,
  };
}

/** The baselines watching the run's rollout again; null if the run made none. */
export async function watchWithBaselines(
  config: Config,
  _procedure: ProcedureSpec,
  scenario: ScenarioSpec,
  result: RehearsalResult,
): Promise<BaselineFigures | null> {
  const rollout = rolloutOf(result);
  if (!rollout) return null;
  // The SDK waiter with the package's own delays; the CLI's: every 15 s, 40 times (the last at 585 s:
  // the SDK's poller would poll once more at exactly its limit, so the limit is just past the 40th).
  const sdk = await runWaiter(config, scenario, rollout, { maxWaitTime: WATCH_SECONDS });
  const cli = await runWaiter(config, scenario, rollout, {
    minDelay: 15,
    maxDelay: 15,
    maxWaitTime: 15 * (CLI_ATTEMPTS - 1) + 1,
  });
  // The breaker alone: what ECS itself says, on its own clock.
  const { account, key } = replay(config, scenario, rollout);
  account.clock.advance(WATCH_SECONDS);
  const breakerMoments = account.moments.list.filter((m) => m.service === key);
  const failed = breakerMoments.find((m) => m.kind === 'rollout-failed');
  const { truth } = truthOf(sdk.moments, rollout.taskDefinition);
  return {
    truth: truth ? { kind: truth.kind, at: truth.at } : null,
    sdkWaiter: outcome(sdk.moments, rollout.taskDefinition, sdk.reported, sdk.at),
    cliWaiter: outcome(cli.moments, rollout.taskDefinition, cli.reported, cli.at),
    circuitBreaker: outcome(
      breakerMoments,
      rollout.taskDefinition,
      failed ? 'failure' : 'nothing',
      failed?.at ?? null,
    ),
  };
}
