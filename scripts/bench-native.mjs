// Native-PHP half of the Moodle part of `npm run bench` (issue 3): the same Moodle install and
// plugin install the php-wasm run does, on the host's `php`, for a WASM/native ratio per step.
// Bench only: `check` never runs native PHP (plugin code runs in WASM there).
//
// The site is assembled like src/moodle/site/site.ts does it, but on the host filesystem: a scratch
// copy of the cached Moodle tree (hard links when possible; every file we inject is unlinked
// first and written as a new file, so the cached tree is never written), config.php from the
// same template with host paths, our SQLite driver files, theme_mpc, the environment.xml
// Site.patchEnvironment() produces for the php-wasm run, and a dataroot + SQLite database.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
export const TIMEOUT_MS = Number(process.env.MPC_BENCH_NATIVE_TIMEOUT_MS ?? 30 * 60_000);
// The ini php-wasm runs Moodle with (Site.cli); php.ini's own settings stay as they are.
export const INI = {
  memory_limit: '1G',
  max_input_vars: '5000',
  display_errors: 'stderr',
  error_reporting: '32767',
  log_errors: '0',
  // php-wasm has no opcache; keep the native run comparable wherever php.ini enables it.
  'opcache.enable_cli': '0',
};

/**
 * Loads Site, phpFor, resolveMoodle, Plugin from src/ (the bench runs plain Node on .mjs).
 * Bundled inside node_modules/.cache so ourPhpDir() finds php/ by walking up, with the PHP
 * worker beside it for the case where patchEnvironment() is not cached and runs php-wasm.
 */
export async function loadSrc() {
  const { build } = await import('esbuild');
  const out = path.join(root, 'node_modules/.cache/mpc-bench-native');
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  };
  await build({
    ...common,
    stdin: {
      contents: [
        "export { Site, ourPhpDir, VFS, INSTALL_ARGS } from './src/moodle/site/site.ts';",
        "export { phpFor } from './src/pipeline/moodle.ts';",
        "export { resolveMoodle } from './src/moodle/source/resolve.ts';",
        "export { cacheRoot } from './src/moodle/source/cache-dir.ts';",
        "export { branchInfo } from './src/plugin/branches.ts';",
        "export { Plugin } from './src/plugin/plugin.ts';",
        "export { preparePhpunit } from './src/phpunit/run.ts';",
        "export { discoverTests } from './src/phpunit/suite.ts';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
    },
    outfile: path.join(out, 'site.mjs'),
  });
  await build({
    ...common,
    entryPoints: [path.join(root, 'src/php/php-worker.mjs')],
    outfile: path.join(out, 'php-worker.mjs'),
  });
  return import(`${path.join(out, 'site.mjs')}?t=${Date.now()}`);
}

