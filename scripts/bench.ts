// `npm run bench`: every procedure and scenario of the registry on the rehearsal engine, and the
// usual ways of deploying watching the same simulated services. Prints one table and writes it as
// JSON and Markdown into reports/bench/ (or --out). Every figure comes from the rehearsal's
// timeline and the simulated account's own record; the prices are named with their date.
//
//   npm run bench [-- --procedure <name>] [--scenario <name>] [--out <dir>] [--no-suite]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../infra/config.ts';
import { synthesizeDefinitions } from '../rehearsal/definitions.ts';
import { rehearseScenario } from '../rehearsal/rehearse-scenario.ts';
import type { TimelineEvent } from '../rehearsal/types.ts';
import { longestRun } from '../statemachines/history.ts';
import { PROCEDURES } from '../statemachines/registry.ts';
import { watchWithBaselines } from './bench/baselines.ts';
import { figuresOf, PRICES } from './bench/figures.ts';
import { markdownOf, tableOf } from './bench/report.ts';
import type { BenchOptions, BenchResult, BenchRow } from './bench/result.ts';

export type { BenchOptions, BenchResult, BenchRow };

/** Runs the bench: each selected scenario rehearsed, its figures read, its rollout watched by the baselines. */
export async function bench(options: BenchOptions = {}): Promise<BenchResult> {
  const config = loadConfig();
  const definitions = synthesizeDefinitions(config);
  const rows: BenchRow[] = [];
  for (const procedure of PROCEDURES) {
    if (options.procedure && procedure.name !== options.procedure) continue;
    for (const scenario of procedure.scenarios) {
      if (options.scenario && scenario.name !== options.scenario) continue;
      const events: TimelineEvent[] = [];
      const result = await rehearseScenario({
        config,
        definitions,
        procedure,
        scenario,
        onEvent: (e) => events.push(e),
      });
      const ours = figuresOf(result, events, definitions);
      const baselines = ours.detection ? await watchWithBaselines(config, procedure, scenario, result) : null;
      rows.push({ ours, baselines });
    }
  }
  const worst = (retries: boolean) =>
    Object.fromEntries(
      Object.entries(definitions.machines).map(([name, m]) => [name, longestRun(m.asl, retries).events]),
    );
  return { prices: PRICES, rows, worstHistory: worst(true), worstHistoryWithoutRetries: worst(false) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      procedure: { type: 'string' },
      scenario: { type: 'string' },
      out: { type: 'string', default: 'reports/bench' },
      'no-suite': { type: 'boolean', default: false },
    },
  });
  const result = await bench({
    ...(values.procedure && { procedure: values.procedure }),
    ...(values.scenario && { scenario: values.scenario }),
  });
  const extras = await (await import('./bench/extras.ts')).measureExtras({ suite: !values['no-suite'] });
  const out = values.out ?? 'reports/bench';
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'bench.json'), `${JSON.stringify({ ...result, extras }, null, 2)}\n`);
  writeFileSync(join(out, 'bench.md'), markdownOf(result, extras));
  process.stdout.write(
    `${tableOf(result, extras)}\nWritten to ${join(out, 'bench.json')} and ${join(out, 'bench.md')}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
