// The worker tests alone, for mutation testing (npm run mutate): the workers' unit tests are what
// must kill a mutant of a worker; the rehearsal's path tests would only make each mutant slower.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// One worker per Stryker test runner: Stryker runs `concurrency` of them side by side.
// The base config's projects (shared and isolated module graphs) would bring back every test file:
// here each worker test keeps a module graph of its own.
const { projects: _projects, sequence: _sequence, ...test } = base.test ?? {};
export default defineConfig({ test: { ...test, include: ['test/tasks/**/*.test.ts'], maxWorkers: 1 } });
