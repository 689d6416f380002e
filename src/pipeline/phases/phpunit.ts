// phpunit: the plugin's own PHPUnit suite (its component testsuite and its subplugins'), run by
// PHPUnit exactly as the Moodle tree's composer.lock pins it, on Moodle's PHPUnit test site: made
// by Moodle's util.php --install on a copy of the run's site (cached), the plugin installed into it
// by Moodle's upgrade code. Each failing, erroring, warning, risky, stopped test is a phpunit/*
// finding at the plugin's file and line.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeFinding } from '../../core/rules.js';
import { failureSummary } from '../../moodle/site/outcome.js';
import { VFS } from '../../moodle/site/site.js';
import { discoverTests } from '../../phpunit/suite.js';
import {
  addPluginToTestSite,
  installTestSite,
  mountVendor,
  preparePhpunit,
  runSuite,
} from '../../phpunit/run.js';
import {
  countResults,
  junitXml,
  PHPUNIT_RULES,
  resultFindings,
  type Locator,
} from '../../phpunit/results.js';
import { DEFAULT_DB, openSite, provisionTestSite } from '../moodle.js';
import { withDependencies } from './dependencies.js';
import { session } from './install.js';
import { moodleSkipped, type Phase } from './phase.js';

/** The whole suite is bounded too: four times the limit for one test, at least an hour. */
export const suiteLimitMs = (testTimeoutMs: number): number =>
  Math.max(4 * testTimeoutMs, 3_600_000);

