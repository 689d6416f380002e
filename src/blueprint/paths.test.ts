import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { safeArchiveEntry, siteVfsPath } from './paths.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('siteVfsPath', () => {
  it('normalises paths inside the site', () => {
    expect(siteVfsPath('/www/moodle/local/x/', 'f')).toBe('/www/moodle/local/x');
    expect(siteVfsPath('/www/moodle', 'f')).toBe('/www/moodle');
    expect(siteVfsPath('/persist//moodledata/./a.txt', 'f')).toBe('/persist/moodledata/a.txt');
    expect(siteVfsPath('local/x/version.php', 'f')).toBe('/www/moodle/local/x/version.php');
    expect(siteVfsPath('./public/index.php', 'f')).toBe('/www/moodle/public/index.php');
  });

  it('refuses escapes, naming the field', () => {
    const f = 'steps/2 (writeFile) path';
    expect(refusal(() => siteVfsPath('/etc/passwd', f))).toBe(
      `${f}: "/etc/passwd" is outside the site.`,
    );
    expect(refusal(() => siteVfsPath('/www/moodle/../etc', f))).toMatch(
      /^steps\/2 \(writeFile\) path: .* contains a "\.\." segment/,
    );
    expect(refusal(() => siteVfsPath('../x', f))).toMatch(/"\.\." segment/);
    expect(refusal(() => siteVfsPath('/www/moodle-other/x', f))).toMatch(/outside the site/);
    expect(refusal(() => siteVfsPath('/persisted', f))).toMatch(/outside the site/);
    expect(refusal(() => siteVfsPath('/', f))).toMatch(/outside the site/);
    expect(refusal(() => siteVfsPath('/www/moodle/a\0b', f))).toMatch(/NUL byte/);
    expect(refusal(() => siteVfsPath('..\\x', f))).toMatch(/backslash/);
    expect(refusal(() => siteVfsPath('  ', f))).toMatch(/the path is empty/);
  });
});

describe('safeArchiveEntry', () => {
  it('accepts relative entries and strips ./', () => {
    expect(safeArchiveEntry('plugin/version.php')).toBe('plugin/version.php');
    expect(safeArchiveEntry('./a//b/')).toBe('a/b');
    expect(safeArchiveEntry('./')).toBe('');
  });

  it('refuses zip-slip names', () => {
    for (const [name, why] of [
      ['../evil.php', /climbs out/],
      ['a/../../evil.php', /climbs out/],
      ['a\\..\\..\\evil.php', /climbs out/],
      ['/etc/passwd', /absolute/],
      ['C:/x', /drive letter/],
      ['a\0b', /NUL/],
    ] as const)
      expect(refusal(() => safeArchiveEntry(name, 'steps/3 (unzip) data'))).toMatch(why);
    expect(refusal(() => safeArchiveEntry('../x', 'steps/3 (unzip) data'))).toMatch(
      /^steps\/3 \(unzip\) data: entry "\.\.\/x" climbs out/,
    );
  });
});
