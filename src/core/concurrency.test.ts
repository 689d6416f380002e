import { describe, expect, it } from 'vitest';
import {
  checkConcurrency,
  mapSettled,
  MEMORY_PER_CHECK,
  MEMORY_PER_POSTGRES_CHECK,
} from './concurrency.js';

describe('checkConcurrency', () => {
  it('is bounded by the jobs, the cores and the memory, and is at least one', () => {
    const plenty = 64 * MEMORY_PER_CHECK;
    expect(checkConcurrency(3, { cores: 4, freeBytes: plenty })).toBe(3);
    expect(checkConcurrency(3, { cores: 2, freeBytes: plenty })).toBe(2);
    expect(checkConcurrency(3, { cores: 8, freeBytes: 2 * MEMORY_PER_CHECK })).toBe(2);
    expect(checkConcurrency(3, { cores: 8, freeBytes: 0 })).toBe(1);
    expect(checkConcurrency(1, { cores: 8, freeBytes: plenty })).toBe(1);
  });

  it('counts the PGlite of each site when checks run on PostgreSQL', () => {
    const machine = { cores: 8, freeBytes: 4 * MEMORY_PER_CHECK };
    expect(checkConcurrency(8, machine)).toBe(4);
    expect(checkConcurrency(8, machine, MEMORY_PER_POSTGRES_CHECK)).toBe(2);
  });
});

describe('mapSettled', () => {
  it('never runs more than the limit at once, keeps input order and runs every task', async () => {
    let running = 0;
    let peak = 0;
    const delays = [30, 5, 20, 1, 10];
    const results = await mapSettled(delays, 2, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      if (i === 1) throw new Error('second fails');
      return i * 10;
    });
    expect(peak).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'x'))).toEqual([
      0,
      'x',
      20,
      30,
      40,
    ]);
  });

  it('runs them one after another with a limit of one', async () => {
    const order: number[] = [];
    await mapSettled([3, 1, 2], 1, async (ms, i) => {
      await new Promise((r) => setTimeout(r, ms));
      order.push(i);
    });
    expect(order).toEqual([0, 1, 2]);
  });
});
