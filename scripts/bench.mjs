// npm run bench [plugin-dir ...]
// Static lint of each plugin in a fresh process: wall time, phase times, peak RSS, and the ratio
// to a baseline measured in the same run (a Node process that walks and reads the same files).
// Defaults to the bundled fixture plus every folder in $MPC_BENCH_PLUGINS (colon-separated
// list of plugin dirs or of folders of plugins). Moodle phases run once per php-wasm build:
// $MPC_BENCH_BUILDS (jspi,asyncify), else $MPC_PHP_WASM_BUILD, else both where Node has JSPI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROUNDS = Number(process.env.MPC_BENCH_ROUNDS ?? 5);
const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'bin/moodle-plugin-check.js');
const rss = path.join(root, 'scripts/bench-rss.mjs');
const baseline = path.join(root, 'scripts/bench-baseline.mjs');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const PHP_WASM = manifest.dependencies['@php-wasm/universal'];
const hasJspi = typeof globalThis.WebAssembly?.Suspending === 'function';
/** php-wasm builds to measure, the default build (what `check` picks here) first. */
const builds = (
  process.env.MPC_BENCH_BUILDS ??
  process.env.MPC_PHP_WASM_BUILD ??
  (hasJspi ? 'jspi,asyncify' : 'asyncify')
)
  .split(',')
  .filter(Boolean);
for (const b of builds) {
  if (b !== 'jspi' && b !== 'asyncify') throw new Error(`unknown php-wasm build ${b}`);
  if (b === 'jspi' && !hasJspi) throw new Error(`node ${process.version} has no JSPI`);
}

function plugins() {
  const args = process.argv.slice(2);
  const roots =
    args.length > 0
      ? args
      : [
          path.join(root, 'fixtures/plugins/mod_example'),
          ...(process.env.MPC_BENCH_PLUGINS ?? '').split(':').filter(Boolean),
        ];
  const out = [];
  for (const r of roots) {
    if (existsSync(path.join(r, 'version.php'))) out.push(r);
    else if (existsSync(r))
      for (const d of readdirSync(r).sort())
        if (existsSync(path.join(r, d, 'version.php'))) out.push(path.join(r, d));
  }
  return out;
}

/**
 * Runs `check` with the given arguments and a JSON report, on php-wasm `build` (default: the
 * first of `builds`); returns the timing and the report.
 */
function timeCheck(args, out, build = builds[0]) {
  const r = timeRun(
    [cli, 'check', ...args, '--format', 'json', '--output', out, '--fail-on', 'never'],
    build,
  );
  if (r.status !== 0) throw new Error(`check ${args.join(' ')} exited ${r.status}`);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  const phase = (name) => report.phases.find((p) => p.name === name)?.durationMs ?? 0;
  return { ...r, report, phase };
}

