// The production download path, against a local HTTP server on 127.0.0.1 serving a tiny tree.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { ensureDownloaded } from './download.js';

const VERSION = '4.5.7';

/** A minimal classic-layout tree, as GitHub's archive lays it out (one top folder). */
async function archive(release: string): Promise<Buffer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mpc-arch-'));
  const top = path.join(dir, `moodle-${release}`);
  mkdirSync(path.join(top, 'lib'), { recursive: true });
  mkdirSync(path.join(top, 'admin/cli'), { recursive: true });
  writeFileSync(
    path.join(top, 'version.php'),
    `<?php\n$version = 2024100707.00;\n$release = '${release} (Build: 20251020)';\n$branch = '405';\n$maturity = MATURITY_STABLE;\n`,
  );
  writeFileSync(
    path.join(top, 'lib/components.json'),
    '{"plugintypes":{"mod":"mod"},"subsystems":{}}',
  );
  writeFileSync(path.join(top, 'admin/cli/install.php'), '<?php');
  const file = path.join(dir, 'a.tar.gz');
  await create({ gzip: true, file, cwd: dir, portable: true }, [`moodle-${release}`]);
  return readFileSync(file);
}

let server: Server;
let base = '';
let good: Buffer;
let other: Buffer;
/** Per path: the responses to give, in order (the last one repeats). */
const plan = new Map<string, ('ok' | 'other' | 503 | 404 | 'truncated')[]>();
const hits = new Map<string, number>();

beforeAll(async () => {
  good = await archive(VERSION);
  other = await archive('4.5.6');
  server = createServer((req, res) => {
    const url = req.url ?? '';
    const n = hits.get(url) ?? 0;
    hits.set(url, n + 1);
    const steps = plan.get(url) ?? [404];
    const step = steps[Math.min(n, steps.length - 1)]!;
    if (step === 'ok' || step === 'other') {
      const body = step === 'ok' ? good : other;
      res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/gzip' });
      res.end(body);
    } else if (step === 'truncated') {
      res.writeHead(200, { 'content-length': good.length });
      // Drop the connection after part of the body, instead of waiting for the idle timeout.
      res.write(good.subarray(0, 100), () => {
        res.destroy();
      });
    } else {
      res.writeHead(step);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
});

const fast = {
  retries: 2,
  baseDelayMs: 1,
  maxDelayMs: 5,
  headersTimeoutMs: 2000,
  idleTimeoutMs: 2000,
};

function cache(): string {
  return mkdtempSync(path.join(tmpdir(), 'mpc-dl-cache-'));
}

describe('ensureDownloaded', () => {
  it('downloads, checks and caches a release, then reuses it', async () => {
    const baseUrl = `${base}/ok`;
    plan.set(`/ok/v${VERSION}.tar.gz`, ['ok']);
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
    expect(hits.get(`/ok/v${VERSION}.tar.gz`)).toBe(1);
  });

  it('retries a 503 and a truncated body, then succeeds', async () => {
    const baseUrl = `${base}/flaky`;
    plan.set(`/flaky/v${VERSION}.tar.gz`, [503, 'truncated', 'ok']);
    const retries: string[] = [];
    const r = await ensureDownloaded(VERSION, cache(), {
      ...fast,
      baseUrl,
      onRetry: ({ error }) => retries.push(error.message),
    });
    expect(r.action).toBe('downloaded');
    expect(retries).toHaveLength(2);
    expect(hits.get(`/flaky/v${VERSION}.tar.gz`)).toBe(3);
  });

  it('does not retry a 404 and says what to do', async () => {
    const baseUrl = `${base}/missing`;
    plan.set(`/missing/v${VERSION}.tar.gz`, [404]);
    await expect(ensureDownloaded(VERSION, cache(), { ...fast, baseUrl })).rejects.toThrow(
      UserError,
    );
    expect(hits.get(`/missing/v${VERSION}.tar.gz`)).toBe(1);
  });

  it('refuses an archive that holds another release', async () => {
    const baseUrl = `${base}/wrong`;
    plan.set(`/wrong/v${VERSION}.tar.gz`, ['other']);
    await expect(ensureDownloaded(VERSION, cache(), { ...fast, baseUrl })).rejects.toThrow(
      /not 4\.5\.7/,
    );
  });

  it('repairs a corrupted cache entry from the kept archive without downloading again', async () => {
    const baseUrl = `${base}/repair`;
    plan.set(`/repair/v${VERSION}.tar.gz`, ['ok']);
    const root = cache();
    const first = await ensureDownloaded(VERSION, root, { ...fast, baseUrl });
    rmSync(path.join(first.tree.root, 'version.php'));
    const again = await ensureDownloaded(VERSION, root, { ...fast, baseUrl });
    expect(again.repaired).toBeDefined();
    expect(again.action).toBe('extracted');
    expect(again.tree.release).toBe(first.tree.release);
    expect(hits.get(`/repair/v${VERSION}.tar.gz`)).toBe(1);
  });
});
