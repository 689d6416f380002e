// Results of the prechecker's tools kept in the cache by what made them: the tool versions, the
// configuration and the content of the files (never a path or a time), so a check of unchanged
// files gives the same answer without starting PHP or loading the linters. A result is only a
// function of its key: what a plugin's code can change is its content, which is in the key.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot } from '../core/cache-dir.js';

/** Bumped when what a cached result means changes. */
const FORMAT = '1';

export function resultKey(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256').update(FORMAT);
  for (const p of parts)
    h.update(`\0${typeof p === 'string' ? p.length : p.byteLength}\0`).update(p);
  return h.digest('hex');
}

export class ResultCache<T> {
  private readonly dir: string;
  constructor(family: string, root = cacheRoot()) {
    this.dir = path.join(root, 'results', family);
  }

  get(key: string): T | undefined {
    try {
      return JSON.parse(
        readFileSync(path.join(this.dir, key.slice(0, 2), `${key}.json`), 'utf8'),
      ) as T;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: T): void {
    const dir = path.join(this.dir, key.slice(0, 2));
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${key}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value));
    renameSync(tmp, file);
  }
}

/**
 * Per-file results: those cached come from the cache, the rest from `compute` (one call for all
 * of them), which are then cached. `keyOf` gives each file's key.
 */
export async function perFile<F, R>(
  cache: ResultCache<R>,
  files: readonly F[],
  keyOf: (f: F) => string,
  compute: (missing: F[]) => Promise<Map<F, R>>,
): Promise<{ results: Map<F, R>; computed: number }> {
  const results = new Map<F, R>();
  const missing: F[] = [];
  const keys = new Map<F, string>();
  for (const f of files) {
    const key = keyOf(f);
    keys.set(f, key);
    const hit = cache.get(key);
    if (hit === undefined) missing.push(f);
    else results.set(f, hit);
  }
  if (missing.length > 0) {
    const got = await compute(missing);
    for (const f of missing) {
      const r = got.get(f);
      if (r === undefined) continue;
      results.set(f, r);
      cache.set(keys.get(f)!, r);
    }
  }
  return { results, computed: missing.length };
}
