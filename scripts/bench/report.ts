// The bench's table, for a terminal and as Markdown, and the goals it is read against.

import { HISTORY_QUOTA } from '../../statemachines/history.ts';
import { DEFAULT_TIMING } from '../../statemachines/timing.ts';
import type { BaselineOutcome } from './baselines.ts';
import type { Extras } from './extras.ts';
import { BILLED_MS } from './figures.ts';
import type { BenchResult, BenchRow } from './result.ts';

const s = (n: number | null | undefined) => (n === null || n === undefined ? '—' : `${Math.round(n)} s`);
const usd = (n: number) => `$${n.toFixed(5)}`;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0
    ? null
    : sorted.length % 2
      ? (sorted[mid] ?? null)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const lagOf = (o: BaselineOutcome | undefined) => {
  if (!o) return '—';
  if (o.reported === 'timeout') return `gave up at ${s(o.at)}`;
  return `${s(o.lagSeconds)}${o.falseSuccess ? ' ✗' : ''}`;
};

/**
 * How many times our lag a baseline's is (ours counted as at least 1 s), where both answer the same
 * truth: a baseline that gave up where we answered is worse than any ratio (Infinity); one that
 * reported success on a failed rollout is not compared (it is counted as a false success).
 */
function ratio(row: BenchRow, which: 'sdkWaiter' | 'cliWaiter'): number | null {
  const ours = row.ours.detection;
  const theirs = row.baselines?.[which];
  if (!ours || ours.lagSeconds === null || !theirs || theirs.falseSuccess) return null;
  if (theirs.reported === 'timeout') return Number.POSITIVE_INFINITY;
  const kind = row.baselines?.truth?.kind === 'rollout-completed' ? 'completed' : row.baselines?.truth?.kind;
  if (theirs.lagSeconds === null || kind !== ours.truth) return null;
  return theirs.lagSeconds / Math.max(1, ours.lagSeconds);
}
const ratioText = (r: number | null) => (r === null ? '—' : Number.isFinite(r) ? `${r.toFixed(0)}x` : '∞');

const HEADER = [
  'procedure',
  'scenario',
  'status',
  'transitions',
  'history',
  'λ',
  'cost',
  'truth',
  'our lag',
  'rollback after',
  'healthy after',
  'SDK waiter lag',
  'SDK/ours',
  'CLI waiter lag',
  'CLI/ours',
  'breaker lag',
  'ECS healthy after',
];

function cells(row: BenchRow): string[] {
  const { ours, baselines } = row;
  const d = ours.detection;
  return [
    ours.procedure,
    ours.scenario,
    ours.error ?? ours.status,
    String(ours.transitions),
    String(ours.historyEvents),
    String(ours.lambdaInvocations),
    usd(ours.costUsd.total),
    d ? d.truth : '—',
    s(d?.lagSeconds),
    s(d?.rollbackStartedAfterSeconds),
    s(d?.healthyAgainAfterSeconds),
    lagOf(baselines?.sdkWaiter),
    ratioText(ratio(row, 'sdkWaiter')),
    lagOf(baselines?.cliWaiter),
    ratioText(ratio(row, 'cliWaiter')),
    lagOf(baselines?.circuitBreaker),
    s(baselines?.circuitBreaker.healthyAgainAfterSeconds),
  ];
}

