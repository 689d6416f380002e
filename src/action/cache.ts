// Keeps the tool's cache (Moodle trees, php-wasm runtime packages, installed-site and PHPUnit
// test-site snapshots, PHPUnit's packages and vendor/, parsed PHP)
// between workflow runs with @actions/cache. The cache service is a convenience: when it fails,
// the run goes on cold and says so as a warning.
import { existsSync } from 'node:fs';
import { log } from './log.js';
import path from 'node:path';
import * as cache from '@actions/cache';
import { TOOL } from '../core/version.js';
import { cacheRoot } from '../moodle/source/cache-dir.js';

/**
 * What is worth keeping; `downloads/` (the release archives) would only double the size.
 * `composer/` and `phpunit/` (PHPUnit's packages, ~36 MB for five branches, and the vendor/ built
 * from them) spare each job ~28 archive downloads from api.github.com. `plugins/`: the
 * dependencies from the Plugins directory and git extras.
 */
const KEPT = ['moodle', 'php', 'sites', 'ast', 'composer', 'phpunit', 'plugins'];

export interface CacheState {
  key: string;
  paths: string[];
  hit: string | undefined;
}

/** ISO-ish week number: a new key each week picks up new point releases without growing forever. */
export function weekStamp(now: Date): string {
  const start = Date.UTC(now.getUTCFullYear(), 0, 1);
  const week = Math.floor((now.getTime() - start) / (7 * 86_400_000)) + 1;
  return `${now.getUTCFullYear()}w${String(week).padStart(2, '0')}`;
}

export function cacheKeys(
  moodles: readonly string[],
  php: string | undefined,
  now = new Date(),
  db?: string,
): { key: string; restoreKeys: string[] } {
  const base = `moodle-plugin-check-${TOOL.version}-${process.platform}-${process.arch}`;
  const what = `${moodles.length ? moodles.join('_').replace(/[^A-Za-z0-9._]/g, '-') : 'default'}-php${php ?? 'auto'}-db${db ?? 'auto'}`;
  return {
    key: `${base}-${what}-${weekStamp(now)}`,
    restoreKeys: [`${base}-${what}-`, `${base}-`],
  };
}

export async function restoreToolCache(
  moodles: readonly string[],
  php: string | undefined,
  db?: string,
): Promise<CacheState | undefined> {
  if (!cache.isFeatureAvailable()) {
    log.info('Cache: the Actions cache service is not available here; running without it.');
    return undefined;
  }
  const root = cacheRoot();
  const paths = KEPT.map((d) => path.join(root, d));
  const { key, restoreKeys } = cacheKeys(moodles, php, new Date(), db);
  try {
    const hit = await cache.restoreCache(paths, key, restoreKeys);
    log.info(hit ? `Cache: restored ${hit}` : `Cache: nothing for ${key} yet`);
    return { key, paths, hit };
  } catch (e) {
    log.warning(`Cache: could not restore (${(e as Error).message}); running cold.`);
    return { key, paths, hit: undefined };
  }
}

export async function saveToolCache(state: CacheState): Promise<void> {
  if (state.hit === state.key) return; // immutable entries: nothing new to store under this key
  const paths = state.paths.filter((p) => existsSync(p));
  if (paths.length === 0) return;
  try {
    await cache.saveCache(paths, state.key);
    log.info(`Cache: saved ${state.key}`);
  } catch (e) {
    log.warning(`Cache: could not save (${(e as Error).message}).`);
  }
}