function timeRun(argv, build = builds[0]) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', rss, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, MPC_PHP_WASM_BUILD: build },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const m = /@@bench (\{.*\})/.exec(r.stderr);
  return { ms, rssKb: m ? JSON.parse(m[1]).maxRssKb : NaN, status: r.status, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tmp = mkdtempSync(path.join(tmpdir(), 'mpc-bench-'));
const rows = [];
for (const dir of plugins()) {
  const out = path.join(tmp, `${path.basename(dir)}.json`);
  const runs = [];
  const bases = [];
  for (let i = 0; i < ROUNDS; i++) {
    bases.push(timeRun([baseline, dir]));
    runs.push(timeCheck([dir, '--no-moodle', '--no-cs', '--no-prechecks'], out));
  }
  const { report, phase } = runs.at(-1);
  const wall = median(runs.map((r) => r.ms));
  const base = median(bases.map((r) => r.ms));
  rows.push({
    node: process.version,
    plugin: report.plugin.component ?? path.basename(dir),
    files: report.phases.find((p) => p.name === 'lint')?.detail?.match(/(\d+) files/)?.[1] ?? '?',
    'detect ms': phase('detect'),
    'lint ms': phase('lint'),
    'wall ms': Math.round(wall),
    'baseline ms': Math.round(base),
    'wall/baseline': (wall / base).toFixed(2),
    'peak RSS MB': Math.round(Math.max(...runs.map((r) => r.rssKb)) / 1024),
    findings: `${report.summary.errors}E ${report.summary.warnings}W ${report.summary.notices}N`,
  });
}
console.log(
  `moodle-plugin-check bench — static lint (--no-moodle), median of ${ROUNDS} runs, node ${process.version}`,
);
console.log('baseline = a Node process that walks and reads every file of the same plugin\n');
console.table(rows);

// The prechecker's families (coding-style, phpdoc, templates, javascript, css) with --no-moodle:
// cold (the plugin's phpcs cache removed) once, then warm, the median of the rounds; the baseline
// is native phpcs (Debian's php-cli, when it is on PATH) with the same tools and standard on the
// same plugin, no cache. MPC_BENCH_PRECHECKS=0 skips this part.
if (process.env.MPC_BENCH_PRECHECKS !== '0') {
  const { rmSync } = await import('node:fs');
  const { homedir } = await import('node:os');
  const cache =
    process.env.MPC_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'moodle-plugin-check');
  const toolDir = (vendor, name) => {
    const base = path.join(cache, 'composer', vendor, name);
    const commits = existsSync(base)
      ? readdirSync(base).filter((d) => /^[0-9a-f]{40}$/.test(d))
      : [];
    return commits.length ? path.join(base, commits[0]) : undefined;
  };
  const phpcs = toolDir('squizlabs', 'php_codesniffer');
  const standards = [
    toolDir('moodlehq', 'moodle-cs'),
    toolDir('phpcsstandards', 'phpcsextra'),
    toolDir('phpcsstandards', 'phpcsutils'),
  ];
  const hasPhp = spawnSync('php', ['--version']).status === 0;
  const preRows = [];
  for (const dir of plugins()) {
    const out = path.join(tmp, `${path.basename(dir)}-prechecks.json`);
    rmSync(path.join(cache, 'cs-cache'), { recursive: true, force: true });
    const cold = timeCheck([dir, '--no-moodle'], out);
    const warm = [];
    for (let i = 0; i < ROUNDS; i++) warm.push(timeCheck([dir, '--no-moodle'], out));
    const { report } = warm.at(-1);
    const ph = (name) => report.phases.find((p) => p.name === name);
    const t = (name) => {
      const p = ph(name);
      return p === undefined
        ? '—'
        : p.status === 'skipped'
          ? 'skip'
          : (p.durationMs / 1000).toFixed(2);
    };
    let native = NaN;
    if (hasPhp && phpcs && standards.every(Boolean)) {
      const branch = /for Moodle (\d+)\.(\d+)/.exec(ph('coding-style')?.detail ?? '');
      const start = process.hrtime.bigint();
      spawnSync('php', [
        '-d',
        'memory_limit=2G',
        path.join(phpcs, 'bin/phpcs'),
        '--runtime-set',
        'installed_paths',
        standards.join(','),
        ...(branch
          ? ['--runtime-set', 'moodleBranch', `${branch[1]}${branch[2].padStart(2, '0')}`]
          : []),
        '--standard=moodle',
        '--extensions=php',
        '--report=summary',
        '-q',
        dir,
      ]);
      native = Number(process.hrtime.bigint() - start) / 1e6;
    }
    const wall = median(warm.map((r) => r.ms));
    preRows.push({
      plugin: report.plugin.component ?? path.basename(dir),
      'cold wall s': (cold.ms / 1000).toFixed(2),
      'cold cs s': (cold.phase('coding-style') / 1000).toFixed(2),
      'warm wall s': (wall / 1000).toFixed(2),
      'cs s': t('coding-style'),
      'phpdoc s': t('phpdoc'),
      'templates s': t('templates'),
      'js s': t('javascript'),
      'css s': t('css'),
      'native phpcs s': Number.isNaN(native) ? 'n/a' : (native / 1000).toFixed(2),
      'warm/native': Number.isNaN(native) ? 'n/a' : (wall / native).toFixed(2),
      'peak RSS MB': Math.round(Math.max(cold.rssKb, ...warm.map((r) => r.rssKb)) / 1024),
      findings: `${report.summary.errors}E ${report.summary.warnings}W ${report.summary.notices}N`,
    });
  }
  console.log(
    `\nThe prechecker's families, check --no-moodle: cold once (no phpcs cache), warm the median of ${ROUNDS}; native phpcs = Debian php-cli, same tools and standard, no cache`,
  );
  console.table(preRows);
}

