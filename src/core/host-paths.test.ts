import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from './errors.js';
import { PathEscapeError, readUserFile, realInside } from './host-paths.js';

let dir: string;
let root: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mpc-host-paths-'));
  root = path.join(dir, 'root');
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  writeFileSync(path.join(root, 'sub', 'file.txt'), 'inside');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('realInside', () => {
  it('accepts paths inside the root, existing or not yet', () => {
    expect(realInside(root, 'sub/file.txt')).toBe(path.join(root, 'sub', 'file.txt'));
    expect(realInside(root, 'sub/new/deeper.txt')).toBe(
      path.join(root, 'sub', 'new', 'deeper.txt'),
    );
    expect(realInside(root, '')).toBe(root);
    symlinkSync('sub/file.txt', path.join(root, 'inner-link'));
    expect(realInside(root, 'inner-link')).toBe(path.join(root, 'sub', 'file.txt'));
  });

  it.each([
    [
      'a link to a file outside',
      () => {
        symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'l'));
      },
    ],
    [
      'a link to /',
      () => {
        symlinkSync('/', path.join(root, 'l'));
      },
    ],
    [
      'a relative link that climbs',
      () => {
        symlinkSync('../secret.txt', path.join(root, 'l'));
      },
    ],
    [
      'a dangling link',
      () => {
        symlinkSync(path.join(dir, 'nothing'), path.join(root, 'l'));
      },
    ],
  ])('refuses %s, and paths below it', (_, make) => {
    make();
    expect(() => realInside(root, 'l', 'l', 'the plugin')).toThrow(PathEscapeError);
    expect(() => realInside(root, 'l/etc/passwd')).toThrow(PathEscapeError);
    expect(() => realInside(root, 'l', 'l', 'the plugin')).toThrow(
      'l: leads outside the plugin through a symbolic link; it is not followed.',
    );
  });

  it('refuses .. out of the root', () => {
    expect(() => realInside(root, '../secret.txt')).toThrow(PathEscapeError);
    expect(() => realInside(root, '/etc/passwd')).toThrow(PathEscapeError);
  });

  it('judges the real root when the root itself is reached through a link', () => {
    symlinkSync(root, path.join(dir, 'root-link'));
    expect(realInside(path.join(dir, 'root-link'), 'sub/file.txt')).toBe(
      path.join(root, 'sub', 'file.txt'),
    );
  });
});

describe('readUserFile', () => {
  const opts = { shown: 'the-file', maxBytes: 100 };
  it('reads a regular file', () => {
    expect(readUserFile(path.join(root, 'sub', 'file.txt'), opts).toString()).toBe('inside');
  });
  it('refuses links, folders, FIFOs and large files, naming the file', () => {
    symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'l'));
    expect(() => readUserFile(path.join(root, 'l'), opts)).toThrow(
      'the-file: is a symbolic link; it is not followed.',
    );
    expect(() => readUserFile(path.join(root, 'sub'), opts)).toThrow(
      'the-file: is not a regular file.',
    );
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    expect(() => readUserFile(path.join(root, 'fifo'), opts)).toThrow(
      'the-file: is not a regular file.',
    );
    writeFileSync(path.join(root, 'big'), 'x'.repeat(101));
    expect(() => readUserFile(path.join(root, 'big'), opts)).toThrow(UserError);
    expect(() => readUserFile(path.join(root, 'big'), opts)).toThrow(
      /101 bytes is over the 100-byte limit/,
    );
  });
});
