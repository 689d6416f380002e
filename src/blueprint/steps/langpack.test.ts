import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../core/errors.js';
import { languagePack } from './langpack.js';

const zip = zipSync({ 'xx/langconfig.php': strToU8("<?php $string['thislanguage'] = 'X';") });
const md5 = createHash('md5').update(zip).digest('hex');
let server: Server;
let base = '';
let index = '';
const asked: string[] = [];
const cache = mkdtempSync(path.join(tmpdir(), 'mpc-langpack-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    asked.push(req.url ?? '');
    if (req.url === '/4.5/languages.md5') res.end(index);
    else if (req.url === '/4.5/xx.zip') res.end(Buffer.from(zip));
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv('MPC_CACHE_DIR', cache);
  vi.stubEnv('MPC_LANGPACK_BASE', base);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(cache, { recursive: true, force: true });
});

describe('languagePack (Moodle’s langpack/<X.Y>/<code>.zip and languages.md5)', () => {
  it('refuses a pack whose md5 is not the index’s, and caches nothing', async () => {
    index = `xx,${'0'.repeat(32)},Test\n`;
    const e = await languagePack('xx', 405, 'steps/0').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).toContain(
      `has md5 ${md5}, but languages.md5 says ${'0'.repeat(32)}`,
    );
  });

  it('downloads the pack for the Moodle version, then serves it from the cache when offline', async () => {
    index = `en,${'1'.repeat(32)},English\nxx,${md5},Test\n`;
    asked.length = 0;
    expect(Buffer.from(await languagePack('xx', 405, 'steps/0')).equals(Buffer.from(zip))).toBe(
      true,
    );
    expect(asked).toEqual(['/4.5/languages.md5', '/4.5/xx.zip']);
    // Checked once: the same md5 again is read from the cache, not downloaded.
    asked.length = 0;
    await languagePack('xx', 405, 'steps/0');
    expect(asked).toEqual(['/4.5/languages.md5']);
    vi.stubEnv('MPC_LANGPACK_BASE', 'http://127.0.0.1:9'); // nothing listens there
    expect(Buffer.from(await languagePack('xx', 405, 'steps/0')).equals(Buffer.from(zip))).toBe(
      true,
    );
    vi.stubEnv('MPC_LANGPACK_BASE', base);
  });

  it('names a code the index does not have', async () => {
    await expect(languagePack('zz', 405, 'steps/0')).rejects.toThrow(/no "zz" language pack/);
  });
});
