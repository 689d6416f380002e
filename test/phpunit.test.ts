// Integration: the phpunit phase on real Moodle trees, PHPUnit as each tree's composer.lock pins it
// (9.6 on 4.5, 11.5 on 5.x), on PostgreSQL (PGlite). Exact findings for a suite of known outcomes
// and for tests that stop PHP. Skipped, with the reason, when no tree is registered or PHPUnit's
// packages are not in the cache (`moodle-plugin-check phpunit import <dir>`).
import { describe, expect, it } from 'vitest';
import { fixture } from '../src/checks/testing.js';
import { listEntries } from '../src/moodle/source/cache.js';
import { cacheRoot } from '../src/moodle/source/cache-dir.js';
import { phpunitPackages } from '../src/phpunit/lock.js';
import { isCached } from '../src/phpunit/packages.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { LABEL, registeredBranches } from './real-moodle.js';

/** 4.5 (PHPUnit 9) and the newest 5.x registered (PHPUnit 11), when PHPUnit's packages are cached. */
function branchesWithPhpunit(): { ready: string[]; missing: string[] } {
  const roots = new Map(
    listEntries(cacheRoot()).flatMap((e) =>
      e.meta?.source.kind === 'import' ? [[e.meta.branch, e.meta.source.path] as const] : [],
    ),
  );
  const fives = registeredBranches(['500', '501', '502']);
  const wanted = [...registeredBranches(['405']), ...fives.slice(-1)];
  const ready: string[] = [];
  const missing: string[] = [];
  for (const b of wanted) {
    const root = roots.get(b);
    const ok = root !== undefined && phpunitPackages(root).every((p) => isCached(p));
    (ok ? ready : missing).push(b);
  }
  return { ready, missing };
}

const { ready, missing } = branchesWithPhpunit();
if (missing.length > 0)
  console.log(
    `phpunit tests skip Moodle ${missing.map((b) => LABEL[b]).join(', ')}: PHPUnit's packages for it are not in the cache (moodle-plugin-check phpunit import <dir>)`,
  );

async function check(name: string, branch: string, timeoutMs: number, args: string[] = []) {
  const { report, junit } = await runCheck({
    pluginDir: fixture(name),
    moodle: true,
    moodleOptions: { spec: LABEL[branch], offline: true, timeoutMs },
    phpunit: { mode: 'on', args },
  });
  const found = report.findings
    .filter((f) => f.ruleId.startsWith('phpunit/'))
    .map((f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''} ${f.message.split('\n')[0]}`);
  return { report, found, junit };
}

describe.skipIf(ready.length === 0)('the plugin’s PHPUnit suite on a real Moodle', () => {
  for (const branch of ready) {
    it(
      `Moodle ${LABEL[branch]}: every outcome at its file and line`,
      { timeout: 30 * 60_000 },
      async () => {
        const { report, found, junit } = await check('phpunit-suite', branch, 10 * 60_000);
        // Moodle 5.x formats a date with ext-intl while creating a course: with php-wasm's intl
        // loaded (runtime-package.ts) the generator test runs and passes on every branch.
        expect(found).toEqual([
          'phpunit/error classes/calculator.php:20 local_mpcunit\\calculator_test::test_divide_by_zero: core\\exception\\coding_exception: Coding error detected, it must be fixed by a programmer: Division by zero',
          'phpunit/failure tests/calculator_test.php:19 local_mpcunit\\calculator_test::test_add_is_wrong: two and three',
        ]);
        expect(report.findings.find((f) => f.ruleId === 'phpunit/failure')?.message).toContain(
          'Failed asserting that 5 is identical to 6.',
        );
        expect(report.phpunit).toMatchObject({
          components: ['local_mpcunit', 'mpcunitpart_alpha'],
          tests: 8,
          failures: 1,
          errors: 1,
          skipped: 1,
          skippedByEnvironment: 0,
          incomplete: 0,
          timeouts: 0,
          crashed: 0,
          notRun: [],
        });
        // Generators + resetAfterTest (2 tests), the fixture file, the subplugin: all passed.
        expect(report.phpunit?.assertions).toBe(8);
        expect(report.phpunit?.version).toMatch(branch === '405' ? /^9\.6\./ : /^11\.5\./);
        expect(report.phases.find((p) => p.name === 'phpunit')?.status).toBe('failed');
        expect(junit).toContain('tests="8"');
        // --phpunit-args is passed on: one test selected.
        const one = await check('phpunit-suite', branch, 10 * 60_000, [
          '--filter',
          'test_reset_happened',
        ]);
        expect(one.found).toEqual([]);
        expect(one.report.phpunit).toMatchObject({ tests: 1, failures: 0, errors: 0 });
      },
    );
  }

  it(
    `Moodle ${LABEL[ready[0]!]}: a test that loops and one that exhausts memory are stopped, the rest runs`,
    { timeout: 30 * 60_000 },
    async () => {
      const {
        report,
        found,
      } = // --timeout bounds every PHP run, the plugin's install into the test site too: 60 s
        // leaves that room on a loaded machine (20 s did not, in a CI run).
        await check('phpunit-stops', ready[0]!, 60_000);
      // Sorted by file and line: a not-run finding (no line) comes first in its file.
      expect(found).toEqual([
        'phpunit/not-run tests/a_loop_test.php: tests after local_mpcstops\\a_loop_test::test_loops in this file did not run (it did not end)',
        'phpunit/timeout tests/a_loop_test.php:13 local_mpcstops\\a_loop_test::test_loops: did not end within 60 s and was stopped',
        // PHP's memory_limit (1G) or php-wasm's heap, whichever runs out first; no test after it.
        expect.stringMatching(
          /^phpunit\/crashed tests\/b_memory_test\.php:\d+ local_mpcstops\\b_memory_test::test_exhausts_memory: PHP stopped: (Allowed memory size|Out of memory)/,
        ),
      ]);
      expect(report.phpunit).toMatchObject({
        tests: 3,
        timeouts: 1,
        crashed: 1,
        failures: 0,
        errors: 0,
      });
    },
  );
});
