import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import SummaryReporter from './scripts/summary-reporter.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    // Three test files at once on two cores (vitest's default would be one): the real-Moodle files
    // spend their time in one PHP worker thread each, waiting between runs. Measured with five
    // trees registered: 12.1 min with one, 8.5 min with two, 7.7 min with three.
    maxWorkers: Math.max(3, availableParallelism() + 1),
    reporters: ['default', new SummaryReporter()],
  },
});
