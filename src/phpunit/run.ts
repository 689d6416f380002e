// Runs the plugin's PHPUnit suite on a Moodle PHPUnit test site: PHPUnit as the tree pins it
// (vendor/ mounted at the tree root), our phpunit.xml, each test's outcome streamed back as it ends.
// One test that never ends, or that kills PHP, is recorded as such and the run goes on with the
// next test file; what was not run is said.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPhpRuntime, PhpCrashError, PhpTimeoutError } from '../php/runtime.js';
import { describeCrash } from '../php/runtime-limits.js';
import type { PhpVersion } from '../php/runtime-package.js';
import { ourPhpDir, VFS, type Site } from '../moodle/site/site.js';
import { buildConfig, type ComponentTests } from './suite.js';
import { ResultCollector, type Frame, type TestResult } from './results.js';
import { ensurePackages, type FetchOptions } from './packages.js';
import { buildVendor } from './vendor.js';
import { phpunitPackages, type LockedPackage } from './lock.js';
import type { MoodleTree } from '../moodle/source/tree.js';

/** PHPUnit for a tree: its packages in the cache and the vendor/ built from them (host path). */
export interface PhpunitVendor {
  packages: LockedPackage[];
  dir: string;
  version: string;
  major: number;
}

export async function preparePhpunit(
  tree: MoodleTree,
  php: PhpVersion,
  options: FetchOptions = {},
): Promise<PhpunitVendor> {
  const packages = phpunitPackages(tree.root);
  await ensurePackages(packages, options);
  const dir = await buildVendor(packages, scanClassmapFor(php), options.root);
  const version = packages[0]!.version.replace(/^v/, '');
  return { packages, dir, version, major: Number(version.split('.')[0]) };
}

/** The classmap scanner buildVendor() takes, on one PHP version. */
export const scanClassmapFor =
  (php: PhpVersion) =>
  (vendor: string, dirs: string[], exclude: string[]): Promise<Record<string, string>> =>
    scanClassmap(php, vendor, dirs, exclude);

/** Composer's classmap of `dirs`, found by PHP's tokenizer (php/phpunit/classmap.php). */
async function scanClassmap(
  php: PhpVersion,
  vendor: string,
  dirs: string[],
  exclude: string[],
): Promise<Record<string, string>> {
  const req = mkdtempSync(path.join(tmpdir(), 'mpc-classmap-'));
  try {
    writeFileSync(path.join(req, 'request.json'), JSON.stringify({ dirs, exclude }));
    const runtime = await createPhpRuntime({
      phpVersion: php,
      mounts: [
        { hostPath: vendor, vfsPath: '/vendor', readOnly: true },
        { hostPath: path.join(ourPhpDir(), 'phpunit'), vfsPath: '/mpc-phpunit', readOnly: true },
        { hostPath: req, vfsPath: '/mpc-classmap', readOnly: true },
      ],
    });
    const r = await runtime.cli(
      ['php', '/mpc-phpunit/classmap.php', '/vendor', '/mpc-classmap/request.json'],
      { env: {}, timeoutMs: 300_000, memoryLimit: '1G' },
    );
    if (r.exitCode !== 0)
      throw new Error(`Building PHPUnit’s classmap failed: ${r.stderr || r.stdout}`);
    return JSON.parse(r.stdout) as Record<string, string>;
  } finally {
    rmSync(req, { recursive: true, force: true });
  }
}

/** Where the tree's web root is inside PHP (`/www/moodle` or `/www/moodle/public`). */
const webRoot = (tree: MoodleTree): string =>
  `${VFS.moodle}${tree.layout === 'public' ? '/public' : ''}`;

/** Mounts vendor/ at the tree root of a site (from its next PHP run on). */
export function mountVendor(site: Site, vendor: PhpunitVendor): void {
  site.inject('vendor', vendor.dir);
}