// Moodle phases: MPC_BENCH_MOODLE=4.5,5.0,5.2 (registered trees) installs MPC_BENCH_MOODLE_PLUGIN
// (default: the bundled example) on each, once cold (the cached installed site removed first) and
// once warm (restored from the cache).
const branches = (process.env.MPC_BENCH_MOODLE ?? '').split(',').filter(Boolean);
if (branches.length > 0) {
  const { rmSync, readdirSync: ls } = await import('node:fs');
  const { homedir } = await import('node:os');
  const cache =
    process.env.MPC_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'moodle-plugin-check');
  const plugin =
    process.env.MPC_BENCH_MOODLE_PLUGIN ?? path.join(root, 'fixtures/plugins/mod_example');
  const branchNo = (b) => {
    const [major, minor] = b.split('.');
    return `${major}${minor.padStart(2, '0')}`;
  };
  const moodleRows = [];
  const wasmReport = (b, mode, build = builds[0]) =>
    path.join(tmp, `moodle-${b}-${build}-${mode}.json`);
  // MPC_BENCH_DBS: the databases to compare (default both, side by side).
  const dbs = (process.env.MPC_BENCH_DBS ?? 'sqlite,postgres').split(',').filter(Boolean);
  for (const b of branches) {
    const sites = path.join(cache, 'sites');
    for (const build of builds) {
      for (const db of dbs) {
        for (const mode of ['cold', 'warm']) {
          if (mode === 'cold' && existsSync(sites)) {
            for (const d of ls(sites))
              if (d.startsWith(`${branchNo(b)}-`) && d.includes('-pg-') === (db === 'postgres'))
                rmSync(path.join(sites, d), { recursive: true, force: true });
          }
          const out =
            db === 'sqlite' ? wasmReport(b, mode, build) : wasmReport(b, `${mode}-${db}`, build);
          const { report, phase, ...r } = timeCheck(
            [plugin, '--moodle', b, '--offline', '--db', db],
            out,
            build,
          );
          moodleRows.push({
            node: process.version,
            'php-wasm': `${PHP_WASM} ${build}`,
            moodle: report.moodle.release.replace(/ \(Build.*/, ''),
            php: report.moodle.php,
            db,
            run: mode,
            'provision s': (phase('provision') / 1000).toFixed(1),
            'install s': (phase('install') / 1000).toFixed(1),
            'smoke s': (phase('smoke') / 1000).toFixed(1),
            'wall s': (r.ms / 1000).toFixed(1),
            'peak RSS MB': Math.round(r.rssKb / 1024),
            findings: `${report.summary.errors}E ${report.summary.warnings}W ${report.summary.notices}N`,
          });
        }
      }
    }
  }
  console.log(
    `\nMoodle phases (php-wasm) for ${path.basename(plugin)} on ${dbs.join(' and ')}; peak RSS is the whole process, PHP and PGlite worker threads included`,
  );
  console.table(moodleRows);
  // Warm full check, postgres against sqlite (the default database is decided by this ratio).
  if (dbs.includes('sqlite') && dbs.includes('postgres')) {
    const warm = (db) => moodleRows.filter((r) => r.run === 'warm' && r.db === db);
    const ratios = warm('postgres').map((pg, i) => ({
      moodle: pg.moodle,
      'php-wasm': pg['php-wasm'],
      'warm wall postgres/sqlite': (
        Number(pg['wall s']) / Number(warm('sqlite')[i]['wall s'])
      ).toFixed(2),
    }));
    console.table(ratios);
  }
  // The same installs on the host's native php (when there is one), for a WASM/native ratio
  // (against the default build).
  const { benchNative } = await import('./bench-native.mjs');
  await benchNative({
    branches,
    plugin,
    wasmReport: (b, mode) => wasmReport(b, mode),
    ...(dbs.includes('postgres')
      ? { pgReport: (b, mode) => wasmReport(b, `${mode}-postgres`) }
      : {}),
  });
}