export const phpunit: Phase = {
  name: 'phpunit',
  // runCheck() callers (the tests, the bench) opt in; the CLI and the Action default to `auto`.
  listed: (ctx) => (ctx.options.phpunit?.mode ?? 'off') !== 'off',
  skipped(ctx) {
    const moodle = moodleSkipped(ctx);
    if (moodle !== undefined) return moodle;
    const tests = discoverTests(ctx.root, ctx.plugin.component ?? 'plugin');
    if (tests.length === 0) return 'skipped: the plugin has no tests/**/*_test.php';
    if (!ctx.installed) return 'skipped: the plugin did not install (see the install phase)';
    return undefined;
  },
  async run(ctx, phase, run) {
    const main = session(ctx.moodle);
    const { resolved, php, installPath } = main;
    const tree = resolved.tree;
    const options = ctx.moodleOptions;
    const component = ctx.plugin.component ?? 'plugin';
    const components = discoverTests(ctx.root, component);
    run.progress.note(`phpunit: PHPUnit as Moodle ${tree.release}’s composer.lock pins it`);
    const vendor = await preparePhpunit(tree, php, {
      ...(options.offline ? { offline: true } : {}),
      onDownload: (p) => {
        run.progress.note(`phpunit: downloading ${p.name} ${p.version}`);
      },
    });
    // The last Moodle phase: the run's own site is no longer needed (its database holds memory).
    await main.close();
    const testSession = openSite(resolved, {
      php,
      db: options.db ?? DEFAULT_DB,
      timeoutMs: options.timeoutMs,
      limits: options.limits,
      purpose: 'phpunit',
    });
    try {
      const { site } = testSession;
      mountVendor(site, vendor);
      const testSite = await provisionTestSite(site, resolved, vendor.dir, () =>
        installTestSite(site, tree),
      );
      withDependencies(ctx, site, tree);
      site.setPlugin({ dir: ctx.plugin.root, installPath });
      const added = await addPluginToTestSite(site, tree);
      if (!added.ok) {
        run.add([
          makeFinding(
            PHPUNIT_RULES.initFailed,
            `Installing ${component} into the PHPUnit test site failed${added.why ? ` (${added.why})` : ''}: ${failureSummary(added.stdout, added.stderr)}`,
          ),
        ]);
        phase.status = 'failed';
        phase.detail = 'the plugin could not be installed into the PHPUnit test site';
        return;
      }
      const prefix = tree.layout === 'public' ? 'public/' : '';
      const pluginVfs = `${VFS.moodle}/${prefix}${installPath}`;
      const at: Locator = {
        toPlugin: (p) =>
          p.startsWith(`${pluginVfs}/`) ? p.slice(pluginVfs.length + 1) : undefined,
      };
      const locate = (file: string | undefined, line: number | undefined) => {
        const rel = file !== undefined ? at.toPlugin(file) : undefined;
        return rel !== undefined ? { file: rel, ...(line !== undefined ? { line } : {}) } : {};
      };
      let done = 0;
      const total = components.reduce((a, c) => a + c.files.length, 0);
      const suite = await runSuite({
        site,
        tree,
        vendor,
        pluginRel: `${prefix}${installPath}`,
        pluginDir: ctx.plugin.root,
        components,
        args: ctx.options.phpunit?.args ?? [],
        testTimeoutMs: options.timeoutMs,
        totalTimeoutMs: suiteLimitMs(options.timeoutMs),
        distXml: readFileSync(path.join(tree.root, 'phpunit.xml.dist'), 'utf8'),
        onResult: (r) => {
          done++;
          if (r.status !== 'passed' || done % 25 === 0)
            run.progress.note(
              `phpunit: ${done} tests run (${total} files)${r.status !== 'passed' ? `; ${r.id}: ${r.status}` : ''}`,
            );
        },
      });
      const found = run.add([
        ...resultFindings(suite.results, at),
        // After a test php-wasm could not run, the stop is the environment's, not the plugin's.
        ...suite.interrupted.map((i) =>
          makeFinding(
            i.after.status === 'environment'
              ? PHPUNIT_RULES.environment
              : PHPUNIT_RULES.interrupted,
            i.after.status === 'environment'
              ? `${i.message} (after a test skipped by environment: ${i.after.note ?? ''})`
              : i.message,
            locate(i.after.file, i.after.line),
          ),
        ),
        ...suite.notRun.map((n) => makeFinding(PHPUNIT_RULES.notRun, n.reason, { file: n.file })),
        ...(suite.failedToStart !== undefined
          ? [
              makeFinding(
                PHPUNIT_RULES.runFailed,
                suite.failedToStart,
                locate(suite.failedAt?.file, suite.failedAt?.line),
              ),
            ]
          : []),
      ]);
      const counts = countResults(suite.results);
      ctx.report.phpunit = {
        version: suite.phpunitVersion ?? vendor.version,
        components: components.map((c) => c.component),
        ...counts,
        notRun: suite.notRun,
        phpunitSaid: suite.summaries,
        durationMs: Math.round(suite.durationMs),
        testSite,
        slowest: [...suite.results]
          .sort((a, b) => b.ms - a.ms)
          .slice(0, 5)
          .map((r) => ({ test: r.id, ms: r.ms })),
      };
      ctx.junit = junitXml(
        suite.results,
        components.map((c) => `${c.component}_testsuite`).join(','),
        at,
      );
      if (found.some((f) => f.severity === 'error')) phase.status = 'failed';
      const parts = [
        `${counts.tests} tests`,
        `${counts.assertions} assertions`,
        ...(counts.failures ? [`${counts.failures} failures`] : []),
        ...(counts.errors ? [`${counts.errors} errors`] : []),
        ...(counts.timeouts ? [`${counts.timeouts} timed out`] : []),
        ...(counts.crashed ? [`${counts.crashed} crashed PHP`] : []),
        ...(counts.skipped
          ? [
              `${counts.skipped} skipped${counts.skippedByEnvironment ? ` (${counts.skippedByEnvironment} by environment)` : ''}`,
            ]
          : []),
        ...(counts.incomplete ? [`${counts.incomplete} incomplete`] : []),
      ];
      phase.detail = `PHPUnit ${vendor.version}: ${suite.failedToStart !== undefined && counts.tests === 0 ? 'did not run a test (see phpunit/run-failed), ' : ''}${parts.join(', ')} in ${(suite.durationMs / 1000).toFixed(1)} s (${testSite})`;
    } finally {
      await testSession.close();
    }
  },
};