/** `admin/tool/phpunit/cli/util.php --install`: Moodle's own test site installation. */
export function installTestSite(site: Site, tree: MoodleTree) {
  return site.cli(
    `${webRoot(tree)}/admin/tool/phpunit/cli/util.php`,
    ['--install'],
    site.options.timeoutMs,
  );
}

/**
 * Installs the plugin (mounted on the site) into the test site (php/phpunit/testsite.php). A run
 * that fails, is stopped at the time limit or crashes PHP is an outcome (the plugin's), not an error.
 */
export async function addPluginToTestSite(
  site: Site,
  tree: MoodleTree,
): Promise<{ ok: boolean; stdout: string; stderr: string; durationMs: number; why?: string }> {
  const started = performance.now();
  try {
    const r = await site.cli(
      `${VFS.ours}/phpunit/testsite.php`,
      [`${webRoot(tree)}/lib/phpunit/bootstrap.php`, `${VFS.moodle}/vendor/autoload.php`],
      site.options.timeoutMs,
    );
    return { ok: r.exitCode === 0, stdout: r.stdout, stderr: r.stderr, durationMs: r.durationMs };
  } catch (e) {
    if (!(e instanceof PhpTimeoutError) && !(e instanceof PhpCrashError)) throw e;
    return {
      ok: false,
      stdout: e.stdout,
      stderr: e.stderr,
      durationMs: performance.now() - started,
      why:
        e instanceof PhpTimeoutError
          ? `did not finish within ${Math.round(e.timeoutMs / 1000)} s`
          : `PHP crashed: ${describeCrash(e.kind)}`,
    };
  }
}

export interface SuiteRunOptions {
  site: Site;
  tree: MoodleTree;
  vendor: PhpunitVendor;
  /** The plugin's folder relative to the tree root (`public/mod/board` on 5.1+). */
  pluginRel: string;
  /** The plugin's folder on the host (its test files are read to say what did not run). */
  pluginDir: string;
  components: readonly ComponentTests[];
  /** `--phpunit-args`, already checked. */
  args: readonly string[];
  /** Limit for one test (the time between two tests' starts). */
  testTimeoutMs: number;
  /** Limit for the whole suite. */
  totalTimeoutMs: number;
  distXml: string;
  onResult?: (r: TestResult) => void;
}

export interface SuiteRun {
  results: TestResult[];
  phpunitVersion: string | undefined;
  /** Runs of PHPUnit (more than one when a test stopped the run). */
  runs: number;
  /** Test files (plugin-relative) whose remaining tests did not run, and why. */
  notRun: { file: string; reason: string }[];
  /** PHPUnit stopped between two tests (not during one): after which test, and why. */
  interrupted: { after: TestResult; message: string }[];
  /** PHPUnit's own result line of each run ("OK (43 tests, 201 assertions)", "Tests: 100, …"). */
  summaries: string[];
  /** A run that ended without running any test, with PHP's output (a bootstrap error). */
  failedToStart?: string;
  /** Where PHP said it stopped, when it did (a fatal error in a test file). */
  failedAt?: Frame;
  durationMs: number;
}

/**
 * Whether the test file has tests after the stopped one: a test method declared below it, or
 * further data sets of it. Read from the file (PHPUnit never got to list them).
 */
