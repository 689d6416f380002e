// A plugin's PHPUnit suite, php-wasm against native (issue 15), on the same Moodle tree and the same
// PHPUnit packages: `check --phpunit` (PGlite) timed and counted, then "the moodle-plugin-ci way":
// native PHP + a throw-away PostgreSQL cluster, Moodle's own util.php --install and --buildconfig,
// vendor/phpunit/phpunit/phpunit --testsuite <the plugin's suites> --log-junit. Prints both
// counts, the tests whose outcome differs, and the times. Bench only (native tools never run in
// `check`). Usage: node scripts/bench-phpunit.mjs <plugin dir> [branch…]   (default 4.5)
// MPC_BENCH_PHPUNIT_COLD=1 first removes the cached PHPUnit test site of each branch, so the first
// php-wasm run initialises it (cold) and a second restores it (cached); both are printed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { inject, INI, loadSrc, nativePhp, newer, phpString, scratchTree } from './bench-native.mjs';
import { Cluster, freePort, pgBinDir, pgConfig } from './bench-native-pg.mjs';

const root = path.resolve(import.meta.dirname, '..');
const [pluginArg, ...specs] = process.argv.slice(2);
if (!pluginArg) {
  console.error('usage: node scripts/bench-phpunit.mjs <plugin dir> [branch…]');
  process.exit(2);
}
const pluginDir = path.resolve(pluginArg);
const branches = specs.length > 0 ? specs : ['4.5'];

/** Outcome per test case of a JUnit file, and the totals: our --junit and PHPUnit's --log-junit. */
function readJunit(file) {
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
    readFileSync(file, 'utf8'),
  );
  const cases = new Map();
  const walk = (suite) => {
    for (const s of [suite.testsuite ?? []].flat()) walk(s);
    for (const c of [suite.testcase ?? []].flat()) {
      const status = c.failure
        ? 'failure'
        : c.error
          ? 'error'
          : c.skipped !== undefined
            ? 'skipped'
            : 'passed';
      cases.set(`${c.class ?? c.classname}::${c.name}`, status);
    }
  };
  walk(xml.testsuites ?? xml);
  const count = (s) => [...cases.values()].filter((v) => v === s).length;
  return {
    cases,
    tests: cases.size,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
  };
}

