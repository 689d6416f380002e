import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, downloadFile, setDownloadTransport } from '../core/http.js';
import { TOOL } from '../core/version.js';
import { TOOL_CACHE_NAME, useRunnerToolCache, useToolCacheDownloads } from './tool-cache.js';

const body = Buffer.from('moodle '.repeat(10_000));
let server: Server;
let base = '';
const seen: string[] = [];
const temp = mkdtempSync(path.join(tmpdir(), 'mpc-tc-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.url} ${req.headers['user-agent'] ?? ''}`);
    if (req.url === '/ok.zip') {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    } else if (req.url === '/moved') {
      // Absolute, as GitHub's and moodle.org's are: @actions/http-client cannot follow a relative one.
      res.writeHead(302, { location: `${base}/ok.zip` });
      res.end();
    } else if (req.url === '/stall') {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.write(body.subarray(0, 100)); // and then nothing
    } else {
      res.writeHead(404);
      res.end('no');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  useToolCacheDownloads();
});
afterAll(async () => {
  setDownloadTransport(undefined);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(temp, { recursive: true, force: true });
});

describe('downloads through @actions/tool-cache', () => {
  it('follows redirects and hashes the file', async () => {
    const dest = path.join(temp, 'a.zip');
    const got = await downloadFile(`${base}/moved`, dest);
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(got).toEqual({
      sha256: createHash('sha256').update(body).digest('hex'),
      bytes: body.length,
    });
    expect(seen.map((s) => s.split(' ')[0])).toEqual(['/moved', '/ok.zip']);
  });

  it('a 404 is final, with its status', async () => {
    const e = await downloadFile(`${base}/missing`, path.join(temp, 'b.zip')).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(DownloadError);
    expect((e as DownloadError).status).toBe(404);
    expect((e as DownloadError).retryable).toBe(false);
    expect(existsSync(path.join(temp, 'b.zip'))).toBe(false);
  });

  it('keeps our idle bound although downloadTool has none', async () => {
    const t0 = Date.now();
    const e = await downloadFile(`${base}/stall`, path.join(temp, 'c.zip'), {
      retries: 0,
      idleTimeoutMs: 1000,
      headersTimeoutMs: 1000,
    }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/no data for 1000 ms \(100 bytes received\)/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('the runner tool cache', () => {
  afterEach(() => {
    delete process.env.RUNNER_TOOL_CACHE;
  });
  it('creates this version’s folder once, then finds it', async () => {
    const toolCache = path.join(temp, 'toolcache');
    const env: NodeJS.ProcessEnv = { RUNNER_TOOL_CACHE: toolCache, RUNNER_TEMP: temp };
    process.env.RUNNER_TOOL_CACHE = toolCache; // tool-cache reads the process environment
    const first = await useRunnerToolCache(env);
    const dir = path.join(toolCache, TOOL_CACHE_NAME, TOOL.version, arch());
    expect(first).toEqual({ kind: 'created', dir });
    expect(env.MPC_CACHE_DIR).toBe(dir);
    expect(existsSync(`${dir}.complete`)).toBe(true);
    const again: NodeJS.ProcessEnv = { RUNNER_TOOL_CACHE: toolCache };
    expect(await useRunnerToolCache(again)).toEqual({ kind: 'found', dir, entries: 0 });
    expect(again.MPC_CACHE_DIR).toBe(dir);
  });
  it('leaves a user’s MPC_CACHE_DIR alone, and does nothing off a runner', async () => {
    expect(await useRunnerToolCache({ MPC_CACHE_DIR: '/x', RUNNER_TOOL_CACHE: '/y' })).toEqual({
      kind: 'user',
      dir: '/x',
    });
    expect(await useRunnerToolCache({})).toEqual({ kind: 'none' });
  });
});
