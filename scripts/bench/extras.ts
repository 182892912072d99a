// Figures besides the runs: each worker's bundle as deployed (esbuild, minified, the AWS SDK left to
// the Lambda runtime, as the stack bundles it), the wall time of one warm rehearsal of the
// production deployment, and of the whole test suite.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadConfig } from '../../infra/config.ts';
import { WORKER_BUNDLING } from '../../infra/constructs/worker-bundles.ts';
import { synthesizeDefinitions } from '../../rehearsal/definitions.ts';
import { rehearseScenario } from '../../rehearsal/rehearse-scenario.ts';
import { PROCEDURES } from '../../statemachines/registry.ts';

export interface Extras {
  /** Bytes of each worker's minified bundle, by worker name. */
  readonly bundleBytes: Record<string, number>;
  readonly warmRehearsalSeconds: number;
  /** Null when not measured (--no-suite). */
  readonly suiteSeconds: number | null;
}

async function bundleBytes(): Promise<Record<string, number>> {
  const definitions = synthesizeDefinitions(loadConfig());
  const workers = [...new Map(Object.values(definitions.functions).map((w) => [w.name, w])).values()];
  const sizes: Record<string, number> = {};
  for (const worker of workers.sort((a, b) => a.name.localeCompare(b.name))) {
    const out = await build({
      entryPoints: [fileURLToPath(worker.entry)],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      target: WORKER_BUNDLING.target,
      minify: WORKER_BUNDLING.minify,
      external: WORKER_BUNDLING.externalModules,
      logOverride: { 'empty-import-meta': 'silent' },
    });
    sizes[worker.name] = out.outputFiles.reduce((n, f) => n + f.contents.byteLength, 0);
  }
  return sizes;
}

async function warmRehearsalSeconds(): Promise<number> {
  const config = loadConfig();
  const definitions = synthesizeDefinitions(config);
  const procedure = PROCEDURES.find((p) => p.name === 'production-deployment');
  const scenario = procedure?.scenarios.find((s) => s.name === 'happy');
  if (!procedure || !scenario) throw new Error('no happy production-deployment to time');
  await rehearseScenario({ config, definitions, procedure, scenario });
  const started = performance.now();
  await rehearseScenario({ config, definitions, procedure, scenario });
  return (performance.now() - started) / 1000;
}

function suiteSeconds(): number {
  const started = performance.now();
  execFileSync('npx', ['vitest', 'run', '--reporter=dot'], { stdio: 'ignore' });
  return (performance.now() - started) / 1000;
}

export async function measureExtras({ suite }: { suite: boolean }): Promise<Extras> {
  return {
    bundleBytes: await bundleBytes(),
    warmRehearsalSeconds: await warmRehearsalSeconds(),
    suiteSeconds: suite ? suiteSeconds() : null,
  };
}