/** The goals of the benchmark, each with what the run measured. */
export function goalsOf(
  result: BenchResult,
  extras: Extras,
): { goal: string; measured: string; met: boolean }[] {
  // A rollout the run never noticed counts against the goals, never as "no data".
  const detected = result.rows.filter((r) => r.ours.detection);
  const ourLags = detected.map((r) => r.ours.detection?.lagSeconds ?? Number.POSITIVE_INFINITY);
  const ratios = result.rows.flatMap((r) => {
    const x = ratio(r, 'sdkWaiter');
    return x === null ? [] : [x];
  });
  const maxLag = Math.max(0, ...ourLags);
  const medianRatio = median(ratios) ?? 0;
  const falseSdk = result.rows.filter((r) => r.baselines?.sdkWaiter.falseSuccess).length;
  const falseCli = result.rows.filter((r) => r.baselines?.cliWaiter.falseSuccess).length;
  const ourFalse = result.rows.filter(
    (r) => r.ours.status === 'SUCCEEDED' && r.ours.detection && r.ours.detection.truth !== 'completed',
  ).length;
  const rollbackAfter = Math.max(
    0,
    ...detected
      .filter((r) => r.ours.rollsBack && r.ours.detection?.truth !== 'completed')
      .map((r) => r.ours.detection?.rollbackStartedAfterSeconds ?? Number.POSITIVE_INFINITY),
  );
  const happy = result.rows.find(
    (r) => r.ours.procedure === 'production-deployment' && r.ours.scenario === 'happy',
  );
  const worst = Math.max(...Object.values(result.worstHistory));
  const biggest = Math.max(...Object.values(extras.bundleBytes));
  return [
    {
      goal: `detection lag at most one poll interval (${DEFAULT_TIMING.deploymentIntervalSeconds} s)`,
      measured: `at most ${s(maxLag)}`,
      met: maxLag <= DEFAULT_TIMING.deploymentIntervalSeconds,
    },
    {
      goal: 'at least 4x better than the SDK waiter on the median',
      measured: `${ratioText(medianRatio)} (median of ${ratios.length} scenarios both answer alike)`,
      met: medianRatio >= 4,
    },
    {
      goal: 'no false success of ours; the waiters’ counted',
      measured: `ours ${ourFalse}, SDK waiter ${falseSdk}, CLI waiter ${falseCli}`,
      met: ourFalse === 0,
    },
    {
      goal: 'rollback starts within 30 s of the failure',
      measured: `at most ${s(rollbackAfter)}`,
      met: rollbackAfter <= 30,
    },
    {
      goal: 'a happy production deployment in under 200 state transitions',
      measured: String(happy?.ours.transitions ?? '—'),
      met: (happy?.ours.transitions ?? Number.POSITIVE_INFINITY) < 200,
    },
    {
      goal: `every machine's worst case under 10 % of ${HISTORY_QUOTA.toLocaleString('en-US')} events`,
      measured: `${worst.toLocaleString('en-US')} events at most`,
      met: worst < HISTORY_QUOTA / 10,
    },
    {
      goal: 'each worker bundle under 300 KB minified',
      measured: `${(biggest / 1024).toFixed(0)} KB at most`,
      met: biggest < 300 * 1024,
    },
    {
      goal: 'a warm rehearsal under 1 s',
      measured: `${extras.warmRehearsalSeconds.toFixed(2)} s`,
      met: extras.warmRehearsalSeconds < 1,
    },
  ];
}

function notes(result: BenchResult, extras: Extras): string[] {
  return [
    `Prices (${result.prices.asOf}, ${result.prices.source}): Step Functions Standard $${(result.prices.stateTransition * 1000).toFixed(3)} per 1,000 transitions; Lambda $${(result.prices.lambdaRequest * 1e6).toFixed(2)} per 1M requests and $${result.prices.lambdaGbSecond} per GB-s (Arm).`,
    `Lags are simulated seconds from the account's own record (truth) to the report; ✗ marks a reported success where the rollout failed within the watch (an alarm during the bake included). "—": never within the watch.`,
    `Lambda's billed time is an assumption, not a measurement: ${BILLED_MS.perInvocation} ms per invocation and ${BILLED_MS.perAwsCall} ms per AWS call the workers made.`,
    `Worst history per machine, every poll budget spent: ${Object.entries(result.worstHistoryWithoutRetries)
      .map(([m, n]) => `${m} ${n.toLocaleString('en-US')}`)
      .join(', ')}; with every retrier exhausted too: ${Object.entries(result.worstHistory)
      .map(([m, n]) => `${m} ${n.toLocaleString('en-US')}`)
      .join(', ')}.`,
    `Worker bundles (minified): ${Object.entries(extras.bundleBytes)
      .map(([w, b]) => `${w} ${(b / 1024).toFixed(0)} KB`)
      .join(', ')}.`,
    `Warm rehearsal of production-deployment: ${extras.warmRehearsalSeconds.toFixed(2)} s; test suite: ${
      extras.suiteSeconds === null ? 'not measured' : `${extras.suiteSeconds.toFixed(0)} s`
    }.`,
  ];
}

/** The table for a terminal: aligned columns, then the goals and the notes. */
export function tableOf(result: BenchResult, extras: Extras): string {
  const rows = [HEADER, ...result.rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const goals = goalsOf(result, extras).map((g) => `${g.met ? '✓' : '✗'} ${g.goal}: ${g.measured}`);
  return [...rows.map(line), '', ...goals, '', ...notes(result, extras)].join('\n');
}

/** The same as Markdown. */
export function markdownOf(result: BenchResult, extras: Extras): string {
  const row = (r: string[]) => `| ${r.join(' | ')} |`;
  return [
    '# Benchmark',
    '',
    row(HEADER),
    row(HEADER.map(() => '---')),
    ...result.rows.map((r) => row(cells(r))),
    '',
    '## Goals',
    '',
    ...goalsOf(result, extras).map((g) => `- ${g.met ? '✓' : '✗'} ${g.goal}: ${g.measured}`),
    '',
    ...notes(result, extras).map((n) => `- ${n}`),
    '',
  ].join('\n');
}