function wasmRun(spec, work) {
  const json = path.join(work, `wasm-${spec}.json`);
  const junit = path.join(work, `wasm-${spec}.xml`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'bin/moodle-plugin-check.js'),
      'check',
      pluginDir,
      '--moodle',
      spec,
      '--offline',
      '--phpunit',
      '--format',
      'json',
      '-o',
      json,
      '--junit',
      junit,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`check exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const phase = report.phases.find((p) => p.name === 'phpunit');
  return { ms, report, phase, junit: readJunit(junit) };
}

function nativeRun(src, php, pg, spec, work) {
  return src.resolveMoodle({ spec, offline: true }).then(async ({ tree }) => {
    const info = src.branchInfo(Number(tree.branch));
    if (info && newer(info.phpMin, php.version))
      return {
        skipped: `native PHP ${php.version} is too old for Moodle ${info.name} (needs ≥ ${info.phpMin})`,
      };
    const plugin = src.Plugin.load(pluginDir);
    const prefix = tree.layout === 'public' ? 'public/' : '';
    const installPath = `${plugin.typeInfo.path}/${plugin.name}`;
    const vendor = await src.preparePhpunit(tree, php.version === '8.2' ? '8.3' : php.version, {
      offline: true,
    });
    const moodle = path.join(work, `moodle-${spec}`);
    scratchTree(tree.root, moodle);
    const dataroot = path.join(work, `data-${spec}`);
    const phpunitData = path.join(work, `phpunitdata-${spec}`);
    mkdirSync(dataroot, { recursive: true });
    const extra = `$CFG->phpunit_prefix = 'phpu_';\n$CFG->phpunit_dataroot = ${phpString(phpunitData)};\n`;
    inject(moodle, 'vendor', vendor.dir);
    inject(moodle, `${prefix}${installPath}`, pluginDir);
    const db = `moodle_${spec.replace(/\W/g, '')}`;
    pg.client('createdb', ['-E', 'UTF8', '-T', 'template0', db]);
    inject(moodle, 'config.php', {
      content: pgConfig({ port: pg.port, dataroot, extra }).replace(
        "$CFG->dbname    = 'moodle';",
        `$CFG->dbname    = '${db}';`,
      ),
    });
    const run = (script, args, cwd) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(
        php.bin,
        [...Object.entries(INI).flatMap(([k, v]) => ['-d', `${k}=${v}`]), script, ...args],
        {
          cwd,
          env: { PATH: process.env.PATH ?? '' },
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
        },
      );
      return {
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
        status: r.status,
        out: `${r.stdout}\n${r.stderr}`,
      };
    };
    const util = path.join(moodle, prefix, 'admin/tool/phpunit/cli/util.php');
    const init = run(util, ['--install'], path.dirname(util));
    if (init.status !== 0) return { failed: `util.php --install: ${init.out.slice(-1500)}` };
    const conf = run(util, ['--buildconfig'], path.dirname(util));
    if (conf.status !== 0) return { failed: `util.php --buildconfig: ${conf.out.slice(-1500)}` };
    const suites = src
      .discoverTests(pluginDir, plugin.component)
      .map((c) => `${c.component}_testsuite`)
      .join(',');
    const junit = path.join(work, `native-${spec}.xml`);
    const suite = run(
      path.join(moodle, 'vendor/phpunit/phpunit/phpunit'),
      ['--testsuite', suites, '--log-junit', junit, '--do-not-cache-result', '--colors=never'],
      moodle,
    );
    if (!existsSync(junit))
      return { failed: `phpunit (exit ${suite.status}) wrote no JUnit: ${suite.out.slice(-2500)}` };
    return {
      initMs: init.ms,
      suiteMs: suite.ms,
      junit: readJunit(junit),
      summary: suite.out.trim().split('\n').slice(-3).join(' | '),
    };
  });
}

const php = nativePhp();
const bin = pgBinDir();
const src = await loadSrc();
const work = mkdtempSync(path.join(tmpdir(), 'mpc-bench-phpunit-'));
const pg = bin && php?.pgsql ? new Cluster(bin, work, await freePort()) : undefined;
try {
  pg?.start();
  for (const spec of branches) {
    console.log(`\n## ${path.basename(pluginDir)} on Moodle ${spec}`);
    if (process.env.MPC_BENCH_PHPUNIT_COLD) {
      const { tree } = await src.resolveMoodle({ spec, offline: true });
      const sites = path.join(src.cacheRoot(), 'sites');
      for (const d of readdirSync(sites))
        if (d.startsWith(`${tree.branch}-`) && d.includes('-phpunit-'))
          rmSync(path.join(sites, d), { recursive: true, force: true });
      const cold = wasmRun(spec, work);
      console.log(
        `php-wasm, cold test site: ${cold.phase?.detail ?? 'no phpunit phase'} — check wall ${(cold.ms / 1000).toFixed(1)} s, phase ${((cold.phase?.durationMs ?? 0) / 1000).toFixed(1)} s`,
      );
    }
    const wasm = wasmRun(spec, work);
    console.log(
      `php-wasm: ${wasm.phase?.detail ?? 'no phpunit phase'} — check wall ${(wasm.ms / 1000).toFixed(1)} s, phase ${((wasm.phase?.durationMs ?? 0) / 1000).toFixed(1)} s`,
    );
    // Moodle's PHPUnit bootstrap needs this locale (tool_phpunit: get_locale_name()).
    const locales = spawnSync('locale', ['-a'], { encoding: 'utf8' }).stdout ?? '';
    if (pg && !/^en_AU\.utf-?8$/im.test(locales)) {
      console.log(
        'native: not measured (no en_AU.UTF-8 locale, which Moodle’s PHPUnit needs: localedef -i en_AU -f UTF-8 en_AU.UTF-8)',
      );
      continue;
    }
    if (!pg) {
      console.log(
        `native: not measured (${!php ? 'no php' : !php.pgsql ? 'no pgsql extension' : 'no PostgreSQL binaries'})`,
      );
      continue;
    }
    const native = await nativeRun(src, php, pg, spec, work);
    if (native.skipped || native.failed) {
      console.log(`native: ${native.skipped ?? `failed: ${native.failed}`}`);
      continue;
    }
    console.log(
      `native PHP ${php.full} + PostgreSQL: test site init ${(native.initMs / 1000).toFixed(1)} s (cold), suite ${(native.suiteMs / 1000).toFixed(1)} s — ${native.summary}`,
    );
    console.log('| | tests | failures | errors | skipped |\n|---|---|---|---|---|');
    for (const [name, j] of [
      ['php-wasm', wasm.junit],
      ['native', native.junit],
    ])
      console.log(`| ${name} | ${j.tests} | ${j.failures} | ${j.errors} | ${j.skipped} |`);
    const differ = [];
    for (const [id, s] of native.junit.cases) {
      const w = wasm.junit.cases.get(id) ?? 'absent';
      if (w !== s) differ.push(`${id}: php-wasm ${w}, native ${s}`);
    }
    for (const id of wasm.junit.cases.keys())
      if (!native.junit.cases.has(id))
        differ.push(`${id}: php-wasm ${wasm.junit.cases.get(id)}, native absent`);
    console.log(
      differ.length === 0
        ? 'Same outcome for every test.'
        : `Differences (${differ.length}):\n${differ.map((d) => `- ${d}`).join('\n')}`,
    );
    const env = wasm.report.findings.filter((f) => f.ruleId === 'phpunit/skipped-by-environment');
    for (const f of env.slice(0, 20)) console.log(`  env: ${f.message.slice(0, 200)}`);
    for (const f of wasm.report.findings
      .filter((f) => /phpunit\/(error|failure)/.test(f.ruleId))
      .slice(0, 30))
      console.log(`  wasm ${f.ruleId}: ${f.message.split('\n')[0].slice(0, 240)}`);
  }
} finally {
  pg?.stop();
  rmSync(work, { recursive: true, force: true });
}
