// What the bench produces: a row per scenario, ours beside the baselines, and each machine's worst case.
import type { BaselineFigures } from './baselines.ts';
import type { PRICES, RunFigures } from './figures.ts';

export interface BenchOptions {
  readonly procedure?: string;
  readonly scenario?: string;
}

export interface BenchRow {
  readonly ours: RunFigures;
  /** The usual ways, watching the same rollout on the same simulated services; null without one. */
  readonly baselines: BaselineFigures | null;
}

export interface BenchResult {
  readonly prices: typeof PRICES;
  readonly rows: BenchRow[];
  /** Each machine's longest possible history (every poll budget and every retrier spent), against the 25,000 limit. */
  readonly worstHistory: Record<string, number>;
  /** The same with every poll budget spent but no retry. */
  readonly worstHistoryWithoutRetries: Record<string, number>;
}
