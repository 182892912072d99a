// Execution history budget: a Standard execution fails once its history reaches 25,000 events.
// The worst case is derived from each synthesized definition by walking its graph: the longest
// path from StartAt to a terminal state, every poll loop run for its full budget of rounds.
//
// Events per state visit: Task 5 (entered, scheduled, started, succeeded, exited) plus 3 per
// retried attempt; Wait, Choice, Pass and Succeed 2; Fail 1; the execution's start and end 2.
// A loop is found by its back edge Wait -> Check; the Check's Parameters.maxAttempts bounds its rounds.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig, parseConfig } from '../../infra/config.ts';
import { type Asl, type Definitions, synthesizeDefinitions } from '../../rehearsal/definitions.ts';
import {
  findLoops,
  HISTORY_QUOTA,
  isTerminal,
  longestRun,
  type Run,
  type State,
  successors,
} from '../../statemachines/history.ts';
import { pollRoundsPerDeployment } from '../../statemachines/production-deployment/timing.ts';
import { PROCEDURES as REGISTERED } from '../../statemachines/registry.ts';
import { MAX_POLL_ROUNDS } from '../../statemachines/timing.ts';

const PROCEDURES = REGISTERED.map((p) => p.name);
/** The poll loops each machine has: rollouts, snapshots, the bake, exports (the read-only checks: none). */
const LOOPS: Record<string, number> = {
  'production-deployment': 5,
  rollback: 2,
  'db-backup': 3,
  'db-restore': 6,
  'rds-maintenance': 3,
  'health-check': 0,
  'resource-usage': 0,
  'scale-service': 2,
  'configure-autoscaling': 0,
  'incident-response': 1,
};

let definitions: Definitions;
beforeAll(() => {
  // Synthesized once for the whole file.
  definitions = synthesizeDefinitions(loadConfig());
});

const aslOf = (procedure: string): Asl => {
  const machine = definitions.machines[procedure];
  if (!machine) throw new Error(`no synthesized machine ${procedure}`);
  return machine.asl;
};

describe.each(PROCEDURES)('%s', (procedure) => {
  it('every loop is a Start -> Check -> Done? -> Wait -> Check poll bounded by the Check maxAttempts', () => {
    // Given the definition
    const asl = aslOf(procedure);
    // When its loops are found by the back edges of a walk from StartAt
    const loops = findLoops(asl);
    // Then each is Check (Task) -> Done? (Choice) -> Wait, back to Check, entered only from a Pass,
    // and bounded by a positive integer maxAttempts in the Check's Parameters
    expect(loops.length).toBe(LOOPS[procedure]);
    for (const loop of loops) {
      expect(
        loop.body.map((n) => asl.States[n]?.Type),
        loop.check,
      ).toEqual(['Task', 'Choice', 'Wait']);
      expect(Number.isInteger(loop.rounds) && loop.rounds > 0, `${loop.check} maxAttempts`).toBe(true);
      const entries = Object.entries(asl.States)
        .filter(([name, s]) => name !== loop.wait && successors(s).includes(loop.check))
        .map(([, s]) => s.Type);
      expect(entries, loop.check).toEqual(['Pass']);
    }
  });
});

