// Damage and hostile input on the download path (download.test.ts covers the happy paths).
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { entryDir } from './cache.js';
import { archivePath, archiveUrl, ensureDownloaded } from './download.js';
import { ArchiveLimitError, extractTarGz } from './extract.js';
import { DownloadError } from '../../core/http.js';
import { archiveServer, FAST_HTTP as fast, MINI_45, miniArchive, tempDir } from '../testing.js';

const VERSION = '4.5.7';
const RELEASE = { ...MINI_45, release: `${VERSION} (Build: 20251006)` };

/** A raw ustar archive, so that entry names node-tar would never write can be tested. */
function rawTarGz(entries: { name: string; body: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.body);
    const h = Buffer.alloc(512);
    const put = (s: string, at: number): void => void h.write(s, at, 'latin1');
    put(e.name, 0);
    put('0000644\0', 100);
    put('0000000\0', 108);
    put('0000000\0', 116);
    put(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    put('00000000000\0', 136);
    put('        ', 148);
    put('0', 156);
    put('ustar\0', 257);
    put('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

let server: Awaited<ReturnType<typeof archiveServer>>;
beforeAll(async () => {
  const good = await miniArchive(RELEASE);
  server = await archiveServer(
    { '/short/v4.5.7.tar.gz': good, '/ok/v4.5.7.tar.gz': good },
    { '/short/v4.5.7.tar.gz': ['truncated'], '/ok/v4.5.7.tar.gz': ['ok'] },
  );
});
afterAll(() => server.close());

describe('download damage', () => {
  it('gives up on a body that stays shorter than Content-Length', async () => {
    const root = tempDir('dle-cache');
    const run = ensureDownloaded(VERSION, root, { ...fast, baseUrl: `${server.base}/short` });
    await expect(run).rejects.toThrow(/(closed after|Content-Length).*\(after 3 attempts\)/);
    expect(server.hits.get('/short/v4.5.7.tar.gz')).toBe(3);
    expect(existsSync(entryDir(root, VERSION))).toBe(false);
    expect(existsSync(archivePath(root, VERSION))).toBe(false);
  });

  it('downloads again when meta.json is damaged (the kept archive cannot be trusted)', async () => {
    const root = tempDir('dle-cache');
    const opts = { ...fast, baseUrl: `${server.base}/ok` };
    const before = server.hits.get('/ok/v4.5.7.tar.gz') ?? 0;
    await ensureDownloaded(VERSION, root, opts);
    writeFileSync(path.join(entryDir(root, VERSION), 'meta.json'), '{ not json');
    const again = await ensureDownloaded(VERSION, root, opts);
    expect(again.repaired).toMatch(/meta\.json is damaged/);
    expect(again.action).toBe('downloaded');
    expect(server.hits.get('/ok/v4.5.7.tar.gz')).toBe(before + 2);
  });

  it('downloads again when the kept archive no longer matches its sha256', async () => {
    const root = tempDir('dle-cache');
    const opts = { ...fast, baseUrl: `${server.base}/ok` };
    const first = await ensureDownloaded(VERSION, root, opts);
    writeFileSync(path.join(first.tree.root, 'version.php'), '<?php // damaged');
    writeFileSync(archivePath(root, VERSION), 'not the archive');
    const again = await ensureDownloaded(VERSION, root, opts);
    expect(again.action).toBe('downloaded');
    expect(again.meta.source).toEqual(first.meta.source);
  });

  it('takes the archive base URL from MPC_MOODLE_ARCHIVE_BASE', () => {
    const saved = process.env.MPC_MOODLE_ARCHIVE_BASE;
    process.env.MPC_MOODLE_ARCHIVE_BASE = 'http://mirror.test/moodle/';
    try {
      expect(archiveUrl('4.5.7')).toBe('http://mirror.test/moodle/v4.5.7.tar.gz');
    } finally {
      if (saved === undefined) delete process.env.MPC_MOODLE_ARCHIVE_BASE;
      else process.env.MPC_MOODLE_ARCHIVE_BASE = saved;
    }
    expect(archiveUrl('4.5.7', 'http://x')).toBe('http://x/v4.5.7.tar.gz');
  });
});

describe('download bounds', () => {
  it('stops at the deadline, and says so rather than "no release archive"', async () => {
    // Accepts the connection and never answers.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const root = tempDir('dle-cache');
      const started = Date.now();
      const run = ensureDownloaded(VERSION, root, {
        ...fast,
        baseUrl: `http://127.0.0.1:${port}`,
        deadlineMs: 300,
      });
      await expect(run).rejects.toBeInstanceOf(DownloadError);
      await expect(run).rejects.toThrow(
        /v4\.5\.7\.tar\.gz: the download deadline of 300 ms passed/,
      );
      expect(Date.now() - started).toBeLessThan(1500);
      expect(existsSync(archivePath(root, VERSION))).toBe(false);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('refuses an archive over the extraction limits and keeps nothing of it', async () => {
    const root = tempDir('dle-cache');
    const run = ensureDownloaded(VERSION, root, {
      ...fast,
      baseUrl: `${server.base}/ok`,
      extractLimits: { maxBytes: 1024 ** 3, maxEntries: 3 },
    });
    await expect(run).rejects.toBeInstanceOf(ArchiveLimitError);
    await expect(run).rejects.toThrow(/over the limit of 3 entries \(stopped at entry 4\)/);
    expect(existsSync(entryDir(root, VERSION))).toBe(false);
    expect(existsSync(archivePath(root, VERSION))).toBe(false);
  });
});

describe('extractTarGz', () => {
  it('refuses entries that would escape the target folder, and writes none of them', async () => {
    const dir = tempDir('dle-x');
    const file = path.join(dir, 'evil.tar.gz');
    writeFileSync(
      file,
      rawTarGz([
        { name: 'moodle-4.5.7/version.php', body: '<?php' },
        { name: 'moodle-4.5.7/../../escaped.txt', body: 'x' },
      ]),
    );
    const dest = path.join(dir, 'a', 'b', 'tree');
    await expect(extractTarGz(file, dest)).rejects.toThrow(/refused 1 unsafe or unexpected entry/);
    expect(existsSync(path.join(dir, 'a', 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(dir, 'a', 'b', 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(dir, 'escaped.txt'))).toBe(false);
  });

  it('turns a damaged archive into an error, not a half tree', async () => {
    const dir = tempDir('dle-x');
    const file = path.join(dir, 'bad.tar.gz');
    writeFileSync(file, gzipSync(Buffer.from('this is not a tar file'.repeat(50))));
    await expect(extractTarGz(file, path.join(dir, 'tree'))).rejects.toThrow(/bad\.tar\.gz/);
  });

  it('a 404 is a UserError that names the URL', async () => {
    const run = ensureDownloaded('4.5.99', tempDir('dle-cache'), {
      ...fast,
      baseUrl: `${server.base}/ok`,
    });
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(run).rejects.toThrow(/v4\.5\.99\.tar\.gz \(HTTP 404\)/);
  });
});
