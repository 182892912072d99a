// The workers' bundles, made by one esbuild build of every worker module (tasks/**, each exports
// `handler`) on the first bundling of a synth, instead of one esbuild process per function: the
// same options NodejsFunction would pass (WORKER_BUNDLING, CommonJS for Node.js, source maps).
// Each function's asset then takes its worker's index.js and index.js.map. Nothing is built when
// the app skips bundling (the rehearsal and most tests: aws:cdk:bundling-stacks).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TASKS = join(ROOT, 'tasks');

/**
 * How each worker is bundled: minified, for the runtime's Node.js, the AWS SDK v3 left out (the
 * Lambda runtime has it). `npm run bench` measures the bundles with these.
 */
export const WORKER_BUNDLING = {
  minify: true,
  target: 'node24',
  externalModules: ['@aws-sdk/*'],
};

const modules = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

let built: string | undefined;

/** Every worker module bundled, once per process: <dir>/<module path>/index.js (and .map). */
function bundles(): string {
  if (built) return built;
  // Inside the project, so that the source maps' paths (relative to the bundle) and with them the
  // assets' hashes are the same wherever the project is checked out: a deploy from another folder
  // changes no function.
  const parent = join(ROOT, '.runbook-local');
  mkdirSync(parent, { recursive: true });
  const outdir = mkdtempSync(join(parent, 'worker-bundles-'));
  // The assets are copies: the build itself goes when the synth does.
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  const entryPoints = Object.fromEntries(
    modules(TASKS)
      .filter((file) => readFileSync(file, 'utf8').includes('defineWorker('))
      .map((file) => [`${relative(ROOT, file).replace(/\.ts$/, '')}/index`, file]),
  );
  buildSync({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: WORKER_BUNDLING.target,
    minify: WORKER_BUNDLING.minify,
    sourcemap: true,
    external: WORKER_BUNDLING.externalModules,
    // A worker names its own module (import.meta.url) for the stack; in the CommonJS bundle that is
    // empty, and nothing at run time reads it.
    logOverride: { 'empty-import-meta': 'silent' },
    logLevel: 'warning',
  });
  built = outdir;
  return outdir;
}

/** The code of the worker whose module is `entry` (its import.meta.url): its bundle, `index.handler`. */
export function workerCode(entry: string): lambda.Code {
  const bundle = relative(ROOT, fileURLToPath(entry)).replace(/\.ts$/, '');
  return lambda.Code.fromAsset(ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: the local bundling always succeeds (there is no Docker here, nor needed).
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
      // Part of the key CDK caches bundles by within a synth: without it, every function of the
      // same source folder would get the first one's bundle.
      environment: { RUNBOOK_WORKER: bundle },
      local: {
        tryBundle(outputDir: string) {
          const from = join(bundles(), bundle);
          for (const file of ['index.js', 'index.js.map'])
            copyFileSync(join(from, file), join(outputDir, file));
          return true;
        },
      },
    },
  });
}
