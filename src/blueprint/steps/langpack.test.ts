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
import { runBlueprint } from '../executor.js';
import type { BlueprintSite, MoodleOp } from '../site-api.js';
import type { LoadedBlueprint } from '../types.js';

const zip = zipSync({ 'xx/langconfig.php': strToU8("<?php $string['thislanguage'] = 'X';") });
const md5 = createHash('md5').update(zip).digest('hex');
// A child pack, as pt_br is of pt: its langconfig.php names its parent.
const kid = zipSync({
  'xx_kid/langconfig.php': strToU8("<?php $string['parentlanguage'] = 'xx';"),
});
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
    else if (req.url === '/4.5/xx_kid.zip') res.end(Buffer.from(kid));
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

describe('installLanguagePack', () => {
  it('unpacks into moodledata/lang and queues the parent language, as Moodle’s installer does', async () => {
    index = `xx,${md5},Test\nxx_kid,${createHash('md5').update(kid).digest('hex')},Kid\n`;
    const written: string[] = [];
    const ops: MoodleOp[] = [];
    const no = (): never => {
      throw new Error('not used');
    };
    const site = {
      webRoot: '/www/moodle',
      branch: 405,
      files: {
        exists: (vfs: string) => written.includes(vfs),
        read: no,
        write: (vfs: string) => written.push(vfs),
        mkdir: no,
        rmdir: no,
        copy: no,
        move: no,
        delete: no,
      },
      runOps: (batch: readonly MoodleOp[]) => {
        ops.push(...batch);
        return Promise.resolve({
          results: batch.map((o) => ({ index: o.index, ok: true, ms: 1 })),
          totalMs: 1,
        });
      },
      runPhp: no,
      request: no,
      upgrade: no,
    } as unknown as BlueprintSite;
    const loaded = {
      blueprint: { steps: [{ step: 'installLanguagePack', language: 'xx_kid', setDefault: true }] },
      source: 'test',
    } as LoadedBlueprint;
    const run = await runBlueprint(loaded, site);
    expect(run.failed).toEqual([]);
    expect(written).toEqual([
      '/persist/moodledata/lang/xx_kid/langconfig.php',
      '/persist/moodledata/lang/xx/langconfig.php',
    ]);
    expect(ops.map((o) => o.args)).toEqual([{ languages: ['xx_kid', 'xx'], setDefault: true }]);
  });
});
