// The phpdoc phase (phpdoc/*): moodlecheck's own rules inside php-wasm. Exact findings on the
// fixture; skipped, with the reason, when moodlecheck is not in the cache (`cs import <dir>`).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPhpdoc, FIXTURES } from './prechecks.js';
import { parseMoodlecheck } from '../src/style/moodlecheck.js';
import { ensureToolchain, MOODLECHECK_PACKAGES } from '../src/style/toolchain.js';
import { tempDir } from '../src/moodle/testing.js';

const tools = await ensureToolchain({ offline: true, packages: MOODLECHECK_PACKAGES });
if (!tools.ok) console.log(`phpdoc tests skip the moodlecheck runs: ${tools.why}`);

describe.skipIf(!tools.ok)('phpdoc on the fixture (moodlecheck in php-wasm)', () => {
  it('reports each moodlecheck rule at its line', async () => {
    const { phase, found } = await runPhpdoc(path.join(FIXTURES, 'phpdoc/local_phpdocbad'));
    expect(found).toEqual([
      'error empty.php:1 phpdoc/emptynophpfile',
      'error lib.php:28 phpdoc/functionarguments',
      'error lib.php:33 phpdoc/noinlinephpdocs',
      'error lib.php:38 phpdoc/phpdoccontentsinlinetag',
      'error lib.php:38 phpdoc/phpdocsuncurlyinlinetag',
    ]);
    expect(phase?.status).toBe('failed');
    expect(phase?.detail).toMatch(
      /^moodlecheck 1\.3\.2 on 4 PHP file\(s\)( \(\d unchanged since a previous check: their results from the cache\))?: 5 problem\(s\)$/,
    );
    // Again: every file's result from the cache, the same findings.
    const again = await runPhpdoc(path.join(FIXTURES, 'phpdoc/local_phpdocbad'));
    expect(again.found).toEqual(found);
    expect(again.phase?.detail).toContain(
      '(4 unchanged since a previous check: their results from the cache)',
    );
  }, 120_000);

  it('a plugin without problems passes', async () => {
    const { phase, found } = await runPhpdoc(path.join(FIXTURES, 'coding-style/local_csown'));
    expect(found).toEqual([]);
    expect(phase?.status).toBe('passed');
  }, 120_000);
});

describe('phpdoc when it cannot run', () => {
  it('offline with an empty cache: skipped, saying why', async () => {
    const got = await ensureToolchain({
      offline: true,
      root: tempDir('phpdoc-empty'),
      packages: MOODLECHECK_PACKAGES,
    });
    expect(got.ok).toBe(false);
    if (!got.ok)
      expect(got.why).toMatch(/moodle-local_moodlecheck 1\.3\.2 is not in the cache \(offline\)/);
  });

  it('a driver report that is not JSON is an error, not an empty pass', () => {
    expect(() => parseMoodlecheck('Fatal error: boom')).toThrow(/printed no report/);
    expect(() => parseMoodlecheck('{"nofiles":1}')).toThrow(/without files/);
    expect(
      parseMoodlecheck(
        'noise\n{"files":{"a.php":[{"line":3,"severity":"error","source":"x","message":"m"}]}}',
      ),
    ).toEqual([{ file: 'a.php', line: 3, severity: 'error', source: 'x', message: 'm' }]);
  });
});
