import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { cacheRoot, moodleDir } from './cache-dir.js';
import { commitEntry, entryDir, listEntries, readEntry, removeEntry } from './cache.js';
import { withLock } from './lock.js';
import type { MoodleMeta } from './meta.js';
import { tempDir } from '../testing.js';

function meta(id: string, release = '4.5.7 (Build: 20251006)'): MoodleMeta {
  return {
    id,
    release,
    branch: '405',
    version: 2024100707,
    layout: 'classic',
    source: { kind: 'download', url: 'http://x/v4.5.7.tar.gz', sha256: 'a'.repeat(64), bytes: 1 },
    files: 1,
    importedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('cacheRoot', () => {
  const home = '/home/u';
  it('honours MPC_CACHE_DIR first', () => {
    expect(cacheRoot({ env: { MPC_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, home })).toBe('/c');
  });
  it('uses XDG_CACHE_HOME on Linux, ignoring a relative one', () => {
    const platform = 'linux';
    expect(cacheRoot({ env: { XDG_CACHE_HOME: '/x' }, platform, home })).toBe(
      '/x/moodle-plugin-check',
    );
    expect(cacheRoot({ env: { XDG_CACHE_HOME: 'rel' }, platform, home })).toBe(
      '/home/u/.cache/moodle-plugin-check',
    );
    expect(cacheRoot({ env: {}, platform, home })).toBe('/home/u/.cache/moodle-plugin-check');
  });
  it('uses the usual user cache folders on macOS and Windows', () => {
    expect(cacheRoot({ env: {}, platform: 'darwin', home })).toBe(
      '/home/u/Library/Caches/moodle-plugin-check',
    );
    expect(
      cacheRoot({ env: { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, platform: 'win32', home }),
    ).toBe('C:\\Users\\u\\AppData\\Local\\moodle-plugin-check\\Cache');
  });
});

describe('cache entries', () => {
  it('commits an entry atomically and lists it', async () => {
    const root = tempDir('cache');
    await commitEntry(root, '4.5.7', (dir) => {
      writeFileSync(path.join(dir, 'payload'), 'x');
      return meta('4.5.7');
    });
    expect(readEntry(root, '4.5.7')?.meta?.release).toBe('4.5.7 (Build: 20251006)');
    expect(existsSync(path.join(entryDir(root, '4.5.7'), 'payload'))).toBe(true);
    expect(listEntries(root).map((e) => e.id)).toEqual(['4.5.7']);
    // No temp or trash folders are left beside it.
    expect(readdirSync(moodleDir(root)).filter((n) => n !== '.locks')).toEqual(['4.5.7']);
  });

  it('leaves nothing behind when building fails, and keeps the old entry', async () => {
    const root = tempDir('cache');
    await commitEntry(root, '4.5.7', () => meta('4.5.7'));
    await expect(
      commitEntry(root, '4.5.7', () => {
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(readEntry(root, '4.5.7')?.meta).toBeDefined();
    expect(readdirSync(moodleDir(root))).toEqual(['4.5.7']);
  });

  it('replaces an entry with the same id', async () => {
    const root = tempDir('cache');
    await commitEntry(root, '4.5.7', () => meta('4.5.7'));
    await commitEntry(root, '4.5.7', () => meta('4.5.7', '4.5.7 (Build: 20251007)'));
    expect(readEntry(root, '4.5.7')?.meta?.release).toBe('4.5.7 (Build: 20251007)');
  });

  it('survives concurrent commits of one id: one whole entry wins', async () => {
    const root = tempDir('cache');
    const builds = Array.from({ length: 6 }, (_, i) =>
      commitEntry(root, '4.5.7', async (dir) => {
        await sleep(i % 3);
        writeFileSync(path.join(dir, 'payload'), String(i));
        return meta('4.5.7', `4.5.7 (Build: 2025100${i})`);
      }),
    );
    await Promise.all(builds);
    const entry = readEntry(root, '4.5.7');
    expect(entry?.problem).toBeUndefined();
    expect(entry?.meta?.release).toMatch(/^4\.5\.7 \(Build: 2025100\d\)$/);
    expect(readdirSync(moodleDir(root))).toEqual(['4.5.7']);
  });

  it('reports a damaged or missing meta.json instead of failing', () => {
    const root = tempDir('cache');
    mkdirSync(path.join(moodleDir(root), 'broken'), { recursive: true });
    writeFileSync(path.join(moodleDir(root), 'broken', 'meta.json'), '{"id": "broken"');
    mkdirSync(path.join(moodleDir(root), 'empty'));
    expect(listEntries(root).map((e) => [e.id, e.problem])).toEqual([
      ['broken', 'meta.json is damaged'],
      ['empty', 'meta.json is missing'],
    ]);
  });

  it('removes an entry, and says when there was none', async () => {
    const root = tempDir('cache');
    await commitEntry(root, '4.5.7', () => meta('4.5.7'));
    expect(removeEntry(root, '4.5.7')).toBe(true);
    expect(removeEntry(root, '4.5.7')).toBe(false);
    expect(listEntries(root)).toEqual([]);
  });

  it('refuses ids that would leave the cache folder', () => {
    expect(() => entryDir('/c', '../x')).toThrow(UserError);
    expect(() => entryDir('/c', '.tmp-x')).toThrow(UserError);
  });
});

describe('withLock', () => {
  it('runs holders one at a time', async () => {
    const file = path.join(tempDir('lock'), 'x.lock');
    const events: string[] = [];
    const hold = (name: string): Promise<void> =>
      withLock(
        file,
        async () => {
          events.push(`${name}+`);
          await sleep(20);
          events.push(`${name}-`);
        },
        { pollMs: 5 },
      );
    await Promise.all([hold('a'), hold('b')]);
    expect(events).toEqual(['a+', 'a-', 'b+', 'b-']);
    expect(existsSync(file)).toBe(false);
  });

  it('takes over a lock left by a process that is gone', async () => {
    const file = path.join(tempDir('lock'), 'x.lock');
    // Pid 2^22 + 1 is above Linux's pid_max default, so no such process.
    writeFileSync(file, JSON.stringify({ pid: 4194305, host: hostname() }));
    expect(await withLock(file, () => Promise.resolve('ran'), { waitMs: 100 })).toBe('ran');
  });

  it('gives up on a live lock with a UserError that names the file', async () => {
    const file = path.join(tempDir('lock'), 'x.lock');
    writeFileSync(file, JSON.stringify({ pid: process.pid, host: hostname() }));
    await expect(
      withLock(file, () => Promise.resolve(), { waitMs: 30, pollMs: 5 }),
    ).rejects.toThrow(/x\.lock: another moodle-plugin-check run holds this lock/);
  });
});
