// A thin GitHub REST client over fetch: honours GITHUB_API_URL (GHES, and a fake server in tests),
// retries 5xx, 429 and rate-limit 403s (Retry-After / x-ratelimit-reset), nothing else.

export class GitHubApiError extends Error {
  override readonly name = 'GitHubApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  baseUrl: string;
  token: string;
  /** Attempts in all, first one included. */
  attempts?: number;
  /** Longest wait honoured between attempts; a longer Retry-After fails instead of hanging the job. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  userAgent?: string;
  log?: (line: string) => void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class GitHubApi {
  private readonly attempts: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: ApiOptions) {
    this.attempts = o.attempts ?? 5;
    this.maxDelayMs = o.maxDelayMs ?? 120_000;
    this.sleep = o.sleep ?? defaultSleep;
  }

  async request<T>(method: string, route: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, route, body);
    const text = await res.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** The response of a successful request (2xx/3xx after redirects), retried as described above. */
  async raw(method: string, route: string, body?: unknown): Promise<Response> {
    const url = route.startsWith('http') ? route : `${this.o.baseUrl.replace(/\/$/, '')}${route}`;
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      let failure: string;
      try {
        res = await fetch(url, {
          method,
          headers: {
            accept: 'application/vnd.github+json',
            'x-github-api-version': '2022-11-28',
            'user-agent': this.o.userAgent ?? 'moodle-plugin-check',
            ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          redirect: 'follow',
        });
        if (res.ok) return res;
        failure = `${method} ${route}: HTTP ${res.status}`;
      } catch (e) {
        failure = `${method} ${route}: ${(e as Error).message}`;
      }
      const text = res ? await res.text() : '';
      const delay = res ? retryDelay(res, text, attempt) : backoff(attempt);
      if (delay === undefined || attempt >= this.attempts || delay > this.maxDelayMs) {
        const message = res ? `${failure}: ${githubMessage(text)}` : failure;
        throw new GitHubApiError(message, res?.status ?? 0, text);
      }
      this.o.log?.(`${failure}; retrying in ${Math.ceil(delay / 1000)} s`);
      await this.sleep(delay);
    }
  }
}

function backoff(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 30_000);
}

/** How long to wait before retrying, or undefined when the error will not go away by waiting. */
export function retryDelay(
  res: Response,
  body: string,
  attempt: number,
  now = Date.now(),
): number | undefined {
  const retryAfter = res.headers.get('retry-after');
  const remaining = res.headers.get('x-ratelimit-remaining');
  const reset = res.headers.get('x-ratelimit-reset');
  const limited =
    res.status === 429 || (res.status === 403 && (remaining === '0' || /rate limit/i.test(body)));
  if (limited) {
    if (retryAfter !== null && /^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    if (remaining === '0' && reset !== null && /^\d+$/.test(reset))
      return Math.max(0, Number(reset) * 1000 - now) + 1000;
    // Secondary limits without a header: GitHub asks for at least a minute.
    return res.status === 429 || /secondary/i.test(body) ? 60_000 : backoff(attempt);
  }
  if (res.status >= 500) {
    if (retryAfter !== null && /^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    return backoff(attempt);
  }
  return undefined;
}

function githubMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}
