// The worker tests alone, for mutation testing (npm run mutate): the workers' unit tests are what
// must kill a mutant of a worker; the rehearsal's path tests would only make each mutant slower.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// One worker per Stryker test runner: Stryker runs `concurrency` of them side by side.
export default defineConfig({ test: { ...base.test, include: ['test/tasks/**/*.test.ts'], maxWorkers: 1 } });
