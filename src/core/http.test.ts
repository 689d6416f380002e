// downloadFile(): the retry policy with an injected fetch, and the deadline and throughput bounds
// against a 127.0.0.1 server that trickles (the archive tests live in download*.test.ts).
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, downloadFile } from './http.js';

/** A fetch that always fails like undici does, with `cause.code`. */
function failingFetch(code: string): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const fn = (): Promise<Response> => {
    calls++;
    return Promise.reject(new TypeError('fetch failed', { cause: { code, message: code } }));
  };
  return { fetch: fn, calls: () => calls };
}

const dest = (): string => path.join(mkdtempSync(path.join(tmpdir(), 'mpc-http-')), 'file');

describe('downloadFile retries', () => {
  const fast = { baseDelayMs: 1, maxDelayMs: 2 };

  it('retries a connection error the configured number of times', async () => {
    const f = failingFetch('ECONNRESET');
    await expect(
      downloadFile('https://example.invalid/a', dest(), { ...fast, retries: 3, fetch: f.fetch }),
    ).rejects.toThrow(/ECONNRESET.*after 4 attempts/);
    expect(f.calls()).toBe(4);
  });

  it('retries a host name that does not resolve only once', async () => {
    const f = failingFetch('ENOTFOUND');
    const err = await downloadFile('https://example.invalid/a', dest(), {
      ...fast,
      retries: 4,
      fetch: f.fetch,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/ENOTFOUND.*after 2 attempts/);
    expect(f.calls()).toBe(2);
  });
});

/** Sends `length` bytes, `chunk` bytes every `everyMs` ms (never more than announced). */
function trickle(res: ServerResponse, length: number, chunk: number, everyMs: number): void {
  res.writeHead(200, { 'content-length': length });
  let sent = 0;
  const timer = setInterval(() => {
    const n = Math.min(chunk, length - sent);
    sent += n;
    res.write(Buffer.alloc(n, 120));
    if (sent >= length) {
      clearInterval(timer);
      res.end();
    }
  }, everyMs);
  res.on('close', () => {
    clearInterval(timer);
  });
}

let base = '';
const hits = new Map<string, number>();
let close: () => Promise<void>;
beforeAll(async () => {
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    // One byte every 20 ms: always under the idle timeout, never done.
    if (url.startsWith('/trickle')) trickle(res, 1_000_000, 1, 20);
    // 64 KiB in 4 KiB chunks every 5 ms: fast enough for every bound below.
    else if (url.startsWith('/steady')) trickle(res, 64 * 1024, 4096, 5);
    else {
      res.writeHead(503);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => {
        resolve();
      });
    });
});
afterAll(() => close());

describe('downloadFile bounds', () => {
  const quick = { baseDelayMs: 1, maxDelayMs: 2, headersTimeoutMs: 2000, idleTimeoutMs: 2000 };

  it('fails an attempt whose body is slower than the minimum throughput, naming the rate', async () => {
    const file = dest();
    const started = Date.now();
    const err = (await downloadFile(`${base}/trickle-slow`, file, {
      ...quick,
      retries: 1,
      minBytesPerSecond: 1000,
      throughputWindowMs: 200,
    }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(
      /trickle-slow: too slow: \d+ bytes in the last 200 ms \(\d+ B\/s, under the minimum of 1000 B\/s; \d+ of 1000000 bytes received\) \(after 2 attempts\)/,
    );
    expect(hits.get('/trickle-slow')).toBe(2);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(existsSync(file)).toBe(false);
  });

  it('stops a download at its deadline and does not retry it', async () => {
    const started = Date.now();
    const err = (await downloadFile(`${base}/trickle-deadline`, dest(), {
      ...quick,
      retries: 3,
      minBytesPerSecond: 0,
      deadlineMs: 300,
    }).catch((e: unknown) => e)) as DownloadError;
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(
      /trickle-deadline: the download deadline of 300 ms passed \(\d+ of 1000000 bytes received\)$/,
    );
    expect(hits.get('/trickle-deadline')).toBe(1);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('counts retries and back-off against the same deadline', async () => {
    const started = Date.now();
    const err = (await downloadFile(`${base}/down`, dest(), {
      ...quick,
      retries: 50,
      baseDelayMs: 40,
      maxDelayMs: 40,
      deadlineMs: 250,
    }).catch((e: unknown) => e)) as DownloadError;
    // Either the next back-off would end past the deadline, or the last attempt ran into it.
    expect(err.message).toMatch(
      /\(after \d+ attempts; no time left to retry within the 250 ms deadline\)$|the download deadline of 250 ms passed .*\(after \d+ attempts\)$/,
    );
    expect(hits.get('/down')).toBeLessThan(10);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('lets a steady download through with the same small bounds', async () => {
    const file = dest();
    const got = await downloadFile(`${base}/steady`, file, {
      ...quick,
      minBytesPerSecond: 1000,
      throughputWindowMs: 50,
      deadlineMs: 5000,
    });
    expect(got.bytes).toBe(64 * 1024);
    expect(readFileSync(file).length).toBe(64 * 1024);
  });
});
