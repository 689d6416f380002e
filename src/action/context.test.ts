import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitHead, isForkPr, readContext } from './context.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function repo(files: Record<string, string>): string {
  const d = mkdtempSync(path.join(tmpdir(), 'mpc-git-'));
  dirs.push(d);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    writeFileSync(path.join(d, rel), text);
  }
  return d;
}

describe('gitHead', () => {
  const sha = '1'.repeat(40);
  it('reads a detached HEAD, a loose ref, a packed ref, and a gitdir file', () => {
    expect(gitHead(repo({ '.git/HEAD': `${sha}\n` }))).toBe(sha);
    expect(
      gitHead(repo({ '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${sha}\n` })),
    ).toBe(sha);
    expect(
      gitHead(
        repo({
          '.git/HEAD': 'ref: refs/heads/main\n',
          '.git/packed-refs': `# pack\n${sha} refs/heads/main\n`,
        }),
      ),
    ).toBe(sha);
    const real = repo({ HEAD: `${sha}\n` });
    const sub = repo({ 'plugin/version.php': '<?php' });
    writeFileSync(path.join(sub, '.git'), `gitdir: ${real}\n`);
    expect(gitHead(path.join(sub, 'plugin'))).toBe(sha);
  });
});

describe('readContext', () => {
  it('knows a fork PR from its head repository', () => {
    const d = repo({
      'event.json': JSON.stringify({
        pull_request: {
          number: 3,
          head: { sha: 'a'.repeat(40), repo: { full_name: 'Fork/P' } },
          base: { sha: 'b'.repeat(40), repo: { full_name: 'o/p' } },
        },
      }),
    });
    const ctx = readContext({
      GITHUB_EVENT_PATH: path.join(d, 'event.json'),
      GITHUB_REPOSITORY: 'o/p',
    });
    expect(ctx.pr).toMatchObject({ number: 3, headRepo: 'Fork/P', baseSha: 'b'.repeat(40) });
    expect(isForkPr(ctx)).toBe(true);
    expect(
      isForkPr(
        readContext({ GITHUB_EVENT_PATH: path.join(d, 'event.json'), GITHUB_REPOSITORY: 'fork/p' }),
      ),
    ).toBe(false);
  });
});
