// The templates phase (mustache/*): the fixture's templates rendered by a real Moodle tree's
// Mustache engine in php-wasm. Skipped, with the reason, when no Moodle tree is in the cache.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listEntries } from '../src/moodle/source/cache.js';
import { cacheRoot } from '../src/moodle/source/cache-dir.js';
import { FIXTURES, runFamily } from './prechecks.js';

const trees = listEntries(cacheRoot()).filter((e) => e.meta);
if (trees.length === 0)
  console.log(
    'templates tests skip the renders: no Moodle tree in the cache (moodle import <dir>)',
  );

describe.skipIf(trees.length === 0)(
  'templates on the fixture (Moodle’s Mustache in php-wasm)',
  () => {
    it('reports each problem once, and nothing on fragments and partials that resolve', async () => {
      const { phase, found, report } = await runFamily(
        path.join(FIXTURES, 'mustache/local_mustachebad'),
        'templates',
        'mustache',
      );
      expect(found).toEqual([
        'error templates/badjson.mustache:4 mustache/example-invalid',
        'error templates/unclosed.mustache: mustache/render-failed',
        'error templates/unknownpartial.mustache: mustache/render-failed',
        'warning templates/broken.mustache: mustache/html-malformed',
        'warning templates/noexample.mustache:1 mustache/example-missing',
      ]);
      expect(report.findings.find((f) => f.ruleId === 'mustache/html-malformed')?.message).toBe(
        'Rendered HTML, line 2, column 5: <span> (line 2) is not closed before </div> at line 3',
      );
      expect(phase?.status).toBe('failed');
      expect(phase?.detail).toMatch(
        /^4 of 7 template\(s\) rendered with Moodle .*’s Mustache.*; 1 with HTML problems( \(unchanged since a previous check: the result from the cache\))?$/,
      );
      // Again: the whole result from the cache, the same findings.
      const again = await runFamily(
        path.join(FIXTURES, 'mustache/local_mustachebad'),
        'templates',
        'mustache',
      );
      expect(again.found).toEqual(found);
      expect(again.phase?.detail).toContain(
        '(unchanged since a previous check: the result from the cache)',
      );
    }, 120_000);

    it('a .mustachelintignore entry skips the HTML check of that template, and says so', async () => {
      const { cpSync, writeFileSync } = await import('node:fs');
      const { tempDir } = await import('../src/moodle/testing.js');
      const dir = tempDir('mustache-ignore');
      cpSync(path.join(FIXTURES, 'mustache/local_mustachebad'), dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'templates', '.mustachelintignore'),
        '# comment\nbroken.mustache\n',
      );
      const { phase, found } = await runFamily(dir, 'templates', 'mustache');
      expect(found.some((l) => l.includes('html-malformed'))).toBe(false);
      expect(phase?.detail).toContain('1 HTML check(s) skipped by .mustachelintignore');
    }, 120_000);
  },
);