/** The host's php: absolute path, "major.minor", pdo_sqlite, pgsql; undefined when there is none. */
export function nativePhp() {
  const which = spawnSync('sh', ['-c', 'command -v php'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (which.status !== 0 || bin === '') return undefined;
  const r = spawnSync(
    bin,
    [
      '-r',
      'echo PHP_VERSION, "|", extension_loaded("pdo_sqlite") ? 1 : 0, "|", extension_loaded("pgsql") ? 1 : 0;',
    ],
    { encoding: 'utf8' },
  );
  const [full = '', sqlite, pgsql] = r.stdout.trim().split('|');
  return {
    bin,
    full,
    version: full.split('.').slice(0, 2).join('.'),
    sqlite: sqlite === '1',
    pgsql: pgsql === '1',
  };
}

export const phpString = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const newer = (a, b) => {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am !== bm ? am > bm : an > bn;
};

/** Scratch copy of a read-only tree: hard links on the same filesystem, else a real copy. */
export function scratchTree(from, to) {
  const r = spawnSync('cp', ['-al', from, to], { encoding: 'utf8' });
  if (r.status === 0) return 'hard links';
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  return 'copy';
}

/** Puts a file or folder at rel in the scratch tree as NEW inodes (a hard link is never written). */
export function inject(tree, rel, source) {
  const target = path.join(tree, rel);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(path.dirname(target), { recursive: true });
  if (typeof source === 'string') cpSync(source, target, { recursive: true, filter: noGit });
  else writeFileSync(target, source.content);
}
const noGit = (src) => path.basename(src) !== '.git';

/** Files of the scratch tree still linked to the cache and modified since marker: must be none. */
export function writtenLinks(tree, marker) {
  const r = spawnSync('find', [tree, '-type', 'f', '-links', '+1', '-newer', marker], {
    encoding: 'utf8',
  });
  return r.stdout.split('\n').filter(Boolean);
}

/** A guard(step) that throws when a step wrote into a hard-linked (cached) file of the tree. */
export function guardMarker(work, moodle, links = writtenLinks) {
  const marker = path.join(work, 'marker');
  writeFileSync(marker, '');
  const past = new Date(Date.now() - 2000);
  utimesSync(marker, past, past);
  return (step) => {
    const bad = links(moodle, marker);
    if (bad.length > 0)
      throw new Error(
        `${step} wrote into hard-linked Moodle files (the cache!): ${bad.join(', ')}`,
      );
  };
}

/**
 * As Site.buildThemeIni(): install_database.php and upgrade.php end by building the CSS of
 * `theme` (theme_mpc, no SCSS, unless a theme is under test); config.php reads MPC_UPGRADE_THEME.
 */
export function themeIni(work, theme) {
  const file = path.join(work, `build_theme_${theme}.php`);
  writeFileSync(file, `<?php\ndefine('MPC_UPGRADE_THEME', ${phpString(theme)});\n`);
  return { auto_prepend_file: file };
}

/** php -d … script args, timed, with peak RSS from GNU time when present; env empty like php-wasm. */
/**
 * Installs Moodle in the scratch tree with install_database.php, building theme_mpc as Site does,
 * and checks nothing was written into the cached tree. `cli(f)` is admin/cli/f (it stays at the
 * root in the 5.1+ layout; only web-served files moved to public/).
 */
export function installMoodle(php, { src, work, moodle, guard }) {
  const cli = (f) => path.join(moodle, 'admin/cli', f);
  const cold = runPhp(
    php,
    cli('install_database.php'),
    src.INSTALL_ARGS,
    { ...INI, ...themeIni(work, 'mpc') },
    path.join(work, 'rss-install'),
  );
  guard('install_database.php');
  return { cli, cold };
}

/**
 * Puts the plugin into the scratch tree and installs it with upgrade.php, as Site.upgrade() does:
 * the theme under test, else SCSS-free theme_mpc, built at the end of upgrade.php.
 */
export function installPlugin(php, { work, moodle, rel, plugin, cli }) {
  inject(moodle, rel, plugin.root);
  const installPath = rel.replace(/^public\//, '');
  const theme = installPath.startsWith('theme/') ? installPath.slice('theme/'.length) : 'mpc';
  return runPhp(
    php,
    cli('upgrade.php'),
    ['--non-interactive', '--allow-unstable'],
    { ...INI, ...themeIni(work, theme) },
    path.join(work, 'rss-upgrade'),
  );
}

export function runPhp(php, script, args, ini, rssFile) {
  const phpArgv = [
    php.bin,
    ...Object.entries(ini).flatMap(([k, v]) => ['-d', `${k}=${v}`]),
    script,
    ...args,
  ];
  const time = existsSync('/usr/bin/time');
  const argv = time ? ['/usr/bin/time', '-f', '%M', '-o', rssFile, ...phpArgv] : phpArgv;
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd: path.dirname(script),
    env: {},
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  let rssKb = NaN;
  if (time && existsSync(rssFile)) {
    const last = readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) ?? '';
    rssKb = Number(last);
  }
  const tail = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.trim().split('\n').slice(-5).join(' | ');
  return { ms, rssKb, ok: r.status === 0, status: r.status ?? r.signal, tail };
}

/** The version Moodle recorded for a component in the SQLite database, or '' when none. */
function installedVersion(php, db, component) {
  const code =
    '$db = new PDO("sqlite:" . $argv[1]); $q = $db->prepare("SELECT value FROM mdl_config_plugins WHERE plugin = ? AND name = \'version\'"); $q->execute([$argv[2]]); echo $q->fetchColumn() ?: "";';
  return spawnSync(php.bin, ['-r', code, db, component], { encoding: 'utf8' }).stdout.trim();
}

/** Installs Moodle natively, then the plugin on a copy of the installed state; times both. */
async function measureBranch(src, php, spec, pluginDir, work) {
  const { tree } = await src.resolveMoodle({ spec, offline: true });
  const info = src.branchInfo(Number(tree.branch));
  const release = tree.release.replace(/ \(Build.*/, '');
  if (info && newer(info.phpMin, php.version))
    return {
      release,
      skipped: `native PHP ${php.version} too old for Moodle ${info.name} (needs ≥ ${info.phpMin})`,
    };
  // Moodle's installer refuses a PHP above the branch's ceiling (environment.xml).
  if (info && newer(php.version, info.phpMax))
    return {
      release,
      skipped: `native PHP ${php.version} too new for Moodle ${info.name} (supports ≤ ${info.phpMax})`,
    };
  const plugin = src.Plugin.load(pluginDir);
  if (!plugin.typeInfo || !plugin.name)
    return { release, skipped: `${pluginDir}: no install path for its component` };
  const installPath = `${plugin.typeInfo.path}/${plugin.name}`;
  const prefix = tree.layout === 'public' ? 'public/' : '';
  const ours = src.ourPhpDir();

  // The environment.xml the php-wasm run uses (same PHP version, so the same cache entry).
  const site = new src.Site({
    tree,
    phpVersion: src.phpFor(Number(tree.branch)),
    workDir: path.join(work, 'site'),
    timeoutMs: TIMEOUT_MS,
    cacheDir: path.join(src.cacheRoot(), 'sites'),
  });
  await site.patchEnvironment();

  const moodle = path.join(work, 'moodle');
  const how = scratchTree(tree.root, moodle);
  const persist = path.join(work, 'persist');
  mkdirSync(path.join(persist, 'moodledata'), { recursive: true });
  const template = readFileSync(path.join(ours, 'config/config.php.tpl'), 'utf8');
  const values = {
    WWWROOT: 'http://localhost',
    DATAROOT: path.join(persist, 'moodledata'),
    DBTYPE: 'sqlite3',
    DBLIBRARY: 'pdo',
    DBNAME: path.join(persist, 'moodle.sqlite'),
    STRING_MANAGER_FILE: path.join(ours, 'moodle/string_manager.php'),
    SODIUM_FALLBACK_FILE: path.join(ours, 'moodle/sodium_fallback.php'),
  };
  const config = template.replace(/\{\{([A-Z_]+)\}\}/g, (m, k) =>
    k in values ? phpString(values[k]) : m,
  );
  if (config.split('\n').some((l) => !l.trim().startsWith('//') && /\{\{[A-Z_]+\}\}/.test(l)))
    throw new Error('config.php.tpl has a placeholder bench-native.mjs does not fill');
  inject(moodle, 'config.php', { content: config });
  // Every other file Site injects into the tree for php-wasm (driver, patched environment.xml,
  // theme_mpc, …), taken from its mounts so the two runs cannot drift apart.
  for (const m of site.mounts()) {
    if (!m.vfsPath.startsWith(`${src.VFS.moodle}/`) || m.hostPath.startsWith(`${tree.root}/`))
      continue;
    const rel = m.vfsPath.slice(src.VFS.moodle.length + 1);
    if (rel !== 'config.php') inject(moodle, rel, m.hostPath);
  }

  // Anything Moodle writes in place into a hard-linked file would reach the cache: detect it.
  const guard = guardMarker(work, moodle);

  const { cli, cold } = installMoodle(php, { src, work, moodle, guard });
  if (!cold.ok)
    return { release, how, failed: `install_database.php: ${cold.status}: ${cold.tail}` };

  // Warm path: the installed state saved and restored as a copy, as Site.saveSnapshot/restoreSnapshot do.
  const saved = path.join(work, 'installed');
  cpSync(persist, saved, { recursive: true });
  const t0 = process.hrtime.bigint();
  rmSync(persist, { recursive: true, force: true });
  cpSync(saved, persist, { recursive: true });
  const restoreMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const up = installPlugin(php, { work, moodle, rel: `${prefix}${installPath}`, plugin, cli });
  guard('upgrade.php');
  if (!up.ok) return { release, how, failed: `upgrade.php: ${up.status}: ${up.tail}` };
  // Exit 0 is not enough: the plugin must be in the database, or the timing measured nothing.
  const version = installedVersion(php, path.join(persist, 'moodle.sqlite'), plugin.component);
  if (!version)
    return {
      release,
      how,
      failed: `upgrade.php exited 0 but ${plugin.component} is not installed`,
    };
  return {
    release,
    how,
    coldMs: cold.ms,
    restoreMs,
    installMs: up.ms,
    cold,
    up,
    installed: `${plugin.component} ${version}`,
  };
}

/** Phase durations (ms) of a php-wasm `check` JSON report, or undefined when it is absent. */
export function wasmPhases(file) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const phase = (n) => report.phases.find((p) => p.name === n)?.durationMs;
    return { provision: phase('provision'), install: phase('install'), php: report.moodle?.php };
  } catch {
    return undefined;
  }
}

/**
 * Prints the native table and returns its rows (for a bench JSON). wasmReport(branch, mode)
 * gives the path of the php-wasm `check` JSON report of that run (mode 'cold' or 'warm').
 */
export async function benchNative(options) {
  const rows = await benchNativeSqlite(options);
  // The moodle-plugin-ci way (native PHP + PostgreSQL), when both are on the machine (issue 13).
  const { benchNativePg } = await import('./bench-native-pg.mjs');
  // Native PostgreSQL against php-wasm on PostgreSQL (PGlite) when the bench ran it, else SQLite.
  const pgReport = options.pgReport ?? options.wasmReport;
  return [...rows, ...(await benchNativePg({ ...options, wasmReport: pgReport }))];
}

async function benchNativeSqlite({ branches, plugin, wasmReport }) {
  const php = nativePhp();
  if (!php) {
    console.log('Native PHP ratio: no `php` on the PATH, not measured.');
    return [];
  }
  if (!php.sqlite) {
    console.log(`Native PHP ratio: ${php.bin} (${php.full}) has no pdo_sqlite, not measured.`);
    return [];
  }
  const src = await loadSrc();
  // The ratio is only as good as the machine is quiet: say how busy it was.
  const loadBefore = loadavg()[0].toFixed(1);
  const rows = [];
  const hows = new Set();
  const s = (ms) => (ms === undefined ? '?' : (ms / 1000).toFixed(ms < 1000 ? 2 : 1));
  const ratio = (w, n) => (w === undefined || !n ? '?' : (w / n).toFixed(1));
  for (const b of branches) {
    const work = mkdtempSync(path.join(tmpdir(), 'mpc-bench-native-'));
    let m;
    try {
      m = await measureBranch(src, php, b, plugin, work);
    } catch (e) {
      m = { release: b, failed: e instanceof Error ? e.message : String(e) };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const cold = wasmPhases(wasmReport(b, 'cold'));
    const warm = wasmPhases(wasmReport(b, 'warm'));
    const base = { moodle: m.release, php: `${warm?.php ?? '?'} wasm / ${php.full}` };
    if (m.how) hows.add(m.how);
    if (m.skipped || m.failed) {
      rows.push({
        ...base,
        step: 'native',
        'wasm s': '',
        'native s': '',
        'wasm/native': '',
        'native peak RSS MB': '',
        note: m.skipped ?? `failed: ${m.failed}`,
      });
      continue;
    }
    const steps = [
      ['cold provision (install_database.php)', cold?.provision, m.coldMs, m.cold.rssKb],
      ['warm provision (installed state restored)', warm?.provision, m.restoreMs, NaN],
      [
        'plugin install (upgrade.php, warm)',
        warm?.install,
        m.installMs,
        m.up.rssKb,
        `${m.installed} in the db`,
      ],
    ];
    for (const [step, w, n, rss, note = ''] of steps)
      rows.push({
        ...base,
        step,
        'wasm s': s(w),
        'native s': s(n),
        'wasm/native': ratio(w, n),
        'native peak RSS MB': Number.isNaN(rss) ? '' : Math.round(rss / 1024),
        note,
      });
  }
  const load = `host load (1-min avg) ${loadBefore} → ${loadavg()[0].toFixed(1)}`;
  console.log(
    `\nSame steps on native PHP (${php.bin} ${php.full}, CLI, no opcache, same config.php/driver/environment.xml; scratch tree by ${[...hows].join('/') || 'none'}) — wasm/native per step; ${load}`,
  );
  console.table(rows);
  return rows;
}
