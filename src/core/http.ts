import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { TOOL } from './version.js';

// setTimeout fires after 1 ms for any delay over MAX_TIMER_MS: every timer here is clamped to it.
import { MAX_TIMER_MS } from './timeout.js';

/** All attempts of one download, and the waits between them, end within this long. */
export const DEFAULT_DEADLINE_MS = 10 * 60_000;
/** An attempt whose body arrives slower than this, averaged over a window, fails. */
export const DEFAULT_MIN_BYTES_PER_SECOND = 10 * 1024;
export const DEFAULT_THROUGHPUT_WINDOW_MS = 30_000;

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
  /**
   * The whole download (every attempt and back-off) ends within this long, else it fails for
   * good: a server trickling bytes just under the idle timeout cannot hold a job forever.
   */
  deadlineMs?: number;
  /**
   * Fewer body bytes than this per second, averaged over each `throughputWindowMs` (the first
   * window is the grace period), fails the attempt. 0 turns the check off.
   */
  minBytesPerSecond?: number;
  throughputWindowMs?: number;
  fetch?: typeof fetch;
  onRetry?: (info: { attempt: number; error: Error; delayMs: number }) => void;
}

/**
 * Fetches `url` into `dest` (a file that does not exist yet), following redirects; rejects with
 * an error carrying `httpStatusCode` for an HTTP error. The Action registers @actions/tool-cache's
 * `downloadTool` (the runner's proxy settings, its retries of 5xx); the CLI uses fetch.
 */
export type DownloadTransport = (url: string, dest: string) => Promise<void>;

let transport: DownloadTransport | undefined;

/** Sends every later download without its own `fetch` option through `t` (undefined: fetch). */
export function setDownloadTransport(t: DownloadTransport | undefined): void {
  transport = t;
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

type Limits = Required<
  Pick<
    HttpOptions,
    'headersTimeoutMs' | 'idleTimeoutMs' | 'minBytesPerSecond' | 'throughputWindowMs'
  >
>;

function shouldRetryStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function describeError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

const duration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

function rate(bytesPerSecond: number): string {
  return bytesPerSecond >= 1024
    ? `${(bytesPerSecond / 1024).toFixed(1)} KiB/s`
    : `${Math.round(bytesPerSecond)} B/s`;
}

async function attempt(
  url: string,
  tempFile: string,
  options: Limits & HttpOptions,
  deadlineAt: number,
  deadlineMs: number,
): Promise<Downloaded> {
  const controller = new AbortController();
  let bytes = 0;
  let expected: number | undefined;
  const received = (): string =>
    `${bytes}${expected !== undefined ? ` of ${expected}` : ''} bytes received`;
  // Why the attempt was stopped, and whether another attempt could do better.
  let stopped: { why: string; retryable: boolean } | undefined;
  const stop = (why: string, retryable: boolean): void => {
    stopped ??= { why, retryable };
    controller.abort();
  };
  const deadline = setTimeout(
    () => {
      stop(`the download deadline of ${duration(deadlineMs)} passed (${received()})`, false);
    },
    Math.min(MAX_TIMER_MS, Math.max(0, deadlineAt - Date.now())),
  );
  let timer = setTimeout(
    () => {
      stop(`no response within ${options.headersTimeoutMs} ms`, true);
    },
    Math.min(MAX_TIMER_MS, options.headersTimeoutMs),
  );
  const rearm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(
      () => {
        stop(`no data for ${options.idleTimeoutMs} ms (${received()})`, true);
      },
      Math.min(MAX_TIMER_MS, options.idleTimeoutMs),
    );
  };
  let throughput: NodeJS.Timeout | undefined;
  const watchThroughput = (): void => {
    const min = options.minBytesPerSecond;
    const window = options.throughputWindowMs;
    if (!(min > 0)) return;
    let before = 0;
    throughput = setInterval(
      () => {
        const got = bytes - before;
        before = bytes;
        const perSecond = (got * 1000) / window;
        if (perSecond < min)
          stop(
            `too slow: ${got} bytes in the last ${duration(window)} (${rate(perSecond)}, under the minimum of ${rate(min)}; ${received()})`,
            true,
          );
      },
      Math.min(MAX_TIMER_MS, window),
    );
  };
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
      watchThroughput();
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
    if (stopped) throw new DownloadError(`${url}: ${stopped.why}`, url, stopped.retryable);
    if (e instanceof DownloadError) throw e;
    const why =
      expected !== undefined && bytes < expected
        ? `connection closed after ${bytes} of ${expected} bytes`
        : describeError(e);
    throw new DownloadError(`${url}: ${why}`, url, true);
  } finally {
    clearTimeout(timer);
    clearTimeout(deadline);
    clearInterval(throughput);
  }
}

