import type { PhaseResult } from '../report/model.js';

/**
 * Runs one phase: appends it to `phases`, times it, and marks it failed (with the error as its
 * detail) when it throws. The callback may refine status and detail through `phase`.
 */
export async function timed<T>(
  phases: PhaseResult[],
  name: string,
  fn: (phase: PhaseResult) => T | Promise<T>,
): Promise<T> {
  const phase: PhaseResult = { name, status: 'passed', durationMs: 0 };
  phases.push(phase);
  const start = performance.now();
  try {
    return await fn(phase);
  } catch (e) {
    phase.status = 'failed';
    phase.detail = (e as Error).message;
    throw e;
  } finally {
    phase.durationMs = Math.round(performance.now() - start);
  }
}