function testsAfter(pluginDir: string, file: string, stopped: TestResult): boolean {
  if (/ with data set /.test(stopped.id)) return true;
  let text: string;
  try {
    text = readFileSync(path.join(pluginDir, file), 'utf8');
  } catch {
    return true;
  }
  const lines = text.split('\n');
  const from = stopped.line ?? 0;
  return lines.some(
    (l, i) => i + 1 > from && (/\bfunction\s+test\w*\s*\(/.test(l) || /@test\b|#\[Test\]/.test(l)),
  );
}

/** Last lines of PHP's output, for messages. */
const tail = (s: string, lines = 12): string => s.trim().split('\n').slice(-lines).join('\n');

/** PHP's own fatal error line, e.g. "PHP Fatal error:  Allowed memory size … in /x.php on line 3". */
function fatalOf(out: string): { message: string; file?: string; line?: number } | undefined {
  const m = /(?:PHP )?Fatal error:\s+(.+?)(?: in (\/\S+?)(?: on line |:)(\d+))?\s*$/m.exec(out);
  if (!m) return undefined;
  return { message: m[1]!.trim(), ...(m[2] ? { file: m[2], line: Number(m[3]) } : {}) };
}

export async function runSuite(o: SuiteRunOptions): Promise<SuiteRun> {
  const started = performance.now();
  const collector = new ResultCollector();
  const root = webRoot(o.tree);
  const pluginVfs = `${VFS.moodle}/${o.pluginRel}`;
  const order = o.components.flatMap((c) =>
    c.files.map((f) => ({ component: c.component, file: f })),
  );
  const bootstrap = o.site.writeRunFile(
    'phpunit-bootstrap.php',
    `<?php\n// Written by moodle-plugin-check: our results collector, then Moodle's bootstrap.\nrequire_once('${VFS.ours}/phpunit/results.php');\nrequire('${root}/lib/phpunit/bootstrap.php');\n`,
  );
  let remaining = order;
  const notRun: SuiteRun['notRun'] = [];
  const interrupted: SuiteRun['interrupted'] = [];
  const summaries: string[] = [];
  let runs = 0;
  let failedToStart: string | undefined;
  let failedAt: Frame | undefined;
  const userSuite = o.args.includes('--testsuite');
  while (remaining.length > 0) {
    const left = o.totalTimeoutMs - (performance.now() - started);
    if (left <= 0) {
      for (const f of new Set(remaining.map((r) => r.file)))
        notRun.push({ file: f, reason: 'the suite’s time limit was reached' });
      break;
    }
    runs++;
    const components = o.components
      .map((c) => ({ ...c, files: c.files.filter((f) => remaining.some((r) => r.file === f)) }))
      .filter((c) => c.files.length > 0);
    const config = buildConfig({
      dist: o.distXml,
      pluginRel: pluginVfs.slice(1),
      components,
      bootstrap,
      major: o.vendor.major,
      sequenceStart: 100000 + Math.floor(Math.random() * 100) * 1000,
    }).replace(/<file>(?!\/)/g, '<file>/');
    const configVfs = o.site.writeRunFile('phpunit.xml', config);
    const before = collector.results.length;
    collector.lastPlanned = undefined;
    let stopped: TestResult | undefined;
    try {
      const r = await o.site.cli(
        `${VFS.moodle}/vendor/phpunit/phpunit/phpunit`,
        [
          '--configuration',
          configVfs,
          ...(userSuite
            ? []
            : ['--testsuite', components.map((c) => `${c.component}_testsuite`).join(',')]),
          '--do-not-cache-result',
          '--colors=never',
          ...o.args,
        ],
        o.testTimeoutMs,
        {},
        {
          onProgress: (text) => {
            const n = collector.results.length;
            collector.push(text);
            if (collector.results.length > n) o.onResult?.(collector.results.at(-1)!);
          },
          timeoutRestartsOnProgress: true,
          maxTotalMs: Math.max(1000, left),
        },
      );
      const output = `${r.stdout}\n${r.stderr}`;
      const said = /^(?:OK \(\d+ tests?.*|Tests: \d+.*)$/m.exec(r.stdout)?.[0];
      if (said !== undefined) summaries.push(said.trim());
      const fatal = fatalOf(output);
      stopped = collector.stopRunning(
        'crashed',
        fatal
          ? `PHP stopped: ${fatal.message}`
          : `PHP exited with code ${r.exitCode} during the test: ${tail(output, 3)}`,
        0,
      );
      if (stopped && fatal?.file)
        stopped.issues = [
          {
            status: 'error',
            message: fatal.message,
            frames: [{ file: fatal.file, line: fatal.line ?? 0 }],
          },
        ];
      if (!stopped && collector.results.length === before && r.exitCode !== 0)
        failedToStart = fatal?.file
          ? `PHPUnit exited with code ${r.exitCode} before running a test: PHP Fatal error: ${fatal.message} (${fatal.file}:${fatal.line ?? 0})`
          : `PHPUnit exited with code ${r.exitCode} before running a test:\n${tail(output)}`;
      if (fatal?.file) failedAt = { file: fatal.file, line: fatal.line ?? 0 };
      else if (
        !stopped &&
        r.exitCode !== 0 &&
        collector.results.length - before < (collector.plannedLastRun() ?? Infinity) &&
        (fatal !== undefined || /An error occurred inside PHPUnit/.test(output) || r.exitCode > 2)
      ) {
        // PHPUnit itself stopped between two tests (an error inside PHPUnit, e.g. from a
        // destructor; a fatal error outside a test): fewer tests ended than it planned, and it
        // said why. (Exit code 2 alone is PHPUnit 9's "some tests errored".)
        const last = collector.results.at(-1)!;
        const inside =
          /An error occurred inside PHPUnit\.\s*Message:\s*([\s\S]*?)\n(?:Location|#0)/.exec(
            output,
          )?.[1];
        const why = inside?.trim() ?? fatal?.message ?? tail(output, 4);
        interrupted.push({
          after: last,
          message: `PHPUnit stopped after ${last.id} (exit code ${r.exitCode}): ${why}`,
        });
        stopped = last;
      }
    } catch (e) {
      if (e instanceof PhpTimeoutError) {
        stopped = collector.stopRunning(
          'timeout',
          `did not end within ${Math.round(e.timeoutMs / 1000)} s and was stopped`,
          e.timeoutMs,
        );
        if (!stopped)
          failedToStart = `PHPUnit did not start a test within ${Math.round(e.timeoutMs / 1000)} s:\n${tail(`${e.stdout}\n${e.stderr}`)}`;
      } else if (e instanceof PhpCrashError) {
        stopped = collector.stopRunning(
          'crashed',
          `PHP crashed: ${describeCrash(e.kind)} (${e.detail})`,
          0,
        );
        if (!stopped)
          failedToStart = `PHPUnit crashed before running a test: ${describeCrash(e.kind)} (${e.detail})`;
      } else throw e;
    }
    if (stopped && !interrupted.some((i) => i.after === stopped)) o.onResult?.(stopped);
    if (failedToStart !== undefined || !stopped) break;
    // Go on after the test file of the stopped test; the rest of that file did not run.
    const file = stopped.file?.startsWith(`${pluginVfs}/`)
      ? stopped.file.slice(pluginVfs.length + 1)
      : undefined;
    const at = file === undefined ? -1 : remaining.findIndex((r) => r.file === file);
    if (at < 0) {
      for (const f of new Set(remaining.map((r) => r.file)))
        notRun.push({ file: f, reason: `the run stopped at ${stopped.id}` });
      break;
    }
    if (testsAfter(o.pluginDir, remaining[at]!.file, stopped))
      notRun.push({
        file: remaining[at]!.file,
        reason: `tests after ${stopped.id} in this file did not run (${stopped.status === 'timeout' ? 'it did not end' : stopped.status === 'crashed' ? 'it crashed PHP' : 'PHPUnit stopped after it'})`,
      });
    remaining = remaining.slice(at + 1);
  }
  return {
    results: collector.results,
    phpunitVersion: collector.phpunitVersion,
    runs,
    notRun,
    interrupted,
    summaries,
    ...(failedToStart !== undefined ? { failedToStart } : {}),
    ...(failedAt !== undefined ? { failedAt } : {}),
    durationMs: performance.now() - started,
  };
}