describe('execution history budget', () => {
  const figures: Record<string, { noRetries: Run; allRetries: Run }> = {};
  beforeAll(() => {
    for (const procedure of PROCEDURES) {
      const asl = aslOf(procedure);
      figures[procedure] = { noRetries: longestRun(asl, false), allRetries: longestRun(asl, true) };
    }
  });
  const of = (procedure: string) => {
    const f = figures[procedure];
    if (!f) throw new Error(`no figures for ${procedure}`);
    return f;
  };

  it('the longest run without retries, every poll budget spent, stays below 10,000 events', () => {
    // Given each procedure's longest path with every loop run for its full budget (the nested
    // rollback execution keeps its own history: the parent records only its Roll Back Task)
    for (const procedure of PROCEDURES) {
      const { noRetries } = of(procedure);
      // When its events are counted (no retries)
      console.log(
        `[history] ${procedure}: ${noRetries.events} events at most without retries (${noRetries.taskVisits} Task visits; quota ${HISTORY_QUOTA}); longest path: ${noRetries.path.join(' > ')}`,
      );
      // Then it stays below 10,000, far under the 25,000 quota; the path starts at StartAt and ends terminal
      expect(noRetries.events, procedure).toBeLessThan(10_000);
      expect(noRetries.path[0]).toBe(aslOf(procedure).StartAt);
      expect(isTerminal(aslOf(procedure).States[noRetries.path.at(-1) as string] as State)).toBe(true);
    }
  });

  it('every loop on the longest path counts its full rounds (the count is not vacuous)', () => {
    // Given production-deployment's loops and its longest run without retries
    const asl = aslOf('production-deployment');
    const loops = findLoops(asl);
    const { noRetries } = of('production-deployment');
    // When the loops on that path are charged at rounds x (Task 5 + Choice 2 + Wait 2) - 2
    const onPath = loops.filter((l) => noRetries.path.includes(l.check));
    const floor = onPath.reduce((sum, l) => sum + l.rounds * 9 - 2, 0);
    // Then the path runs through every loop and the total is at least their sum
    expect(onPath).toHaveLength(loops.length);
    expect(noRetries.events).toBeGreaterThan(floor);
    expect(noRetries.taskVisits).toBeGreaterThanOrEqual(loops.reduce((n, l) => n + l.rounds, 0));
  });

  it('with every retrier exhausted on every visit (a strict upper bound) both stay below 25,000', () => {
    // Given each procedure's longest path, every Task visit using up every retrier's MaxAttempts
    for (const procedure of PROCEDURES) {
      // When
      const { noRetries, allRetries } = of(procedure);
      console.log(
        `[history] ${procedure}: ${allRetries.events} events at most with every retrier exhausted on every visit`,
      );
      // Then
      expect(allRetries.events).toBeGreaterThan(noRetries.events);
      expect(allRetries.events, procedure).toBeLessThan(HISTORY_QUOTA);
    }
  });
});

describe('the config guard on poll budgets', () => {
  const raw = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'));
  // 240 snapshot + 3 x 113 rollout + 121 bake rounds (120 minutes every 60 s) = 700
  const atTheLimit = {
    ...raw,
    polling: {
      ...raw.polling,
      snapshotMaxPolls: 240,
      deploymentMaxPolls: 113,
      alarmIntervalSeconds: 60,
      // db-backup's rounds at these snapshot budgets: 2 x 240 snapshot + 200 export = 680
      exportMaxPolls: 200,
      // rds-maintenance's: 2 x 240 snapshot + 120 change polls (two hours, at most once a minute,
      // however short the DB instance interval) = 600
      dbInstanceIntervalSeconds: 10,
    },
    environments: {
      ...raw.environments,
      prod: { ...raw.environments.prod, policy: { ...raw.environments.prod.policy, bakeMinutes: 120 } },
    },
  };

  it(`a config at ${MAX_POLL_ROUNDS} poll rounds still stays below 25,000 events with every retrier exhausted`, () => {
    // Given
    const config = parseConfig(atTheLimit);
    expect(pollRoundsPerDeployment(config.polling, 120)).toBe(MAX_POLL_ROUNDS);
    // When
    const worst = longestRun(
      synthesizeDefinitions(config).machines['production-deployment']?.asl as Asl,
      true,
    );
    console.log(
      `[history] production-deployment at ${MAX_POLL_ROUNDS} poll rounds: ${worst.events} events at most`,
    );
    // Then
    expect(worst.events).toBeLessThan(HISTORY_QUOTA);
  });

  it('a config above it is refused, naming polling', () => {
    // Given one more rollout poll (three rollouts: the maintenance page's up and down, the service's)
    const over = { ...atTheLimit, polling: { ...atTheLimit.polling, deploymentMaxPolls: 114 } };
    // When / Then
    expect(() => parseConfig(over)).toThrow(/polling: these budgets allow 703 poll rounds/);
  });
});
