import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { clientTiming, githubClient, githubMessage, httpStatus } from './octokit.js';

describe('githubClient (Octokit with retry and throttling)', () => {
  let gh: FakeGitHub;
  const said: string[] = [];
  const saved = clientTiming.secondMs;
  beforeAll(() => {
    clientTiming.secondMs = 1; // real waits, a thousand times shorter
  });
  afterAll(() => {
    clientTiming.secondMs = saved;
  });
  beforeEach(async () => {
    gh = await startFakeGitHub();
    said.length = 0;
  });
  afterEach(async () => {
    await gh.close();
  });
  const client = (retries = 4, maxWaitSeconds = 120) =>
    githubClient({
      baseUrl: gh.url,
      token: 't0ken',
      retries,
      maxWaitSeconds,
      log: (l) => said.push(l),
    });
  const list = (c: ReturnType<typeof client>) =>
    c.rest.issues.listComments({ owner: 'o', repo: 'r', issue_number: 1 });

  it('retries 5xx and 429 until the server recovers, with the token and our user agent', async () => {
    gh.fail({ method: 'GET', path: /comments$/, status: 500, times: 2 });
    gh.fail({ method: 'GET', path: /comments$/, status: 429, headers: { 'retry-after': '1' } });
    const { data } = await list(client());
    expect(data).toEqual([]);
    const gets = gh.requests.filter((q) => q.path.endsWith('/comments'));
    expect(gets).toHaveLength(4);
    expect(gets.every((q) => q.auth === 'token t0ken')).toBe(true);
  });

  it('waits for the reset of a primary rate limit, and says so', async () => {
    gh.fail({
      method: 'GET',
      path: /comments$/,
      status: 403,
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)),
      },
      body: { message: 'API rate limit exceeded' },
    });
    await expect(list(client())).resolves.toMatchObject({ status: 200 });
    expect(said.join('\n')).toMatch(/primary rate limit; retrying in \d+ s/);
  });

  it('gives up after its retries with the status and GitHub message', async () => {
    gh.fail({
      method: 'GET',
      path: /comments$/,
      status: 503,
      times: 10,
      body: { message: 'down' },
    });
    const e = await list(client(2)).catch((x: unknown) => x);
    expect(httpStatus(e)).toBe(503);
    expect(githubMessage(e)).toBe('down');
    expect(gh.requests.filter((q) => q.path.endsWith('/comments'))).toHaveLength(3);
  });

  it('does not retry a 403 that is not a rate limit, nor a 404', async () => {
    gh.fail({
      method: 'POST',
      path: /comments$/,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    const e = await client()
      .rest.issues.createComment({ owner: 'o', repo: 'r', issue_number: 1, body: 'x' })
      .catch((x: unknown) => x);
    expect(httpStatus(e)).toBe(403);
    expect(githubMessage(e)).toBe('Resource not accessible by integration');
    expect(gh.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
  });

  it('refuses a rate-limit wait longer than maxWaitSeconds rather than hanging the job', async () => {
    gh.fail({
      method: 'GET',
      path: /comments$/,
      status: 403,
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      },
      body: { message: 'API rate limit exceeded' },
    });
    const e = await list(client(4, 60)).catch((x: unknown) => x);
    expect(httpStatus(e)).toBe(403);
    expect(said.join('\n')).toMatch(/not waiting 36\d\d s/);
  });
});
