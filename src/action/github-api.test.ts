import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { GitHubApi, GitHubApiError, retryDelay } from './github-api.js';

const res = (status: number, headers: Record<string, string> = {}): Response =>
  new Response('', { status, headers });

describe('retryDelay', () => {
  it('honours Retry-After on 429 and 5xx', () => {
    expect(retryDelay(res(429, { 'retry-after': '3' }), '', 1)).toBe(3000);
    expect(retryDelay(res(503, { 'retry-after': '2' }), '', 1)).toBe(2000);
    expect(retryDelay(res(502), '', 2)).toBe(2000);
  });
  it('waits for x-ratelimit-reset on a primary rate limit', () => {
    const now = 1_700_000_000_000;
    expect(
      retryDelay(
        res(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 10) }),
        '',
        1,
        now,
      ),
    ).toBe(11_000);
  });
  it('waits a minute for a secondary limit without headers', () => {
    expect(retryDelay(res(403), '{"message":"You have exceeded a secondary rate limit"}', 1)).toBe(
      60_000,
    );
  });
  it('does not retry other client errors', () => {
    expect(
      retryDelay(res(403), '{"message":"Resource not accessible by integration"}', 1),
    ).toBeUndefined();
    expect(retryDelay(res(404), '', 1)).toBeUndefined();
    expect(retryDelay(res(422), '', 1)).toBeUndefined();
  });
});

describe('GitHubApi', () => {
  let gh: FakeGitHub;
  const waits: number[] = [];
  beforeEach(async () => {
    gh = await startFakeGitHub();
    waits.length = 0;
  });
  afterEach(async () => {
    await gh.close();
  });
  const api = (attempts = 5): GitHubApi =>
    new GitHubApi({
      baseUrl: gh.url,
      token: 't',
      attempts,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });

  it('retries until the server recovers', async () => {
    gh.fail({ method: 'GET', path: /comments$/, status: 500, times: 2 });
    gh.fail({ method: 'GET', path: /comments$/, status: 429, headers: { 'retry-after': '7' } });
    await expect(api().request('GET', '/repos/o/r/issues/1/comments')).resolves.toEqual([]);
    expect(waits).toEqual([1000, 2000, 7000]);
  });

  it('gives up after the attempts with the status and GitHub message', async () => {
    gh.fail({
      method: 'GET',
      path: /comments$/,
      status: 503,
      times: 10,
      body: { message: 'down' },
    });
    const e = await api(3)
      .request('GET', '/repos/o/r/issues/1/comments')
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GitHubApiError);
    expect((e as GitHubApiError).status).toBe(503);
    expect((e as Error).message).toContain('HTTP 503: down');
    expect(waits).toHaveLength(2);
  });

  it('refuses a wait longer than maxDelayMs rather than hanging the job', async () => {
    gh.fail({ method: 'GET', path: /comments$/, status: 429, headers: { 'retry-after': '3600' } });
    const client = new GitHubApi({ baseUrl: gh.url, token: 't', maxDelayMs: 60_000 });
    await expect(client.request('GET', '/repos/o/r/issues/1/comments')).rejects.toThrow(/HTTP 429/);
  });
});
