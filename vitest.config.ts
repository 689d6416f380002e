import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import SummaryReporter from './scripts/summary-reporter.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    // Two test files at once even on two cores: the real-Moodle files spend their time in one PHP
    // worker thread each, so two of them keep both cores busy (vitest's default would be one).
    maxWorkers: Math.max(2, availableParallelism()),
    reporters: ['default', new SummaryReporter()],
  },
});
