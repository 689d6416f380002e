import { utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { ensureDownloaded } from './download.js';
import { importMoodle } from './import.js';
import { LATEST_RELEASES, parseSpec } from './releases.js';
import { isOlderRelease, resolveMoodle } from './resolve.js';
import {
  archiveServer,
  MINI_45,
  MINI_50,
  MINI_52,
  miniArchive,
  tempDir,
  writeMiniTree,
  type MiniTree,
  asCli,
} from '../testing.js';

const MINI_456: MiniTree = {
  release: '4.5.6 (Build: 20250811)',
  version: 2024100706,
  branch: '405',
};
const LATEST_45 = LATEST_RELEASES[405]!;
const fast = { retries: 0, baseDelayMs: 1, headersTimeoutMs: 2000, idleTimeoutMs: 2000 };
/** Nothing listens on port 1: connections are refused at once, as when the network is down. */
const DEAD = 'http://127.0.0.1:1';

async function cacheWith(...trees: MiniTree[]): Promise<string> {
  const root = tempDir('res-cache');
  for (const t of trees) await importMoodle(writeMiniTree(tempDir('res-tree'), t), root);
  return root;
}

describe('parseSpec', () => {
  it('tells branches, releases and folders apart', () => {
    expect(parseSpec('4.5')).toEqual({ kind: 'branch', branch: 405, label: '4.5' });
    expect(parseSpec('5.0')).toMatchObject({ kind: 'branch', branch: 500 });
    expect(parseSpec('4.5.7')).toEqual({ kind: 'version', branch: 405, version: '4.5.7' });
    expect(parseSpec('./4.5')).toEqual({ kind: 'path', path: './4.5' });
    expect(parseSpec('/srv/moodle')).toMatchObject({ kind: 'path' });
    expect(() => parseSpec('latest')).toThrow(UserError);
  });

  it('orders point releases, weekly builds included', () => {
    expect(isOlderRelease('4.5.7+', '4.5.12')).toBe(true);
    expect(isOlderRelease('5.2.1+', '5.2.1')).toBe(false);
    expect(isOlderRelease('5.2.1', '5.2.1')).toBe(false);
  });
});

describe('resolveMoodle: folders and imports', () => {
  it('reads a folder in place', async () => {
    const dir = writeMiniTree(tempDir('res-tree'), MINI_50);
    const r = await resolveMoodle({ spec: dir, cacheRoot: tempDir('res-cache') });
    expect(r).toMatchObject({ source: 'path', tree: { root: dir, branch: '500' } });
    expect(r.id).toBeUndefined();
  });

  it('prefers an imported tree of the branch, saying when a newer release exists', async () => {
    const root = await cacheWith(MINI_45);
    const r = await resolveMoodle({ spec: '4.5', cacheRoot: root, download: { baseUrl: DEAD } });
    expect(r).toMatchObject({ source: 'import', id: 'local-4.5.7+' });
    expect(r.note).toContain(`the newest 4.5 release is ${LATEST_45}`);
  });

  it('says when the branch has never been run with this tool (5.3)', async () => {
    const mini53: MiniTree = {
      release: '5.3 (Build: 20261005)',
      version: 2026100500,
      branch: '503',
      layout: 'public',
    };
    const root = await cacheWith(mini53, MINI_52);
    const r = await resolveMoodle({ spec: '5.3', cacheRoot: root, offline: true });
    expect(r.tree.branch).toBe('503');
    expect(asCli(r.note)).toMatch(
      /Moodle 5\.3 has not been run with moodle-plugin-check yet.*--moodle 5\.2/,
    );
    const tested = await resolveMoodle({ spec: '5.2', cacheRoot: root, offline: true });
    expect(tested.note ?? '').not.toContain('has not been run');
  });

  it('reports a stale import with the fix', async () => {
    const tree = writeMiniTree(tempDir('res-tree'), MINI_45);
    const root = tempDir('res-cache');
    await importMoodle(tree, root);
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(tree, 'lib', 'components.json'), later, later);
    const run = resolveMoodle({ spec: '4.5', cacheRoot: root, offline: true });
    await expect(run).rejects.toThrow(/stale: lib\/components\.json changed/);
    await expect(run.catch((e: unknown) => (e as UserError).hint)).resolves.toContain(
      'moodle import',
    );
  });
});

