import { createHash } from 'node:crypto';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { TOOL } from '../core/version.js';

export interface HttpOptions {
  /** Extra attempts after the first, on network errors, timeouts, 5xx, 408 and 429. */
  retries?: number;
  /** First back-off delay; doubled on each retry (with jitter), capped at maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** No response headers within this long: the attempt fails. */
  headersTimeoutMs?: number;
  /** No body bytes for this long: the attempt fails. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  onRetry?: (info: { attempt: number; error: Error; delayMs: number }) => void;
}

/** A download failed for good. `retryable` false: the server said no (404, 403...). */
export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(
    message: string,
    readonly url: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface Downloaded {
  sha256: string;
  bytes: number;
}

function shouldRetryStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function describeError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

async function attempt(
  url: string,
  tempFile: string,
  options: Required<Pick<HttpOptions, 'headersTimeoutMs' | 'idleTimeoutMs'>> & HttpOptions,
): Promise<Downloaded> {
  const controller = new AbortController();
  let timeoutReason = `no response within ${options.headersTimeoutMs} ms`;
  let timer = setTimeout(() => {
    controller.abort();
  }, options.headersTimeoutMs);
  const rearm = (): void => {
    clearTimeout(timer);
    timeoutReason = `no data for ${options.idleTimeoutMs} ms`;
    timer = setTimeout(() => {
      controller.abort();
    }, options.idleTimeoutMs);
  };
  let bytes = 0;
  let expected: number | undefined;
  try {
    const res = await (options.fetch ?? fetch)(url, {
      signal: controller.signal,
      redirect: 'follow',
      // A transfer encoding would make Content-Length count other bytes than we receive.
      headers: { 'accept-encoding': 'identity', 'user-agent': `${TOOL.name}/${TOOL.version}` },
    });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new DownloadError(
        `HTTP ${res.status} ${res.statusText} for ${url}`,
        url,
        shouldRetryStatus(res.status),
        res.status,
      );
    }
    const length = res.headers.get('content-length');
    const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
    expected = length !== null && !encoded ? Number(length) : undefined;
    const hash = createHash('sha256');
    const out = createWriteStream(tempFile);
    const closed = once(out, 'close');
    try {
      rearm();
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        rearm();
        hash.update(chunk);
        bytes += chunk.length;
        if (!out.write(chunk)) await once(out, 'drain');
      }
    } finally {
      out.end();
      await closed;
    }
    if (expected !== undefined && bytes !== expected)
      throw new DownloadError(
        `${url}: got ${bytes} bytes, Content-Length said ${expected}`,
        url,
        true,
      );
    return { sha256: hash.digest('hex'), bytes };
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    const why = controller.signal.aborted
      ? timeoutReason
      : expected !== undefined && bytes < expected
        ? `connection closed after ${bytes} of ${expected} bytes`
        : describeError(e);
    throw new DownloadError(`${url}: ${why}`, url, true);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Downloads `url` to `dest` (via a temp file beside it, renamed when complete and the length
 * checked), retrying with exponential back-off on errors worth retrying.
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: HttpOptions = {},
): Promise<Downloaded> {
  const retries = options.retries ?? 4;
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  const opts = {
    ...options,
    headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
  };
  const temp = `${dest}.part-${process.pid}-${Date.now()}`;
  for (let n = 0; ; n++) {
    try {
      const got = await attempt(url, temp, opts);
      renameSync(temp, dest);
      return got;
    } catch (e) {
      rmSync(temp, { force: true });
      const err = e as DownloadError;
      // A host name that does not resolve is retried once (a DNS hiccup), not `retries` times:
      // on a machine without network that would wait ~15 s before using the cache.
      const limit = err.message.includes('(ENOTFOUND)') ? Math.min(1, retries) : retries;
      if (!err.retryable || n >= limit) {
        if (n > 0) err.message += ` (after ${n + 1} attempts)`;
        throw err;
      }
      const delayMs = Math.min(max, base * 2 ** n) * (0.75 + Math.random() * 0.5);
      options.onRetry?.({ attempt: n + 1, error: err, delayMs });
      await sleep(delayMs);
    }
  }
}