// Smoke crawl: MPC_BENCH_SMOKE=<plugin dir>[:4.5] checks the plugin warm, with and without the
// smoke phase (--no-smoke is the baseline), alternating, MPC_BENCH_ROUNDS/2 (at least 2) times each.
const smokeBench = (process.env.MPC_BENCH_SMOKE ?? '').split(':').filter(Boolean);
if (smokeBench.length > 0) {
  const [dir, b = '4.5'] = smokeBench;
  const rounds = Math.max(2, Math.floor(ROUNDS / 2));
  const smokeRows = [];
  const out = path.join(tmp, 'smoke.json');
  // One unmeasured run first: the site snapshot and the runtime are warm for both.
  timeCheck([dir, '--moodle', b, '--offline', '--no-phpunit', '--no-smoke'], out);
  for (let i = 0; i < rounds; i++) {
    for (const smoke of [false, true]) {
      const args = [
        dir,
        '--moodle',
        b,
        '--offline',
        '--no-phpunit',
        ...(smoke ? [] : ['--no-smoke']),
      ];
      const { report, phase, ...r } = timeCheck(args, out);
      smokeRows.push({
        plugin: report.plugin.component,
        moodle: report.moodle.release.replace(/ \(Build.*/, ''),
        smoke: smoke ? 'on' : 'off (baseline)',
        pages: smoke ? (report.smoke ?? []).length : '',
        'smoke s': smoke ? (phase('smoke') / 1000).toFixed(1) : '',
        'slowest page ms': smoke ? Math.max(...(report.smoke ?? []).map((p) => p.ms)) : '',
        'wall s': (r.ms / 1000).toFixed(1),
        'peak RSS MB': Math.round(r.rssKb / 1024),
        findings: `${report.summary.errors}E ${report.summary.warnings}W ${report.summary.notices}N`,
      });
    }
  }
  console.log(
    `\nSmoke crawl (warm site), ${path.basename(dir)} on Moodle ${b}: with and without the phase`,
  );
  console.table(smokeRows);
  const wall = (on) =>
    median(smokeRows.filter((r) => (r.smoke === 'on') === on).map((r) => Number(r['wall s'])));
  console.log(`median wall with smoke / without: ${(wall(true) / wall(false)).toFixed(2)}`);
}

// The database bridge's cost per query (always: it needs no Moodle tree).
{
  const { benchBridge } = await import('./bench-bridge.mjs');
  await benchBridge(root);
}

// Blueprint: MPC_BENCH_BLUEPRINT=1 (5 courses, 50 users; see scripts/bench-blueprint.mjs).
if (process.env.MPC_BENCH_BLUEPRINT) {
  const { benchBlueprint } = await import('./bench-blueprint.mjs');
  benchBlueprint({
    root,
    tmp,
    timeRun,
    label: `node ${process.version}, php-wasm ${PHP_WASM} ${builds[0]}`,
  });
}

// Upgrade path: MPC_BENCH_UPGRADE=<old dir>:<new dir> (e.g. /work/upgrade-src/attendance-2022:
// /work/upgrade-src/attendance-latest) runs `check <new> --upgrade-from <old>` on each Moodle of
// MPC_BENCH_UPGRADE_MOODLE (default 4.5) with a warm site cache, and reports the upgrade-path phase.
const upgradePair = (process.env.MPC_BENCH_UPGRADE ?? '').split(':').filter(Boolean);
if (upgradePair.length === 2) {
  const [oldDir, newDir] = upgradePair;
  const rows = [];
  for (const b of (process.env.MPC_BENCH_UPGRADE_MOODLE ?? '4.5').split(',').filter(Boolean)) {
    const out = path.join(tmp, `upgrade-${b}.json`);
    const { report, phase, ...r } = timeCheck(
      [newDir, '--moodle', b, '--offline', '--upgrade-from', oldDir],
      out,
    );
    const u = report.upgrade;
    rows.push({
      node: process.version,
      'php-wasm': `${PHP_WASM} ${builds[0]}`,
      moodle: report.moodle?.release.replace(/ \(Build.*/, '') ?? '-',
      'from → to': u ? `${u.from.version} → ${u.to.version}` : '-',
      steps: u ? u.components.flatMap((c) => c.steps).filter((s) => s.ran).length : 0,
      'install s': (phase('install') / 1000).toFixed(1),
      'upgrade-path s': (phase('upgrade-path') / 1000).toFixed(1),
      'old install s': u ? (u.durationMs.oldInstall / 1000).toFixed(1) : '-',
      'upgrade s': u ? (u.durationMs.upgrade / 1000).toFixed(1) : '-',
      'wall s': (r.ms / 1000).toFixed(1),
      'peak RSS MB': Math.round(r.rssKb / 1024),
      status: report.phases.find((p) => p.name === 'upgrade-path')?.status ?? '-',
      findings: report.findings.filter((f) => /^(upgrade|schema)\//.test(f.ruleId)).length,
    });
  }
  console.log(
    `\nUpgrade path ${path.basename(oldDir)} → ${path.basename(newDir)} (php-wasm, SQLite)`,
  );
  console.table(rows);
}

// PHPUnit: MPC_BENCH_PHPUNIT=<plugin dir>[:4.5,5.0] runs the plugin's suite in php-wasm (the test
// site cold, then cached: MPC_BENCH_PHPUNIT_COLD=1 is set) and natively on PostgreSQL, same tree
// and packages (scripts/bench-phpunit.mjs), and prints counts, differences and times.
const phpunitBench = (process.env.MPC_BENCH_PHPUNIT ?? '').split(':').filter(Boolean);
if (phpunitBench.length > 0) {
  const [dir, list = '4.5'] = phpunitBench;
  execFileSync(
    process.execPath,
    [path.join(root, 'scripts/bench-phpunit.mjs'), dir, ...list.split(',')],
    {
      stdio: 'inherit',
      env: { ...process.env, MPC_BENCH_PHPUNIT_COLD: process.env.MPC_BENCH_PHPUNIT_COLD ?? '1' },
    },
  );
}

// Several versions in one job: MPC_BENCH_MATRIX=4.5,5.0,5.2 runs the Action (dist/action.js) on
// MPC_BENCH_MOODLE_PLUGIN (default: the bundled example) with those versions one after another,
// then side by side, on warm caches (see scripts/bench-matrix.mjs).
const matrix = (process.env.MPC_BENCH_MATRIX ?? '').split(',').filter(Boolean);
if (matrix.length > 1) {
  const { benchMatrix } = await import('./bench-matrix.mjs');
  const plugin =
    process.env.MPC_BENCH_MOODLE_PLUGIN ?? path.join(root, 'fixtures/plugins/mod_example');
  console.log(`\nSeveral Moodle versions in one Action job, ${path.basename(plugin)}, warm caches`);
  console.table([benchMatrix(plugin, matrix)]);
}
