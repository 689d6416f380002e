// The GitHub REST client: @actions/github's Octokit (GHES base URL, the runner's proxy settings)
// with Octokit's retry plugin (5xx, 429 and network errors, with back-off) and its throttling
// plugin (primary and secondary rate limits: waits for the reset, spaces writes a second apart as
// GitHub asks). A wait longer than `maxWaitSeconds` fails instead of holding the job.
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { TOOL } from '../core/version.js';

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface ClientOptions {
  baseUrl: string;
  token: string;
  log?: (line: string) => void;
  /** Retries after the first attempt, for 5xx, 429 and network errors. */
  retries?: number;
  /** Longest rate-limit wait honoured, in seconds. */
  maxWaitSeconds?: number;
}

/**
 * What one second of waiting is, in milliseconds: 1000 in production. Tests shrink it so
 * back-off and rate-limit waits are real but short.
 */
export const clientTiming = { secondMs: 1000 };

/** The error Octokit throws for an HTTP error answer: its status, else 0 (network). */
export function httpStatus(e: unknown): number {
  const s = (e as { status?: unknown }).status;
  return typeof s === 'number' ? s : 0;
}

export function githubClient(o: ClientOptions): GitHubClient {
  const say = o.log ?? ((): void => undefined);
  const maxWait = o.maxWaitSeconds ?? 120;
  const limited =
    (kind: string) =>
    (
      retryAfter: number,
      options: { method?: string; url?: string },
      _o: unknown,
      count: number,
    ) => {
      const what = `${options.method ?? ''} ${options.url ?? ''}`.trim();
      if (retryAfter > maxWait || count >= 3) {
        say(`${what}: ${kind} rate limit; not waiting ${retryAfter} s`);
        return false;
      }
      say(`${what}: ${kind} rate limit; retrying in ${retryAfter} s`);
      return true;
    };
  const base = clientTiming.secondMs;
  return getOctokit(
    o.token,
    {
      baseUrl: o.baseUrl.replace(/\/$/, ''),
      userAgent: `moodle-plugin-check/${TOOL.version}`,
      retry: {
        retries: o.retries ?? 3,
        retryAfterBaseValue: base,
        doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451],
      },
      throttle: {
        retryAfterBaseValue: base,
        fallbackSecondaryRateRetryAfter: 60,
        onRateLimit: limited('primary'),
        onSecondaryRateLimit: limited('secondary'),
      },
      log: {
        debug: () => undefined,
        info: () => undefined,
        warn: (m: string) => {
          say(m);
        },
        error: () => undefined,
      },
    },
    retry,
    throttling,
  );
}

/** GitHub's own words from an Octokit error ("Resource not accessible by integration"). */
export function githubMessage(e: unknown): string {
  const data = (e as { response?: { data?: unknown } }).response?.data;
  const m = (data as { message?: unknown } | undefined)?.message;
  if (typeof m === 'string') return m;
  return (e as Error).message;
}

/** `GET /repos/o/r/issues/7/comments: HTTP 404: Not Found`, from an Octokit error. */
export function describeGitHubError(e: unknown): string {
  const req = (e as { request?: { method?: string; url?: string } }).request;
  const status = httpStatus(e);
  if (!req?.url) return githubMessage(e);
  let where = req.url;
  try {
    const u = new URL(req.url);
    where = u.pathname;
  } catch {
    // not absolute: keep it as it is
  }
  return `${req.method ?? ''} ${where}: ${status ? `HTTP ${status}: ` : ''}${githubMessage(e)}`.trim();
}
