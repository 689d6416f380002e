import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { spelledAsCli } from '../testing.js';
import { resolveUpgradeSource } from './upgrade-source.js';

const OLD = path.resolve('fixtures/upgrade/clean/old');
const NEW = path.resolve('fixtures/upgrade/clean/new');
const temps: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'mpc-upgsrc-test-'));
  temps.push(d);
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-C', cwd, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });

describe('resolveUpgradeSource', () => {
  it('uses a folder as it is, and cleans up nothing', () => {
    const s = resolveUpgradeSource(OLD, NEW);
    expect(s).toMatchObject({ kind: 'dir', dir: OLD });
    s.cleanup();
    expect(existsSync(path.join(OLD, 'version.php'))).toBe(true);
  });

  it('refuses a zip that is a symbolic link, naming it (its target is never read)', () => {
    const dir = temp();
    writeFileSync(path.join(dir, 'secret'), 'canary');
    symlinkSync(path.join(dir, 'secret'), path.join(dir, 'old.zip'));
    expect(() => resolveUpgradeSource(path.join(dir, 'old.zip'), NEW)).toThrow(UserError);
    expect(spelledAsCli(() => resolveUpgradeSource(path.join(dir, 'old.zip'), NEW))).toThrow(
      /--upgrade-from .*old\.zip: is a symbolic link; it is not followed/,
    );
  });

  it('extracts a zip whose top folder is the plugin, and removes it afterwards', () => {
    const dir = temp();
    const zip = path.join(dir, 'old.zip');
    writeFileSync(
      zip,
      zipSync({
        'upgdemo/version.php': readFileSync(path.join(OLD, 'version.php')),
        'upgdemo/db/install.xml': readFileSync(path.join(OLD, 'db/install.xml')),
      }),
    );
    const s = resolveUpgradeSource(zip, NEW);
    expect(s.kind).toBe('zip');
    if (s.kind === 'skip') throw new Error('unexpected');
    expect(readFileSync(path.join(s.dir, 'db/install.xml'), 'utf8')).toContain(
      'local_upgdemo_item',
    );
    s.cleanup();
    expect(existsSync(s.dir)).toBe(false);
  });

  it('refuses a zip entry that escapes the folder (zip-slip)', () => {
    const dir = temp();
    const zip = path.join(dir, 'evil.zip');
    writeFileSync(
      zip,
      zipSync({ '../evil.php': strToU8('<?php'), 'version.php': strToU8('<?php') }),
    );
    expect(() => resolveUpgradeSource(zip, NEW)).toThrow(/refused the entry "\.\.\/evil\.php"/);
    expect(existsSync(path.join(tmpdir(), 'evil.php'))).toBe(false);
  });

  it('names the option and the fix for a missing zip, a non-plugin folder and an unknown ref', () => {
    expect(() => resolveUpgradeSource('/nonexistent/old.zip', NEW)).toThrow(UserError);
    expect(spelledAsCli(() => resolveUpgradeSource(temp(), NEW))).toThrow(
      /--upgrade-from .*no version\.php/,
    );
    const repo = temp();
    git(repo, 'init', '-q');
    expect(spelledAsCli(() => resolveUpgradeSource('no-such-branch', repo))).toThrow(
      /--upgrade-from no-such-branch/,
    );
    expect(() => resolveUpgradeSource('--output=x', NEW)).toThrow(UserError);
  });

  it('exports a git ref of the checkout (plugin below the repository root) without touching it', () => {
    const repo = temp();
    git(repo, 'init', '-q');
    cpSync(OLD, path.join(repo, 'plugin'), { recursive: true });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'old');
    git(repo, 'tag', 'v1');
    cpSync(NEW, path.join(repo, 'plugin'), { recursive: true });
    git(repo, 'commit', '-qam', 'new');
    const status = git(repo, 'status', '--porcelain');
    const s = resolveUpgradeSource('v1', path.join(repo, 'plugin'));
    expect(s.kind).toBe('git');
    if (s.kind === 'skip') throw new Error('unexpected');
    expect(s.label).toMatch(/^git:v1 \([0-9a-f]{12}\)$/);
    expect(readFileSync(path.join(s.dir, 'version.php'), 'utf8')).toContain('2024010100');
    expect(existsSync(path.join(s.dir, 'db/upgrade.php'))).toBe(false);
    s.cleanup();
    expect(git(repo, 'status', '--porcelain')).toBe(status);
  });

  it('skips with a reason when the base commit is not in the checkout', () => {
    const repo = temp();
    git(repo, 'init', '-q');
    cpSync(OLD, repo, { recursive: true });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'only');
    const s = resolveUpgradeSource('0123456789abcdef0123456789abcdef01234567', repo);
    expect(s.kind).toBe('skip');
    if (s.kind !== 'skip') throw new Error('unexpected');
    expect(s.reason).toContain('base commit not fetched; use fetch-depth: 0');
  });

  it('skips when the plugin did not exist at the ref', () => {
    const repo = temp();
    git(repo, 'init', '-q');
    writeFileSync(path.join(repo, 'README.md'), 'x');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'before the plugin');
    git(repo, 'tag', 'v0');
    cpSync(NEW, repo, { recursive: true });
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'plugin');
    const s = resolveUpgradeSource('v0', repo);
    expect(s).toMatchObject({ kind: 'skip' });
    if (s.kind !== 'skip') throw new Error('unexpected');
    expect(s.reason).toContain('the plugin did not exist at v0');
  });
});
