import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test files that replace process-wide things: spies and environment variables. Each runs in a
 * module graph of its own; every other file shares its worker's modules (aws-cdk-lib and the SDK
 * load once per worker, not once per file: the worker tests went from 57 s to 15 s on 2 cores).
 * aws-sdk-client-mock's stubs, on the SDK's client classes, are removed after each file
 * (test/setup.ts).
 */
const ISOLATED = ['test/tasks/approvals/**/*.test.ts', 'test/cli/approvals*.test.ts'];

/**
 * `npx cdk synth` in a subprocess is one of the longest files (about 10 s): it starts first, so
 * that the other files run beside it instead of after it (on a fresh clone vitest has no timings
 * of its own to order by).
 */
class SynthFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => (f.moduleId.endsWith('/cdk-synth.test.ts') ? 0 : 1);
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    // Every core: the default leaves one free, which on 2 cores runs the files one at a time while
    // the CLI tests' subprocesses wait their turn too (86 s against 68 s measured here).
    maxWorkers: '100%',
    sequence: { sequencer: SynthFirst },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The tests' SDK clients never reach AWS, and the deployed workers run Node.js 24: the SDK's
    // notice that Node.js 20 support ends would only be repeated once per test file.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ISOLATED],
          isolate: false,
        },
      },
    ],
  },
});
