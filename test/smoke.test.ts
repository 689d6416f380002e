// Integration: the smoke crawl on a real Moodle (phase smoke). Broken fixtures give exactly their
// finding at their file and line; clean plugins of several types give none. The crawl is run on
// one site with every fixture installed at once (one upgrade instead of seven), and once through
// runCheck for the phase and its report. Skipped, with the reason, when no tree is registered.
import { describe, expect, it } from 'vitest';
import { fixture } from '../src/checks/testing.js';
import { resolveMoodle } from '../src/moodle/source/resolve.js';
import { VFS } from '../src/moodle/site/site.js';
import { Plugin } from '../src/plugin/plugin.js';
import { withSite } from '../src/pipeline/moodle.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { crawl } from '../src/pipeline/smoke-crawl.js';
import { LABEL, registeredBranches } from './real-moodle.js';

// 4.5 when registered (the quickest), else the newest public/ layout tree (smoke-output.test.ts
// covers public/ paths).
const branch = ['405', '502', '501'].find((b) => registeredBranches().includes(b));

const BROKEN: Record<string, string[]> = {
  'smoke-mod-notice': ['smoke/php-notice view.php:40 (as admin)'],
  'smoke-settings-undefined': ['smoke/exception classes/admin_setting_colour.php:35 (as admin)'],
  // Stopped at the crawl's limit for one page; the warm PHP is replaced and the crawl goes on.
  'smoke-page-loop': ['smoke/timeout index.php: (as admin)'],
  'smoke-block-throws': ['smoke/exception block_smokethrows.php:43 (as admin)'],
};
const CLEAN = ['mod_example', 'clean-block', 'clean-filter', 'clean-theme'];

describe.skipIf(branch === undefined)(`smoke crawl on Moodle ${LABEL[branch ?? ''] ?? ''}`, () => {
  it(
    'finds exactly what each fixture breaks, and nothing on clean plugins',
    { timeout: 20 * 60_000 },
    async () => {
      const resolved = await resolveMoodle({
        spec: LABEL[branch!]!,
        offline: true,
        targetBranches: [],
      });
      const prefix = resolved.tree.layout === 'public' ? 'public/' : '';
      // Clean ones first: what a broken fixture leaves in the site (a throwing block on the admin's
      // dashboard) must not reach them; the throwing block last of all.
      const names = [...CLEAN, ...Object.keys(BROKEN)];
      const plugins = names.map((n) => Plugin.load(fixture(n)));
      await withSite(
        resolved,
        { php: '8.3', db: 'postgres', timeoutMs: 10 * 60_000, purpose: 'smoke-test' },
        async ({ site }) => {
          for (const p of plugins) site.inject(`${prefix}${p.installPath!}`, p.root);
          const up = await site.upgrade();
          expect(up.exitCode, `${up.stdout}\n${up.stderr}`.slice(-2000)).toBe(0);
          const got: Record<string, string[]> = {};
          const pages: Record<string, number> = {};
          for (const [i, p] of plugins.entries()) {
            const r = await crawl(
              site,
              {
                component: p.component!,
                type: p.type!,
                name: p.name!,
                webPath: p.installPath!,
                output: {
                  moodleRoot: VFS.moodle,
                  pluginPath: `${prefix}${p.installPath!}`,
                  pluginWebPath: p.installPath!,
                },
                has: (rel) => p.has(rel),
              },
              { timeoutMs: names[i] === 'smoke-page-loop' ? 30_000 : 120_000 },
            );
            got[names[i]!] = r.findings.map(
              (f) =>
                `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''} ${/\(as \w+\)/.exec(f.message)?.[0] ?? ''}`,
            );
            pages[names[i]!] = r.pages.length;
            // Every page answered; only the endless one was stopped.
            expect(r.pages.filter((pg) => pg.status === null).length).toBe(
              names[i] === 'smoke-page-loop' ? 1 : 0,
            );
          }
          expect(got).toEqual({
            ...BROKEN,
            ...Object.fromEntries(CLEAN.map((n) => [n, []])),
          });
          // What each type opens: the activity (admin, student, its form, the course, index.php),
          // the block (course as admin and student, dashboard), the filter (a page twice, the
          // course), the theme (front page, dashboard, login as guest, a course as student).
          expect(pages).toMatchObject({
            'smoke-mod-notice': 5,
            'smoke-block-throws': 3,
            'smoke-settings-undefined': 1,
            mod_example: 5,
            'clean-block': 3,
            'clean-filter': 3,
            'clean-theme': 4,
          });
        },
      );
    },
  );

  it(
    'runs as the smoke phase after install, with its pages in the report',
    { timeout: 20 * 60_000 },
    async () => {
      const { report } = await runCheck({
        pluginDir: fixture('smoke-block-throws'),
        moodle: true,
        smoke: true,
        moodleOptions: { spec: LABEL[branch!], offline: true, timeoutMs: 10 * 60_000 },
      });
      const phase = report.phases.find((p) => p.name === 'smoke');
      expect(phase?.status).toBe('failed');
      expect(phase?.detail).toMatch(/^3 page\(s\) \(2 as admin, 1 as student\) in [\d.]+ s/);
      expect(
        report.smoke?.map((p) => `${p.as} ${p.url.replace(/\d+/g, 'N')} ${p.status ?? ''}`),
      ).toEqual([
        'admin /course/view.php?id=N 500',
        'student /course/view.php?id=N 500',
        'admin /my/ 500',
      ]);
      // One finding for the same throw on three pages: the first page's.
      expect(
        report.findings
          .filter((f) => f.ruleId.startsWith('smoke/'))
          .map((f) => `${f.ruleId} ${f.file}:${f.line}`),
      ).toEqual(['smoke/exception block_smokethrows.php:43']);
      expect(report.smoke?.every((p) => p.findings.length === 1)).toBe(true);
    },
  );
});

if (branch === undefined)
  it.skip('smoke crawl: no Moodle 4.5, 5.1 or 5.2 tree registered (run `moodle-plugin-check moodle import <dir>`)', () =>
    undefined);
