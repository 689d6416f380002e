import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheKeys, restoreToolCache, saveToolCache, weekStamp } from './cache.js';
import { startFakeGitHub } from './fake-github.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tree(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mpc-cache-'));
  dirs.push(d);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    writeFileSync(path.join(d, rel), text);
  }
  return d;
}

describe('cache keys', () => {
  it('change by week, Moodle list and PHP, and fall back to older entries', () => {
    const k = cacheKeys(['4.5', '5.0'], undefined, new Date('2026-11-23T12:00:00Z'));
    expect(k.key).toMatch(/^moodle-plugin-check-[\d.]+-\w+-\w+-4\.5_5\.0-phpauto-dbauto-2026w47$/);
    expect(cacheKeys(['4.5'], '8.3', new Date('2026-11-23T12:00:00Z'), 'postgres').key).toMatch(
      /-4\.5-php8\.3-dbpostgres-2026w47$/,
    );
    expect(k.restoreKeys[0]).toBe(k.key.replace(/2026w47$/, ''));
    expect(k.key.startsWith(k.restoreKeys[1]!)).toBe(true);
    expect(weekStamp(new Date('2026-01-01T00:00:00Z'))).toBe('2026w01');
  });
});

describe('cache service failures', () => {
  it('are warnings: restore and save never throw', { timeout: 120_000 }, async () => {
    const gh = await startFakeGitHub();
    const cacheDir = tree({ 'moodle/x/meta.json': '{}', 'php/p/file': 'x' });
    const saved = { ...process.env };
    Object.assign(process.env, {
      ACTIONS_CACHE_URL: `${gh.url}/`,
      ACTIONS_RUNTIME_TOKEN: 'token',
      MPC_CACHE_DIR: cacheDir,
    });
    Reflect.deleteProperty(process.env, 'ACTIONS_CACHE_SERVICE_V2');
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array): boolean => {
      out += String(chunk);
      return true;
    };
    try {
      gh.fail({ method: 'GET', path: /.*/, status: 500, times: 100 });
      gh.fail({ method: 'POST', path: /.*/, status: 500, times: 100 });
      const state = await restoreToolCache(['4.5'], undefined);
      expect(state?.hit).toBeUndefined();
      await saveToolCache(state!);
    } finally {
      process.stdout.write = write;
      for (const k of ['ACTIONS_CACHE_URL', 'ACTIONS_RUNTIME_TOKEN', 'MPC_CACHE_DIR'])
        if (!(k in saved)) Reflect.deleteProperty(process.env, k);
      Object.assign(process.env, saved);
      await gh.close();
    }
    expect(out).toMatch(/::warning::/);
    expect(gh.requests.length).toBeGreaterThan(0);
  });
});