describe('resolveMoodle offline', () => {
  it('uses the newest tree of the branch in the cache, and says so', async () => {
    const root = await cacheWith(MINI_456, MINI_45);
    const r = await resolveMoodle({ spec: '4.5', cacheRoot: root, offline: true });
    expect(r.tree.release).toBe(MINI_45.release);
    expect(r.note).toMatch(/^Offline: using Moodle 4\.5\.7\+ .* newer releases were not looked up/);
  });

  it('finds an exact release, and refuses one it does not have', async () => {
    const root = await cacheWith(MINI_456, MINI_45);
    const r = await resolveMoodle({ spec: '4.5.6', cacheRoot: root, offline: true });
    expect(r.tree.release).toBe(MINI_456.release);
    await expect(resolveMoodle({ spec: '4.5.9', cacheRoot: root, offline: true })).rejects.toThrow(
      /Offline, and the cache has no Moodle 4\.5\.9/,
    );
  });

  it('says what to do when the cache has nothing for the branch', async () => {
    const root = await cacheWith(MINI_45);
    const run = resolveMoodle({ spec: '5.0', cacheRoot: root, offline: true });
    await expect(run).rejects.toThrow(/Offline, and the cache has no Moodle 5\.0/);
    await expect(run.catch((e: unknown) => (e as UserError).hint)).resolves.toContain(
      'moodle import',
    );
  });

  it('defaults to the newest branch the plugin supports that the cache has', async () => {
    const root = await cacheWith(MINI_45, MINI_50);
    const targetBranches = [{ branch: 405 }, { branch: 500 }, { branch: 502 }];
    const r = await resolveMoodle({ targetBranches, cacheRoot: root, offline: true });
    expect(r.tree.branch).toBe('500');
    expect(r.note).toContain('Offline');
  });
});

describe('resolveMoodle downloads', () => {
  let server: Awaited<ReturnType<typeof archiveServer>>;
  beforeAll(async () => {
    const latest = await miniArchive({ ...MINI_45, release: `${LATEST_45} (Build: 20260608)` });
    const older = await miniArchive(MINI_456);
    server = await archiveServer(
      { [`/v${LATEST_45}.tar.gz`]: latest, '/v4.5.6.tar.gz': older },
      { [`/v${LATEST_45}.tar.gz`]: ['ok'], '/v4.5.6.tar.gz': ['ok'] },
    );
  });
  afterAll(() => server.close());

  it('downloads the newest release of a branch when nothing is imported', async () => {
    const root = tempDir('res-cache');
    const r = await resolveMoodle({
      spec: '4.5',
      cacheRoot: root,
      download: { ...fast, baseUrl: server.base },
    });
    expect(r).toMatchObject({ source: 'download', id: LATEST_45 });
    expect(r.note).toBeUndefined();
    expect(r.tree.root).toBe(path.join(root, 'moodle', LATEST_45, 'tree'));
  });

  it('falls back to the newest cached tree when the network is down', async () => {
    const root = tempDir('res-cache');
    await ensureDownloaded('4.5.6', root, { ...fast, baseUrl: server.base });
    const r = await resolveMoodle({
      spec: '4.5',
      cacheRoot: root,
      download: { ...fast, baseUrl: DEAD },
    });
    expect(r).toMatchObject({ source: 'download', id: '4.5.6' });
    expect(r.note).toMatch(
      new RegExp(`^Could not download Moodle ${LATEST_45.replace(/\./g, '\\.')}`),
    );
    expect(r.note).toContain('using Moodle 4.5.6');
  });

  it('without --moodle, falls back to an older branch the plugin allows when offline', async () => {
    const root = tempDir('res-cache');
    await ensureDownloaded('4.5.6', root, { ...fast, baseUrl: server.base });
    const r = await resolveMoodle({
      cacheRoot: root,
      targetBranches: [{ branch: 405 }, { branch: 500 }],
      download: { ...fast, baseUrl: DEAD },
    });
    expect(r).toMatchObject({ source: 'download', id: '4.5.6' });
    expect(r.note).toMatch(/^Could not download Moodle 5\.0\.\d+ .*using Moodle 4\.5\.6/);
  });

  it('fails with a UserError when the network is down and nothing is cached', async () => {
    await expect(
      resolveMoodle({
        spec: '4.5',
        cacheRoot: tempDir('res-cache'),
        download: { ...fast, baseUrl: DEAD },
      }),
    ).rejects.toThrow(/Could not download Moodle .*the cache has no Moodle 4\.5/);
  });
});
