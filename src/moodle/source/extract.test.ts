// Bounds on archive extraction (zip bombs, entry floods, lying sizes) and the bounded ZIP reader.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { create } from 'tar';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { ArchiveLimitError, extractTarGz, unzipBounded, ZipFormatError } from './extract.js';
import { MINI_45, miniArchive, tempDir } from '../testing.js';
import { extractZip } from './upgrade-source.js';

const MiB = 1024 * 1024;

/** A .tar.gz with one top folder holding `files` (name → size, filled with zeros). */
async function tarGz(files: Record<string, number>): Promise<string> {
  const dir = tempDir('xt');
  const top = path.join(dir, 'moodle-x');
  for (const [name, n] of Object.entries(files)) {
    const file = path.join(top, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(n));
  }
  const archive = path.join(dir, 'a.tar.gz');
  await create({ gzip: true, file: archive, cwd: dir, portable: true }, ['moodle-x']);
  return archive;
}

describe('extractTarGz limits', () => {
  it('refuses an archive with more entries than allowed, naming the archive and the limit', async () => {
    const dir = tempDir('xt');
    const archive = path.join(dir, 'mini.tar.gz');
    writeFileSync(archive, await miniArchive(MINI_45));
    const run = extractTarGz(archive, path.join(dir, 'tree'), { maxBytes: MiB, maxEntries: 3 });
    await expect(run).rejects.toBeInstanceOf(ArchiveLimitError);
    await expect(run).rejects.toThrow(
      `${archive}: over the limit of 3 entries (stopped at entry 4); the archive is refused.`,
    );
    // The same archive within its limits extracts.
    await expect(
      extractTarGz(archive, path.join(dir, 'ok'), { maxBytes: MiB, maxEntries: 20 }),
    ).resolves.toEqual({ files: 3 });
  });

  it('stops a gzip bomb once the tar stream passes the size limit', async () => {
    // 64 MiB of zeros gzip to ~64 KiB.
    const archive = await tarGz({ 'big.bin': 64 * MiB, 'version.php': 10 });
    expect(statSync(archive).size).toBeLessThan(MiB);
    const dest = path.join(path.dirname(archive), 'tree');
    const err = (await extractTarGz(archive, dest, { maxBytes: MiB, maxEntries: 100 }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(
      /a\.tar\.gz: over the limit of 1,048,576 bytes uncompressed \(stopped at [\d,]+ bytes\); the archive is refused\.$/,
    );
    const big = path.join(dest, 'big.bin');
    expect(!existsSync(big) || statSync(big).size <= MiB).toBe(true);
  });
});

/** A ZIP written by hand, so that its directory can say what a real zipper never would. */
function rawZip(
  entries: { name: string; data: Uint8Array; method?: number; size?: number }[],
): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.method ?? 0;
    const size = e.size ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.data));
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, dir, end]));
}

const deflated = (data: Uint8Array): Uint8Array => deflateRawSync(data, { level: 1 });

/** Ten 1000-byte files whose deflate data is broken: inflating any of them would fail. */
const tenBroken = (): Uint8Array =>
  rawZip(
    Array.from({ length: 10 }, (_, i) => ({
      name: `p/f${i}.txt`,
      data: new Uint8Array(16).fill(0xff),
      method: 8,
      size: 1000,
    })),
  );

describe('unzipBounded', () => {
  it('reads what fflate reads: folders, stored and deflated entries, UTF-8 names', () => {
    const zip = zipSync({
      'mod_x/': {},
      'mod_x/version.php': strToU8('<?php $plugin->version = 1;'.repeat(50)),
      'mod_x/lang/en/é.txt': [strToU8('stored'), { level: 0 }],
      'mod_x/empty.txt': new Uint8Array(0),
    });
    expect(unzipBounded(zip, 'x.zip')).toEqual(unzipSync(zip));
  });

  it('refuses too many entries from the directory, before inflating any', () => {
    const zip = tenBroken();
    expect(() => unzipBounded(zip, 'x.zip', { maxBytes: MiB, maxEntries: 100 })).toThrow(
      ZipFormatError,
    );
    expect(() => unzipBounded(zip, 'plugin.zip', { maxBytes: MiB, maxEntries: 5 })).toThrow(
      'plugin.zip: 10 entries, over the limit of 5; the archive is refused.',
    );
  });

  it('refuses declared sizes over the limit, before inflating any', () => {
    const zip = tenBroken();
    const err = (() => {
      try {
        unzipBounded(zip, 'plugin.zip', { maxBytes: 5000, maxEntries: 100 });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ArchiveLimitError);
    expect(err?.message).toMatch(
      /^plugin\.zip: 10 entries declare 10,000 bytes uncompressed, over the limit of 5,000 bytes; the archive is refused\.$/,
    );
  });

  it('stops an entry that inflates past its declared size, at once', () => {
    // 256 MiB of zeros deflate to ~1 MiB; the directory claims 100 bytes.
    const zip = rawZip([
      { name: 'bomb.bin', data: deflated(new Uint8Array(256 * MiB)), method: 8, size: 100 },
    ]);
    const started = Date.now();
    expect(() => unzipBounded(zip, 'bomb.zip')).toThrow(
      'bomb.zip: "bomb.bin" inflates to more than the 100 bytes its header declares; the archive is refused.',
    );
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('refuses an entry shorter than declared, and what is not a ZIP', () => {
    const zip = rawZip([{ name: 'a.txt', data: deflated(strToU8('hello')), method: 8, size: 6 }]);
    expect(() => unzipBounded(zip, 'a.zip')).toThrow(/"a\.txt": 5 bytes, its header declares 6/);
    expect(() => unzipBounded(strToU8('not a zip at all'), 'a.zip')).toThrow(ZipFormatError);
  });

  it('keeps an entry named __proto__ as a file', () => {
    const files = unzipBounded(rawZip([{ name: '__proto__', data: strToU8('x') }]), 'a.zip');
    expect(Object.keys(files)).toEqual(['__proto__']);
  });

  it('bounds the --upgrade-from ZIP, with the bound’s own message', () => {
    const dir = tempDir('xz');
    const zip = rawZip([{ name: 'version.php', data: strToU8('<?php'), size: 3 * 1024 ** 3 }]);
    expect(() => extractZip(zip, dir, '--upgrade-from old.zip')).toThrow(
      '--upgrade-from old.zip: 1 entry declares 3.00 GiB (3,221,225,472 bytes) uncompressed, over the limit of 1.00 GiB (1,073,741,824 bytes); the archive is refused.',
    );
    expect(existsSync(path.join(dir, 'version.php'))).toBe(false);
  });
});
