// Retry policy of downloadFile() with an injected fetch (the 127.0.0.1 server tests live in
// download*.test.ts).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DownloadError, downloadFile } from './http.js';
import { tempDir } from './testing.js';

/** A fetch that always fails like undici does, with `cause.code`. */
function failingFetch(code: string): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const fn = (): Promise<Response> => {
    calls++;
    return Promise.reject(new TypeError('fetch failed', { cause: { code, message: code } }));
  };
  return { fetch: fn, calls: () => calls };
}

describe('downloadFile retries', () => {
  const dest = (): string => path.join(tempDir('http'), 'file');
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
