// The publish entry against the fake GitHub API: artifact in, validated, comment out.
import { strToU8, zipSync } from 'fflate';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCheck } from '../pipeline/pipeline.js';
import type { ReportRun } from '../report/markdown.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { ARTIFACT_PREFIX, buildPayload, PAYLOAD_FILE } from './payload.js';
import { runPublish } from './publish.js';
import { cleanup, HEAD_SHA, REPO_ROOT, runAction } from './testing.js';

const FORK = 'someone/plugin-fork';
let runs: ReportRun[];
let gh: FakeGitHub;

beforeAll(async () => {
  const { report } = await runCheck({
    pluginDir: `${REPO_ROOT}/fixtures/plugins/version-bad-values`,
    moodle: false,
  });
  runs = [{ label: 'none', report }];
});
beforeEach(async () => {
  gh = await startFakeGitHub();
  gh.pulls.set(7, { sha: HEAD_SHA, ref: 'feature', repo: FORK });
});
afterEach(async () => {
  await gh.close();
});

const event = {
  workflow_run: {
    id: 99,
    event: 'pull_request',
    head_sha: HEAD_SHA,
    head_branch: 'feature',
    head_repository: { full_name: FORK },
    pull_requests: [],
  },
};

function payload(over: Record<string, unknown> = {}): object {
  return {
    ...buildPayload({
      key: 'fixtures/plugins/version-bad-values@none',
      prNumber: 7,
      headSha: HEAD_SHA,
      pluginPath: 'fixtures/plugins/version-bad-values',
      failOn: 'error',
      runs,
      body: 'rendered by the PR job',
    }),
    ...over,
  };
}

function addArtifact(content: object | string, name = `${ARTIFACT_PREFIX}-abc`): void {
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  gh.artifacts.push({
    id: gh.artifacts.length + 1,
    name,
    runId: 99,
    zip: zipSync({ [PAYLOAD_FILE]: strToU8(text) }),
  });
}

const publish = (): ReturnType<typeof runAction> =>
  runAction(runPublish, {
    inputs: { 'github-token': 'write-token' },
    event,
    eventName: 'workflow_run',
    apiUrl: gh.url,
  });

describe('publish', () => {
  it('posts the comment from the artifact once, then updates it', async () => {
    addArtifact(payload());
    const r = await publish();
    expect(r.exitCode).toBe(0);
    const list = gh.comments.get(7)!;
    expect(list).toHaveLength(1);
    expect(list[0]!.body).toContain(
      '<!-- moodle-plugin-check:comment fixtures/plugins/version-bad-values@none -->',
    );
    expect(list[0]!.body).toContain(
      `https://github.com/${FORK}/blob/${HEAD_SHA}/fixtures/plugins/version-bad-values/`,
    );
    // Re-rendered from the report, never the artifact's own body.
    expect(list[0]!.body).not.toContain('rendered by the PR job');
    // And the check run the fork's read-only token could not create, on the PR's commit.
    expect(gh.checkRuns).toHaveLength(1);
    expect(gh.checkRuns[0]).toMatchObject({
      name: 'Moodle plugin check · static checks only',
      head_sha: HEAD_SHA,
      conclusion: 'failure',
    });
    expect(gh.checkRuns[0]!.annotations.length).toBeGreaterThan(0);
    expect(gh.checkRuns[0]!.annotations[0]!.path).toMatch(
      /^fixtures\/plugins\/version-bad-values\//,
    );
    const again = await publish();
    expect(again.exitCode).toBe(0);
    expect(gh.comments.get(7)).toHaveLength(1);
    cleanup(r);
    cleanup(again);
  });

  it('refuses an artifact that names another pull request', async () => {
    gh.pulls.set(8, { sha: 'd'.repeat(40), ref: 'other', repo: 'owner/plugin' });
    addArtifact(payload({ prNumber: 8 }));
    const r = await publish();
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(
      'names PR #8, which is not the pull request of someone/plugin-fork:feature',
    );
    expect(gh.comments.size).toBe(0);
    cleanup(r);
  });

  it.each([
    ['an unknown key', { extra: 1 }, 'must NOT have additional properties'],
    ['a bad sha', { headSha: 'HEAD' }, '/headSha must match pattern'],
    ['a path that climbs out', { pluginPath: '../x' }, '/pluginPath must match pattern'],
    ['a different commit', { headSha: 'e'.repeat(40) }, 'is for commit eeeeeeeeeeee'],
  ])('refuses a payload with %s', async (_what, over, message) => {
    addArtifact(payload(over));
    const r = await publish();
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(message);
    expect(gh.comments.size).toBe(0);
    cleanup(r);
  });

  it('refuses a payload that is not JSON', async () => {
    addArtifact('{"schema": ');
    const r = await publish();
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('comment-payload.json is not JSON');
    cleanup(r);
  });

  it('stays quiet when the PR moved on, or the run left nothing', async () => {
    gh.pulls.set(7, { sha: 'f'.repeat(40), ref: 'feature', repo: FORK });
    addArtifact(payload());
    const moved = await publish();
    expect(moved.exitCode).toBe(0);
    expect(moved.stdout).toContain('has moved on');
    expect(gh.comments.size).toBe(0);
    gh.artifacts.length = 0;
    const none = await publish();
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toContain('nothing to publish');
    cleanup(moved);
    cleanup(none);
  });

  it('is a clear error outside workflow_run', async () => {
    const r = await runAction(runPublish, {
      inputs: { 'github-token': 't' },
      eventName: 'push',
      apiUrl: gh.url,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toContain("runs on workflow_run events, not 'push'");
    cleanup(r);
  });
});
