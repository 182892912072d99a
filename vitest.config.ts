import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // Every core: the default leaves one free, which on 2 cores runs the files one at a time while
    // the CLI tests' subprocesses wait their turn too (86 s against 68 s measured here).
    maxWorkers: '100%',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The tests' SDK clients never reach AWS, and the deployed workers run Node.js 24: the SDK's
    // notice that Node.js 20 support ends would only be repeated once per test file.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
