// The action run in-process as the runner would run it: INPUT_* variables, an event file, output
// and summary files, and a fake GitHub REST API on 127.0.0.1. `moodle: none` keeps these fast.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listEntries } from '../moodle/source/cache.js';
import { cacheRoot } from '../moodle/source/cache-dir.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { run } from './main.js';
import { parsePayload, PAYLOAD_FILE, ARTIFACT_PREFIX } from './payload.js';
import { BASE_SHA, cleanup, HEAD_SHA, pullRequestEvent, REPO_ROOT, runAction } from './testing.js';

const execFileP = promisify(execFile);
const CLEAN = 'fixtures/plugins/mod_example';
const BAD = 'fixtures/plugins/version-bad-values';

let gh: FakeGitHub;
beforeEach(async () => {
  gh = await startFakeGitHub();
});
afterEach(async () => {
  await gh.close();
});

const inputs = (o: Record<string, string> = {}): Record<string, string> => ({
  'plugin-path': CLEAN,
  moodle: 'none',
  'github-token': 'test-token',
  comment: 'true',
  cache: 'false',
  ...o,
});

describe('action: same-repository pull request', () => {
  it('creates one sticky comment, then updates it in place', async () => {
    const first = await runAction(run, {
      inputs: inputs(),
      event: pullRequestEvent(),
      apiUrl: gh.url,
    });
    expect(first.exitCode).toBe(0);
    expect(gh.comments.get(7)).toHaveLength(1);
    const id = gh.comments.get(7)![0]!.id;
    expect(gh.comments.get(7)![0]!.body).toContain('<!-- moodle-plugin-check:comment');
    expect(gh.requests.some((r) => r.method === 'POST' && r.auth === 'token test-token')).toBe(
      true,
    );

    const second = await runAction(run, {
      inputs: inputs(),
      event: pullRequestEvent(),
      apiUrl: gh.url,
    });
    expect(second.exitCode).toBe(0);
    expect(gh.comments.get(7)).toHaveLength(1);
    expect(gh.comments.get(7)![0]!.id).toBe(id);
    const onComments = gh.requests.filter((r) => r.path.includes('/comments'));
    expect(onComments.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(onComments.filter((r) => r.method === 'POST')).toHaveLength(1);
    cleanup(first);
    cleanup(second);
  });

  it('writes outputs, the result JSON and the job summary', async () => {
    const r = await runAction(run, {
      inputs: inputs({ comment: 'false' }),
      event: pullRequestEvent(),
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.errors).toBe('0');
    expect(r.outputs.warnings).toBe('0');
    expect(JSON.parse(r.outputs.matrix!)).toEqual({
      moodle: expect.arrayContaining(['4.5']) as unknown,
    });
    const report = JSON.parse(readFileSync(r.outputs['result-json']!, 'utf8')) as {
      plugin: { component: string };
    };
    expect(report.plugin.component).toBe('mod_example');
    expect(r.summary).toContain('## moodle-plugin-check: mod\\_example');
    expect(r.summary).toContain('| lint | ✅ passed |');
    expect(r.stdout).toContain('::group::');
    cleanup(r);
  });

  it('puts every finding in a check run at the repository path, changed lines first', async () => {
    gh.pullFiles.set(7, [
      // The PR changed line 3 of version.php (a `+` line in the hunk starting at line 1).
      {
        filename: `${BAD}/version.php`,
        patch: '@@ -1,3 +1,3 @@\n <?php\n \n+$plugin->version = 1;',
      },
    ]);
    const r = await runAction(run, {
      inputs: inputs({ 'plugin-path': BAD }),
      event: pullRequestEvent(),
      apiUrl: gh.url,
      env: { GITHUB_RUN_ID: '99' },
    });
    expect(r.exitCode).toBe(1);
    expect(gh.checkRuns).toHaveLength(1);
    const check = gh.checkRuns[0]!;
    expect(check.name).toBe('Moodle plugin check · static checks only');
    expect(check.head_sha).toBe(HEAD_SHA);
    expect(check.conclusion).toBe('failure');
    expect(check.title).toMatch(/^❌ failed — \d+ errors?/);
    expect(check.summary).toContain('### Findings');
    const report = JSON.parse(readFileSync(r.outputs['result-json']!, 'utf8')) as {
      findings: { file?: string; severity: string }[];
    };
    expect(check.annotations).toHaveLength(report.findings.filter((f) => f.file).length);
    expect(check.annotations[0]).toMatchObject({
      path: `${BAD}/version.php`,
      annotation_level: 'failure',
    });
    const levels = check.annotations.map((a) => a.annotation_level as string);
    expect(
      levels.indexOf('warning') === -1 || levels.lastIndexOf('failure') < levels.indexOf('warning'),
    ).toBe(true);
    const errors = check.annotations.filter((a) => a.annotation_level === 'failure');
    if (errors.some((a) => a.start_line === 3)) expect(errors[0]!.start_line).toBe(3);
    // In the check run, not also as workflow commands.
    expect(r.stdout).not.toMatch(/::error title=version/);
    expect(r.stdout).toContain('Check run "Moodle plugin check · static checks only" created');
    cleanup(r);
  });

  it('without checks: write, says so once and annotates with workflow commands', async () => {
    gh.fail({
      method: 'POST',
      path: /\/check-runs$/,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    const r = await runAction(run, {
      inputs: inputs({ 'plugin-path': BAD }),
      event: pullRequestEvent(),
      apiUrl: gh.url,
    });
    expect(r.exitCode).toBe(1);
    expect(gh.checkRuns).toHaveLength(0);
    expect(r.stdout.match(/checks: write/g)).toHaveLength(1);
    expect(r.stdout).toMatch(
      /::error title=version\/[a-z-]+,file=fixtures\/plugins\/version-bad-values\/version\.php,line=\d+/,
    );
    cleanup(r);
  });

  it('annotates findings at the repository path and fails on errors', async () => {
    const r = await runAction(run, {
      inputs: inputs({ 'plugin-path': BAD, 'check-run': 'false' }),
      event: pullRequestEvent(),
      apiUrl: gh.url,
    });
    expect(r.exitCode).toBe(1);
    expect(Number(r.outputs.errors)).toBeGreaterThan(0);
    expect(gh.checkRuns).toHaveLength(0);
    expect(r.stdout).toMatch(
      /::error title=version\/[a-z-]+,file=fixtures\/plugins\/version-bad-values\/version\.php,line=\d+/,
    );
    const body = gh.comments.get(7)![0]!.body;
    expect(body).toContain('❌ failed');
    expect(body).toContain(
      `https://github.com/owner/plugin/blob/${HEAD_SHA}/fixtures/plugins/version-bad-values/version.php#L`,
    );
    expect(r.summary).toContain('### Findings');
    cleanup(r);
  });

  it('fail-on never keeps the step green; checks switches families off', async () => {
    const never = await runAction(run, {
      inputs: inputs({ 'plugin-path': BAD, 'fail-on': 'never', comment: 'false' }),
    });
    expect(never.exitCode).toBe(0);
    const only = await runAction(run, {
      inputs: inputs({ 'plugin-path': BAD, checks: '-version, -files', comment: 'false' }),
    });
    const report = JSON.parse(readFileSync(only.outputs['result-json']!, 'utf8')) as {
      findings: { ruleId: string }[];
    };
    expect(report.findings.filter((f) => /^(version|files)\//.test(f.ruleId))).toEqual([]);
    cleanup(never);
    cleanup(only);
  });
});

describe('action: preview link', () => {
  it('links the head commit in Moodle Playground from the summary and the comment', async () => {
    const r = await runAction(run, {
      inputs: inputs({ 'plugin-path': '.' }),
      event: pullRequestEvent({ headRepo: 'owner/plugin' }),
      workspace: path.join(REPO_ROOT, CLEAN),
      apiUrl: gh.url,
    });
    expect(r.exitCode).toBe(0);
    const url = r.outputs['preview-url']!;
    expect(url).toMatch(/^https:\/\/ateeducacion\.github\.io\/moodle-playground\/.*blueprint=/);
    expect(r.summary).toContain('▶ Preview in Moodle Playground');
    expect(gh.comments.get(7)![0]!.body).toContain('▶ Preview in Moodle Playground');
    cleanup(r);
  });

  it('playground-host changes the host', async () => {
    const r = await runAction(run, {
      inputs: inputs({
        'plugin-path': '.',
        comment: 'false',
        'playground-host': 'https://play.example.org/',
      }),
      event: pullRequestEvent(),
      workspace: path.join(REPO_ROOT, CLEAN),
    });
    expect(r.outputs['preview-url']).toMatch(/^https:\/\/play\.example\.org\//);
    cleanup(r);
  });
});

describe('action: fork pull request', () => {
  it('posts no comment, leaves a valid payload for the publish workflow, and exits by the findings', async () => {
    const event = pullRequestEvent({ headRepo: 'someone/plugin-fork' });
    const r = await runAction(run, {
      inputs: inputs({ 'plugin-path': BAD }),
      event,
      apiUrl: gh.url,
    });
    expect(r.exitCode).toBe(1); // the findings, not the comment
    expect(gh.requests.filter((q) => q.path.includes('/comments'))).toEqual([]);
    const dir = path.join(r.runnerTemp, 'moodle-plugin-check');
    const name = readdir(dir).find((n) => n.startsWith(ARTIFACT_PREFIX))!;
    const payload = parsePayload(readFileSync(path.join(dir, name, PAYLOAD_FILE), 'utf8'));
    expect(payload.prNumber).toBe(7);
    expect(payload.headSha).toBe(HEAD_SHA);
    expect(payload.runs[0]!.report.summary.errors).toBeGreaterThan(0);
    expect(r.stdout).toContain('comes from the fork someone/plugin-fork');
    cleanup(r);
  });

  it('falls back to the artifact when the token gets 403 on the comment', async () => {
    gh.fail({
      method: 'POST',
      path: /\/comments$/,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    const r = await runAction(run, { inputs: inputs(), event: pullRequestEvent(), apiUrl: gh.url });
    expect(r.exitCode).toBe(0);
    expect(gh.comments.get(7) ?? []).toHaveLength(0);
    expect(
      readdir(path.join(r.runnerTemp, 'moodle-plugin-check')).some((n) =>
        n.startsWith(ARTIFACT_PREFIX),
      ),
    ).toBe(true);
    cleanup(r);
  });
});

describe('action: GitHub API trouble', () => {
  it('retries 5xx and rate limits, then posts', async () => {
    gh.fail({ method: 'GET', path: /\/comments$/, status: 502, headers: { 'retry-after': '0' } });
    gh.fail({ method: 'POST', path: /\/comments$/, status: 429, headers: { 'retry-after': '0' } });
    gh.fail({
      method: 'POST',
      path: /\/comments$/,
      status: 403,
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)),
      },
      body: { message: 'API rate limit exceeded' },
    });
    const r = await runAction(run, { inputs: inputs(), event: pullRequestEvent(), apiUrl: gh.url });
    expect(r.exitCode).toBe(0);
    expect(gh.comments.get(7)).toHaveLength(1);
    expect(
      gh.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/comments')),
    ).toHaveLength(3);
    expect(r.stdout).toContain('retrying');
    cleanup(r);
  });

  it('a comment that keeps failing is a warning, not a failed check', async () => {
    gh.fail({ method: 'GET', path: /\/comments$/, status: 404, body: { message: 'Not Found' } });
    const r = await runAction(run, { inputs: inputs(), event: pullRequestEvent(), apiUrl: gh.url });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/::warning::Could not post the PR comment: GET .*HTTP 404: Not Found/);
    cleanup(r);
  });
});

describe('action: bad input and unsafe setups', () => {
  it.each([
    [{ 'fail-on': 'sometimes' }, "Input 'fail-on' is 'sometimes'"],
    [{ moodle: 'four' }, "Input 'moodle' has 'four'"],
    [{ 'plugin-path': 'nowhere' }, "Input 'plugin-path' is 'nowhere'"],
    [{ 'plugin-path': '../x' }, "Input 'plugin-path' is '../x'"],
    [{ php: '5.6' }, "Input 'php' is '5.6'"],
    [{ comment: 'maybe' }, "Input 'comment' is 'maybe'"],
    [{ 'check-run': 'perhaps' }, "Input 'check-run' is 'perhaps'"],
    [
      { 'extra-plugins': 'vendor/nowhere' },
      `\`extra-plugins: ${REPO_ROOT}/vendor/nowhere\`: ${REPO_ROOT}/vendor/nowhere does not exist.`,
    ],
    [
      { 'extra-plugins': 'ssh://git@example.org/x.git' },
      '`extra-plugins: ssh://git@example.org/x.git`: only https://, http:// and file:// git URLs',
    ],
    [{ checks: 'nosuch' }, "Input 'checks' has 'nosuch'"],
    [{ 'playground-host': 'ftp://x' }, "Input 'playground-host' must be an https:// URL"],
    [
      { blueprint: '{}', 'blueprint-file': 'x.json' },
      "Inputs 'blueprint' and 'blueprint-file' are both set",
    ],
  ])('%o → exit 2 naming the input', async (bad, message) => {
    const r = await runAction(run, { inputs: inputs(bad) });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain(`::error::${message}`);
    cleanup(r);
  });

  it('refuses pull_request_target with the PR head checked out', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'mpc-ws-'));
    cpSync(path.join(REPO_ROOT, CLEAN), path.join(ws, 'plugin'), { recursive: true });
    mkdirSync(path.join(ws, '.git'));
    writeFileSync(path.join(ws, '.git', 'HEAD'), `${HEAD_SHA}\n`);
    const r = await runAction(run, {
      inputs: inputs({ 'plugin-path': 'plugin' }),
      event: pullRequestEvent(),
      eventName: 'pull_request_target',
      workspace: ws,
      apiUrl: gh.url,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain('Refusing to run: this is a pull_request_target workflow');
    expect(gh.requests).toEqual([]);

    // The PR's merge commit is PR code too.
    writeFileSync(path.join(ws, '.git', 'HEAD'), `${'d'.repeat(40)}\n`);
    const merge = await runAction(run, {
      inputs: inputs({ 'plugin-path': 'plugin' }),
      event: pullRequestEvent(),
      eventName: 'pull_request_target',
      workspace: ws,
    });
    expect(merge.exitCode).toBe(2);
    expect(merge.stdout).toContain('is not the base branch');
    cleanup(merge);

    // The base branch checked out (the safe use of pull_request_target) runs.
    writeFileSync(path.join(ws, '.git', 'HEAD'), `${BASE_SHA}\n`);
    const ok = await runAction(run, {
      inputs: inputs({ 'plugin-path': 'plugin', comment: 'false' }),
      event: pullRequestEvent(),
      eventName: 'pull_request_target',
      workspace: ws,
    });
    expect(ok.exitCode).toBe(0);
    rmSync(ws, { recursive: true, force: true });
    cleanup(r);
    cleanup(ok);
  });
});

describe('the built action (dist/action.js)', () => {
  const dist = path.join(REPO_ROOT, 'dist/action.js');
  it.skipIf(!existsSync(dist))('runs as the runner runs it: node dist/action.js', async () => {
    const temp = mkdtempSync(path.join(tmpdir(), 'mpc-dist-'));
    const event = path.join(temp, 'event.json');
    writeFileSync(event, JSON.stringify(pullRequestEvent()));
    for (const f of ['out', 'summary']) writeFileSync(path.join(temp, f), '');
    const child = await execFileP(process.execPath, [dist], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        'INPUT_PLUGIN-PATH': BAD,
        INPUT_MOODLE: 'none',
        'INPUT_GITHUB-TOKEN': 't',
        INPUT_COMMENT: 'true',
        INPUT_CACHE: 'true',
        GITHUB_WORKSPACE: REPO_ROOT,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: event,
        GITHUB_REPOSITORY: 'owner/plugin',
        GITHUB_API_URL: gh.url,
        GITHUB_OUTPUT: path.join(temp, 'out'),
        GITHUB_STEP_SUMMARY: path.join(temp, 'summary'),
        RUNNER_TEMP: temp,
      },
    }).then(
      () => ({ code: 0 }),
      (e: unknown) => ({ code: (e as { code: number }).code }),
    );
    expect(child.code).toBe(1);
    expect(readFileSync(path.join(temp, 'summary'), 'utf8')).toContain('❌ failed');
    expect(readFileSync(path.join(temp, 'out'), 'utf8')).toMatch(/^errors<</m);
    expect(gh.comments.get(7)).toHaveLength(1);
    rmSync(temp, { recursive: true, force: true });
  });
});

// One run on a real Moodle, when a 4.5 tree is registered (`moodle-plugin-check moodle import`).
const has45 = listEntries(cacheRoot()).some((e) => e.meta?.branch === '405');
if (!has45)
  console.warn(
    'main.test.ts: no Moodle 4.5 tree registered; the real-Moodle action test is skipped.',
  );
describe.skipIf(!has45)('action on a real Moodle 4.5', () => {
  it(
    'provisions, installs and reports the Moodle in the summary',
    { timeout: 600_000 },
    async () => {
      const r = await runAction(run, {
        inputs: inputs({ moodle: '4.5', 'upgrade-from': 'none' }),
        event: pullRequestEvent(),
        apiUrl: gh.url,
      });
      expect(r.exitCode).toBe(0);
      expect(r.summary).toMatch(/### Moodle 4\.5\.\d+.* \(PHP 8\.\d\)/);
      expect(r.summary).toMatch(/\| install \| ✅ passed \|/);
      expect(gh.comments.get(7)![0]!.body).toContain('— Moodle 4.5');
      cleanup(r);
    },
  );
});

// Two versions side by side (on a machine with two cores): each one's log groups come out whole.
const has52 = listEntries(cacheRoot()).some((e) => e.meta?.branch === '502');
describe.skipIf(!has45 || !has52)('action on Moodle 4.5 and 5.2 at once', () => {
  it(
    'runs both, and the log holds each version’s groups whole and in order',
    { timeout: 900_000 },
    async () => {
      const r = await runAction(run, {
        inputs: inputs({ moodle: '4.5, 5.2', 'upgrade-from': 'none', comment: 'false' }),
        event: pullRequestEvent(),
        apiUrl: gh.url,
      });
      expect(r.exitCode).toBe(0);
      expect(r.summary).toMatch(/### Moodle 4\.5\.\d+/);
      expect(r.summary).toMatch(/### Moodle 5\.2\.\d+/);
      const groups = r.stdout.split('\n').filter((l) => /^::(end)?group::/.test(l));
      // Groups never nest or interleave: open, close, open, close…
      groups.forEach((l, i) => {
        expect(l.startsWith(i % 2 === 0 ? '::group::' : '::endgroup::')).toBe(true);
      });
      const opened = groups.filter((l) => l.startsWith('::group::'));
      const last45 = opened.findLastIndex((l) => l.includes('Moodle 4.5 ·'));
      const first52 = opened.findIndex((l) => l.includes('Moodle 5.2 ·'));
      expect(last45).toBeGreaterThanOrEqual(0);
      expect(first52).toBeGreaterThan(last45);
      cleanup(r);
    },
  );
});

function readdir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
