// The production download path, against a local HTTP server on 127.0.0.1 serving a tiny tree.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { ensureDownloaded } from './download.js';
import {
  archiveServer,
  FAST_HTTP as fast,
  MINI_45,
  miniArchive,
  tempDir,
  type Step,
} from '../testing.js';

const VERSION = '4.5.7';
const at = (dir: string): string => `/${dir}/v${VERSION}.tar.gz`;
/** Per folder of the server: the responses to give, in order (the last one repeats). */
const PLAN: Record<string, Step[]> = {
  ok: ['ok'],
  flaky: [503, 'truncated', 'ok'],
  missing: [404],
  wrong: ['ok'],
  repair: ['ok'],
};

let server: Awaited<ReturnType<typeof archiveServer>>;
let base = '';
const hits = (dir: string): number | undefined => server.hits.get(at(dir));

beforeAll(async () => {
  const good = await miniArchive({ ...MINI_45, release: `${VERSION} (Build: 20251020)` });
  const other = await miniArchive({ ...MINI_45, release: '4.5.6 (Build: 20251020)' });
  const bodies = Object.fromEntries(
    Object.keys(PLAN).map((d) => [at(d), d === 'wrong' ? other : good]),
  );
  server = await archiveServer(
    bodies,
    Object.fromEntries(Object.entries(PLAN).map(([d, steps]) => [at(d), steps])),
  );
  base = server.base;
});

afterAll(async () => {
  await server.close();
});

function cache(): string {
  return tempDir('dl-cache');
}

describe('ensureDownloaded', () => {
  it('downloads, checks and caches a release, then reuses it', async () => {
    const baseUrl = `${base}/ok`;
    const root = cache();
    const first = await ensureDownloaded(VERSION, root, { ...fast, baseUrl });
    expect(first.action).toBe('downloaded');
    expect(first.tree.release).toBe(`${VERSION} (Build: 20251020)`);
    expect(first.meta.source).toMatchObject({
      kind: 'download',
      url: `${baseUrl}/v${VERSION}.tar.gz`,
    });
    const second = await ensureDownloaded(VERSION, root, { ...fast, baseUrl });
    expect(second.action).toBe('cached');
    expect(hits('ok')).toBe(1);
  });

  it('retries a 503 and a truncated body, then succeeds', async () => {
    const baseUrl = `${base}/flaky`;
    const retries: string[] = [];
    const r = await ensureDownloaded(VERSION, cache(), {
      ...fast,
      baseUrl,
      onRetry: ({ error }) => retries.push(error.message),
    });
    expect(r.action).toBe('downloaded');
    expect(retries).toHaveLength(2);
    expect(hits('flaky')).toBe(3);
  });

  it('does not retry a 404 and says what to do', async () => {
    const baseUrl = `${base}/missing`;
    await expect(ensureDownloaded(VERSION, cache(), { ...fast, baseUrl })).rejects.toThrow(
      UserError,
    );
    expect(hits('missing')).toBe(1);
  });

  it('refuses an archive that holds another release', async () => {
    const baseUrl = `${base}/wrong`;
    await expect(ensureDownloaded(VERSION, cache(), { ...fast, baseUrl })).rejects.toThrow(
      /not 4\.5\.7/,
    );
  });

  it('repairs a corrupted cache entry from the kept archive without downloading again', async () => {
    const baseUrl = `${base}/repair`;
    const root = cache();
    const first = await ensureDownloaded(VERSION, root, { ...fast, baseUrl });
    rmSync(path.join(first.tree.root, 'version.php'));
    const again = await ensureDownloaded(VERSION, root, { ...fast, baseUrl });
    expect(again.repaired).toBeDefined();
    expect(again.action).toBe('extracted');
    expect(again.tree.release).toBe(first.tree.release);
    expect(hits('repair')).toBe(1);
  });
});
