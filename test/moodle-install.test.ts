// Integration: real Moodle trees registered in the tool's cache (`moodle-plugin-check moodle
// import <dir>`), booted in php-wasm on the default database (PostgreSQL, PGlite). Skipped, with a message, when none is registered.
// The first run per tree installs Moodle (about a minute); later runs restore the cached site.
import { describe, expect, it } from 'vitest';
import { fixture } from '../src/checks/testing.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { expectGolden, treeOf } from './golden.js';
import { LABEL, testedBranches } from './real-moodle.js';

// The oldest, 4.5 and the newest tree; every registered one with MPC_TEST_FULL=1.
const branches = testedBranches();

async function check(name: string, branch: string, timeoutMs = 10 * 60_000) {
  const { report } = await runCheck({
    pluginDir: fixture(name),
    moodle: true,
    moodleOptions: { spec: LABEL[branch], offline: true, timeoutMs },
  });
  await expectGolden(report, `moodle/${LABEL[branch] ?? branch}/${name}`, {
    plugin: fixture(name),
    moodle: treeOf(branch),
  });
  const installFindings = report.findings
    .filter((f) => f.ruleId.startsWith('install/'))
    .map((f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''}`);
  return { report, installFindings, phases: report.phases.map((p) => `${p.name}:${p.status}`) };
}

describe.skipIf(branches.length === 0)('plugins installed on a real Moodle', () => {
  // Clean fixtures of several types install without a finding on every registered tree.
  const clean: Record<string, string[]> = {
    // clean-block and clean-subplugins require 4.5 ($plugin->requires), so 4.1 gets fixtures that support it.
    '401': ['clean-filter', 'clean-conditional-classes'],
    '405': ['mod_example', 'clean-block', 'clean-subplugins', 'clean-theme'],
    '500': ['mod_example', 'clean-filter'],
    // 5.1: the first public/ layout release; subplugins land under public/ too.
    '501': ['mod_example', 'clean-block', 'clean-subplugins'],
    '502': ['mod_example', 'clean-repository'],
  };
  for (const branch of branches) {
    for (const name of clean[branch] ?? []) {
      it(
        `Moodle ${LABEL[branch]}: ${name} installs cleanly`,
        { timeout: 20 * 60_000 },
        async () => {
          const r = await check(name, branch);
          // Phase dependencies is listed for a plugin that declares some (a child theme: theme_boost).
          expect(r.phases.slice(2).filter((p) => p !== 'dependencies:passed')).toEqual([
            'provision:passed',
            'install:passed',
            'environment:passed',
          ]);
          if (r.report.plugin.type === 'theme') expect(r.phases).toContain('dependencies:passed');
          expect(r.installFindings).toEqual([]);
          expect(r.report.moodle?.branch).toBe(branch);
          // A real PostgreSQL: Moodle's environment check needs no SQLite vendor added.
          expect(r.report.moodle?.database?.kind).toBe('postgres');
          expect(r.report.moodle?.adjustments.map((a) => a.rule)).not.toContain(
            'database-vendor-sqlite',
          );
          // Which theme upgrade.php built is an adjustment either way, never silent.
          const built = r.report.moodle?.adjustments
            .filter((a) => a.rule === 'runtime/upgrade-theme')
            .map((a) => a.detail)
            .find((d) => d.startsWith('admin/cli/upgrade.php'));
          expect(built).toContain(
            name === 'clean-theme' ? 'theme_cleantheme (the theme under test)' : 'theme_mpc',
          );
        },
      );
    }
  }

  const failing = branches.includes('405') ? '405' : branches[0]!;
  it.each([
    ['install-badxml', ['install/failed db/install.xml:7']],
    ['install-throws', ['install/exception db/install.php:10']],
    ['install-warning', ['install/php-warning lib.php:11']],
    // A theme under test is the theme upgrade.php builds, so its SCSS is compiled (inline SCSS
    // from a callback has no file to point at).
    ['install-theme-scss', ['install/scss-error :']],
  ])(`Moodle ${LABEL[failing]}: %s gives %j`, { timeout: 20 * 60_000 }, async (name, expected) => {
    const r = await check(name, failing);
    expect(r.installFindings).toEqual(expected);
  });

  // Runaway plugins end in a finding, never a hung job: memory_limit stops one, the time limit the other.
  it(
    `Moodle ${LABEL[failing]}: an install that exhausts memory is a php-error at its line`,
    {
      timeout: 20 * 60_000,
    },
    async () => {
      const r = await check('install-memory', failing);
      expect(r.installFindings).toEqual(['install/php-error db/install.php:12']);
      expect(r.report.findings.find((f) => f.ruleId === 'install/php-error')?.message).toMatch(
        /memory/i,
      );
    },
  );
  it(
    `Moodle ${LABEL[failing]}: an install that never ends stops at the time limit`,
    {
      timeout: 20 * 60_000,
    },
    async () => {
      const started = Date.now();
      // 40 s: on a loaded machine upgrade.php must still reach the plugin before the limit.
      const r = await check('install-loop', failing, 40_000);
      expect(r.installFindings).toEqual(['install/timeout :']);
      expect(r.phases).toContain('install:failed');
      expect(Date.now() - started).toBeLessThan(5 * 60_000);
    },
  );
});

// Shown as skipped, with the reason, instead of passing without checking anything.
if (branches.length === 0) {
  it.skip('real Moodle installs: no Moodle tree registered (run `moodle-plugin-check moodle import <dir>`)', () =>
    undefined);
}
