// Several checks of one job side by side (the Action's `moodle: 4.5, 5.0, 5.2`): how many at once,
// and a pool that runs them in that bound while keeping the results in input order.
import os from 'node:os';

/** What one check of a real Moodle may take at its peak: the main thread and two PHP workers. */
export const MEMORY_PER_CHECK = 1.5 * 1024 ** 3;

/**
 * On PostgreSQL each of the check's two sites (the run, the upgrade path's second one) also has a
 * PGlite: measured 400–550 MB each with an installed Moodle.
 */
export const MEMORY_PER_POSTGRES_CHECK = MEMORY_PER_CHECK + 2 * 0.5 * 1024 ** 3;

export interface Machine {
  cores: number;
  /** Bytes the checks may use (free memory now). */
  freeBytes: number;
}

export function thisMachine(): Machine {
  return { cores: os.availableParallelism(), freeBytes: os.freemem() };
}

/**
 * How many of `jobs` checks to run at once: one per core (PHP is single-threaded; the upgrade-path
 * phase borrows a second core for a moment), no more than memory holds, at least one.
 */
export function checkConcurrency(
  jobs: number,
  machine: Machine = thisMachine(),
  perCheck: number = MEMORY_PER_CHECK,
): number {
  const byMemory = Math.floor(machine.freeBytes / perCheck);
  return Math.max(1, Math.min(jobs, machine.cores, byMemory));
}

/**
 * Runs `task` on every item, at most `limit` at once, in input order as slots free up. Every
 * task runs to its end (a failure does not cancel the others); the results keep the input order.
 */
export async function mapSettled<I, T>(
  items: readonly I[],
  limit: number,
  task: (item: I, index: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array<PromiseSettledResult<T>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await task(items[i]!, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