/**
 * One attempt through a registered transport. It cannot be aborted, so the same bounds are kept by
 * watching the file grow: no first byte within headersTimeoutMs, none for idleTimeoutMs, too slow
 * over a window, or the deadline — the attempt fails and the transport is left to finish into a
 * file nobody reads. The transport retried server errors itself: those are final here.
 */
async function transportAttempt(
  t: DownloadTransport,
  url: string,
  tempFile: string,
  options: Limits & HttpOptions,
  deadlineAt: number,
  deadlineMs: number,
): Promise<Downloaded> {
  const size = (): number => {
    try {
      return statSync(tempFile).size;
    } catch {
      return 0;
    }
  };
  let stopTimer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    const started = Date.now();
    let last = 0;
    let lastChange = started;
    let windowStart = started;
    let windowBytes = 0;
    stopTimer = setInterval(() => {
      const now = Date.now();
      const bytes = size();
      if (bytes !== last) {
        last = bytes;
        lastChange = now;
      }
      const fail = (why: string, retryable: boolean): void => {
        reject(new DownloadError(`${url}: ${why}`, url, retryable));
      };
      if (now >= deadlineAt)
        fail(
          `the download deadline of ${duration(deadlineMs)} passed (${bytes} bytes received)`,
          false,
        );
      else if (bytes === 0 && now - started > options.headersTimeoutMs + options.idleTimeoutMs)
        fail(`no data within ${options.headersTimeoutMs + options.idleTimeoutMs} ms`, true);
      else if (bytes > 0 && now - lastChange > options.idleTimeoutMs)
        fail(`no data for ${options.idleTimeoutMs} ms (${bytes} bytes received)`, true);
      else if (options.minBytesPerSecond > 0 && now - windowStart >= options.throughputWindowMs) {
        const perSecond = ((bytes - windowBytes) * 1000) / (now - windowStart);
        if (bytes > 0 && perSecond < options.minBytesPerSecond)
          fail(
            `too slow: ${rate(perSecond)}, under the minimum of ${rate(options.minBytesPerSecond)} (${bytes} bytes received)`,
            true,
          );
        windowStart = now;
        windowBytes = bytes;
      }
    }, 250);
  });
  const fetched = t(url, tempFile);
  fetched.catch(() => undefined); // settles after the guard won: nobody waits for it then
  try {
    await Promise.race([fetched, guard]);
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    const status = (e as { httpStatusCode?: unknown }).httpStatusCode;
    if (typeof status === 'number')
      throw new DownloadError(`HTTP ${status} for ${url}`, url, false, status);
    throw new DownloadError(`${url}: ${describeError(e)}`, url, false);
  } finally {
    clearInterval(stopTimer);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(tempFile) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Downloads `url` to `dest` (via a temp file beside it, renamed when complete and the length
 * checked), retrying with exponential back-off on errors worth retrying, all within
 * `deadlineMs`.
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: HttpOptions = {},
): Promise<Downloaded> {
  const retries = options.retries ?? 4;
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const deadlineAt = Date.now() + deadlineMs;
  const opts = {
    ...options,
    headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    minBytesPerSecond: options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND,
    throughputWindowMs: options.throughputWindowMs ?? DEFAULT_THROUGHPUT_WINDOW_MS,
  };
  const temp = `${dest}.part-${process.pid}-${Date.now()}`;
  for (let n = 0; ; n++) {
    try {
      const got =
        transport && !options.fetch
          ? await transportAttempt(transport, url, temp, opts, deadlineAt, deadlineMs)
          : await attempt(url, temp, opts, deadlineAt, deadlineMs);
      renameSync(temp, dest);
      return got;
    } catch (e) {
      rmSync(temp, { force: true });
      const err = e as DownloadError;
      // A host name that does not resolve is retried once (a DNS hiccup), not `retries` times:
      // on a machine without network that would wait ~15 s before using the cache.
      const limit = err.message.includes('(ENOTFOUND)') ? Math.min(1, retries) : retries;
      const delayMs = Math.min(max, base * 2 ** n) * (0.75 + Math.random() * 0.5);
      const late = err.retryable && n < limit && Date.now() + delayMs >= deadlineAt;
      if (!err.retryable || n >= limit || late) {
        const notes = [
          ...(n > 0 ? [`after ${n + 1} attempts`] : []),
          ...(late ? [`no time left to retry within the ${duration(deadlineMs)} deadline`] : []),
        ];
        if (notes.length > 0) err.message += ` (${notes.join('; ')})`;
        throw err;
      }
      options.onRetry?.({ attempt: n + 1, error: err, delayMs });
      await sleep(delayMs);
    }
  }
}
