// "The moodle-plugin-ci way", timed natively for `npm run bench` (issue 13): a throw-away
// PostgreSQL cluster, Moodle installed on it by admin/cli/install_database.php (cold), the plugin
// installed by admin/cli/upgrade.php --non-interactive on the restored installed state (warm), and
// the reset between runs by `createdb -T` and by pg_dump/pg_restore, each timed and set against the
// php-wasm (SQLite) rows of the same `npm run bench`. Bench only.
//
// Stock Moodle as moodle-plugin-ci runs it: a plain config.php with dbtype 'pgsql' (no SQLite
// driver, no memoising string manager, no sodium fallback, no environment.xml patch: native PHP
// has the extensions). One thing is kept as in the php-wasm run so the two measure the same work:
// install_database.php and upgrade.php build the CSS of SCSS-free theme_mpc (the theme under test
// for a theme), not Boost's SCSS — the same MPC_UPGRADE_THEME switch as Site.buildThemeIni().
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import {
  inject,
  loadSrc,
  nativePhp,
  newer,
  phpString,
  scratchTree,
  installMoodle,
  installPlugin,
  TIMEOUT_MS,
  wasmPhases,
  writtenLinks,
  guardMarker,
} from './bench-native.mjs';

const DB = 'moodle';
// Extra server settings, e.g. MPC_BENCH_PG_OPTIONS='fsync=off synchronous_commit=off' (default: none,
// PostgreSQL's defaults as a CI service container runs it).
const PG_OPTIONS = (process.env.MPC_BENCH_PG_OPTIONS ?? '').split(/\s+/).filter(Boolean);
const TEMPLATE = 'moodle_installed';

/** PostgreSQL's server binaries (initdb, pg_ctl, …): $MPC_BENCH_PG_BIN, the PATH, Debian's place. */
export function pgBinDir() {
  if (process.env.MPC_BENCH_PG_BIN) return process.env.MPC_BENCH_PG_BIN;
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  // Through symlinks (e.g. /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin): psql is there.
  if (which.status === 0 && which.stdout.trim())
    return path.dirname(realpathSync(which.stdout.trim()));
  const debian = '/usr/lib/postgresql';
  if (!existsSync(debian)) return undefined;
  const versions = readdirSync(debian)
    .filter((v) => existsSync(path.join(debian, v, 'bin/initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(debian, versions[0], 'bin') : undefined;
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A throw-away cluster on 127.0.0.1:port in dir, run as `postgres` when we are root. */
export class Cluster {
  constructor(bin, dir, port) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.data = path.join(dir, 'data');
    this.asRoot = process.getuid?.() === 0;
  }

  /** A server binary, as the postgres user when we are root (PostgreSQL refuses root). */
  server(cmd, args) {
    const argv = [path.join(this.bin, cmd), ...args];
    const full = this.asRoot ? ['runuser', '-u', 'postgres', '--', ...argv] : argv;
    const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0)
      throw new Error(
        `${cmd}: ${r.error?.message ?? r.status ?? r.signal}: ${`${r.stderr}${r.stdout}`.trim()}`,
      );
    return r;
  }

  /** A client binary (createdb, psql, pg_dump, …) over TCP as the postgres role; timed. */
  client(cmd, args) {
    const start = process.hrtime.bigint();
    const r = spawnSync(
      path.join(this.bin, cmd),
      ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', ...args],
      { encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
    );
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0)
      throw new Error(
        `${cmd} ${args.join(' ')}: ${r.error?.message ?? r.status ?? r.signal}: ${(r.stderr ?? '').trim()}`,
      );
    return { ms, stdout: r.stdout };
  }

  start() {
    if (this.asRoot) spawnSync('chown', ['-R', 'postgres:', this.dir]);
    // Defaults as a CI PostgreSQL service has them (fsync on); trust auth on loopback only.
    this.server('initdb', [
      '-D',
      this.data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-locale',
    ]);
    this.server('pg_ctl', [
      '-D',
      this.data,
      '-l',
      path.join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      [
        `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir}`,
        ...PG_OPTIONS.map((o) => `-c ${o}`),
      ].join(' '),
      'start',
    ]);
    this.started = true;
  }

  stop() {
    if (!this.started) return;
    this.started = false;
    try {
      this.server('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', 'stop']);
    } catch {
      try {
        this.server('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already gone.
      }
    }
  }

  version() {
    const q = (n) => this.client('psql', ['-d', 'postgres', '-tAc', `SHOW ${n}`]).stdout.trim();
    this.versionNum = Number(q('server_version_num'));
    return q('server_version');
  }
}

/** config.php as moodle-plugin-ci writes it for PostgreSQL, plus the theme switch (see top). */
export function pgConfig({ port, dataroot, extra = '' }) {
  return `<?php  // Moodle configuration file (bench-native-pg.mjs: the moodle-plugin-ci way).
unset($CFG);
global $CFG;
$CFG = new stdClass();

$CFG->dbtype    = 'pgsql';
$CFG->dblibrary = 'native';
$CFG->dbhost    = '127.0.0.1';
$CFG->dbname    = '${DB}';
$CFG->dbuser    = 'postgres';
$CFG->dbpass    = '';
$CFG->prefix    = 'mdl_';
$CFG->dboptions = ['dbport' => ${port}];

$CFG->wwwroot   = 'http://localhost';
$CFG->dataroot  = ${phpString(dataroot)};
$CFG->admin     = 'admin';
$CFG->directorypermissions = 02777;

$CFG->debug = E_ALL;
$CFG->debugdisplay = 1;
$CFG->noemailever = true;
$CFG->disableupdatenotifications = true;
$CFG->site_is_public = false;

// As in the php-wasm run: the CSS built at the end of install/upgrade is theme_mpc's (no SCSS).
if (defined('MPC_UPGRADE_THEME')) {
    $CFG->theme = MPC_UPGRADE_THEME;
}
${extra}
require_once(__DIR__ . '/lib/setup.php');
`;
}

/** Installs Moodle on the cluster, resets, installs the plugin, resets by dump/restore; timed. */
async function measureBranch(src, php, pg, spec, pluginDir, work) {
  const { tree } = await src.resolveMoodle({ spec, offline: true });
  const info = src.branchInfo(Number(tree.branch));
  const release = tree.release.replace(/ \(Build.*/, '');
  if (info && newer(info.phpMin, php.version))
    return { release, skipped: `native PHP ${php.version} too old (needs ≥ ${info.phpMin})` };
  if (info && newer(php.version, info.phpMax))
    return { release, skipped: `native PHP ${php.version} too new (supports ≤ ${info.phpMax})` };
  const plugin = src.Plugin.load(pluginDir);
  if (!plugin.typeInfo || !plugin.name)
    return { release, skipped: `${pluginDir}: no install path for its component` };
  const installPath = `${plugin.typeInfo.path}/${plugin.name}`;
  const prefix = tree.layout === 'public' ? 'public/' : '';
  const ours = src.ourPhpDir();

  const moodle = path.join(work, 'moodle');
  const how = scratchTree(tree.root, moodle);
  const dataroot = path.join(work, 'moodledata');
  mkdirSync(dataroot, { recursive: true });
  inject(moodle, 'config.php', { content: pgConfig({ port: pg.port, dataroot }) });
  inject(moodle, `${prefix}theme/mpc`, path.join(ours, 'moodle/theme_mpc'));
  const guard = guardMarker(work, moodle, writtenLinks);

  pg.client('createdb', ['-E', 'UTF8', '-T', 'template0', DB]);
  const { cli, cold } = installMoodle(php, { src, work, moodle, guard });
  if (!cold.ok)
    return { release, how, failed: `install_database.php: ${cold.status}: ${cold.tail}` };

  // The installed state kept as a template database + a dataroot copy (what a cache would hold).
  const saved = path.join(work, 'moodledata-installed');
  const t0 = process.hrtime.bigint();
  pg.client('createdb', [
    ...(pg.versionNum >= 150000 ? ['-S', 'file_copy'] : []),
    '-T',
    DB,
    TEMPLATE,
  ]);
  cpSync(dataroot, saved, { recursive: true });
  const saveMs = Number(process.hrtime.bigint() - t0) / 1e6;

  // Reset: drop the used database, clone the template, put the dataroot copy back.
  // PostgreSQL 15+ copies a template by WAL-logging every block unless told to copy the files.
  const strategy = pg.versionNum >= 150000 ? ['-S', 'file_copy'] : [];
  const t = process.hrtime.bigint();
  pg.client('dropdb', [DB]);
  pg.client('createdb', [...strategy, '-T', TEMPLATE, DB]);
  const resetDbMs = Number(process.hrtime.bigint() - t) / 1e6;
  rmSync(dataroot, { recursive: true, force: true });
  cpSync(saved, dataroot, { recursive: true });
  const resetMs = Number(process.hrtime.bigint() - t) / 1e6;

  const up = installPlugin(php, { work, moodle, rel: `${prefix}${installPath}`, plugin, cli });
  guard('upgrade.php');
  if (!up.ok) return { release, how, failed: `upgrade.php: ${up.status}: ${up.tail}` };
  const version = pg
    .client('psql', [
      '-d',
      DB,
      '-tAc',
      `SELECT value FROM mdl_config_plugins WHERE plugin = '${plugin.component}' AND name = 'version'`,
    ])
    .stdout.trim();
  if (!version)
    return {
      release,
      how,
      failed: `upgrade.php exited 0 but ${plugin.component} is not installed`,
    };

  // The other reset: a custom-format dump of the installed state restored into a fresh database.
  const dump = path.join(work, 'installed.dump');
  const dumpMs = pg.client('pg_dump', ['-Fc', '-Z', '0', '-f', dump, TEMPLATE]).ms;
  const t1 = process.hrtime.bigint();
  pg.client('dropdb', [DB]);
  pg.client('createdb', ['-E', 'UTF8', '-T', 'template0', DB]);
  pg.client('pg_restore', ['-d', DB, '--no-owner', dump]);
  const restoreDbMs = Number(process.hrtime.bigint() - t1) / 1e6;
  rmSync(dataroot, { recursive: true, force: true });
  cpSync(saved, dataroot, { recursive: true });
  const restoreMs = Number(process.hrtime.bigint() - t1) / 1e6;
  const tables = pg
    .client('psql', [
      '-d',
      DB,
      '-tAc',
      "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'mdl\\_%'",
    ])
    .stdout.trim();

  return {
    release,
    how,
    cold,
    up,
    saveMs,
    resetMs,
    resetDbMs,
    restoreDbMs,
    dumpMs,
    restoreMs,
    tables,
    installed: `${plugin.component} ${version}`,
  };
}

/**
 * Prints the native PostgreSQL table (or one line saying why not) and returns its rows.
 * wasmReport(branch, mode) gives the php-wasm `check` JSON report of this bench run.
 */
export async function benchNativePg({ branches, plugin, wasmReport }) {
  const php = nativePhp();
  const bin = pgBinDir();
  const why = !php
    ? 'no `php` on the PATH'
    : !php.pgsql
      ? `${php.bin} (${php.full}) has no pgsql extension`
      : !bin
        ? 'no PostgreSQL server binaries (initdb; set MPC_BENCH_PG_BIN)'
        : process.getuid?.() === 0 &&
            spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).status !== 0
          ? 'running as root and there is no `postgres` user to run PostgreSQL as'
          : undefined;
  if (why) {
    console.log(`\nNative PHP + PostgreSQL (the moodle-plugin-ci way): ${why}, not measured.`);
    return [];
  }
  const src = await loadSrc();
  const loadBefore = loadavg()[0].toFixed(1);
  const dir = mkdtempSync(path.join(tmpdir(), 'mpc-bench-pg-'));
  const pg = new Cluster(bin, dir, await freePort());
  // Stopped and deleted on every way out, Ctrl-C included.
  const cleanup = () => {
    pg.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (sig) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  process.once('exit', cleanup);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const rows = [];
  let server = '?';
  const s = (ms) => (ms === undefined ? '?' : (ms / 1000).toFixed(ms < 1000 ? 2 : 1));
  const ratio = (w, n) => {
    if (w === undefined || !n) return '?';
    const r = w / n;
    return r >= 1 ? r.toFixed(1) : r.toPrecision(2);
  };
  try {
    pg.start();
    server = pg.version();
    for (const b of branches) {
      const work = mkdtempSync(path.join(tmpdir(), 'mpc-bench-native-pg-'));
      let m;
      try {
        m = await measureBranch(src, php, pg, b, plugin, work);
      } catch (e) {
        m = { release: b, failed: e instanceof Error ? e.message : String(e) };
      } finally {
        rmSync(work, { recursive: true, force: true });
        for (const db of [DB, TEMPLATE]) {
          try {
            pg.client('dropdb', ['--if-exists', db]);
          } catch {
            // The next branch's createdb says so if it matters.
          }
        }
      }
      const cold = wasmPhases(wasmReport(b, 'cold'));
      const warm = wasmPhases(wasmReport(b, 'warm'));
      const base = { moodle: m.release };
      if (m.skipped || m.failed) {
        rows.push({ ...base, step: 'native-pg', note: m.skipped ?? `failed: ${m.failed}` });
        continue;
      }
      const steps = [
        [
          'cold install (install_database.php)',
          cold?.provision,
          m.cold.ms,
          m.cold.rssKb,
          'wasm: cold provision phase',
        ],
        [
          'plugin install (upgrade.php, warm)',
          warm?.install,
          m.up.ms,
          m.up.rssKb,
          `${m.installed} in the db`,
        ],
        [
          'reset (dropdb + createdb -T + dataroot copy)',
          warm?.provision,
          m.resetMs,
          NaN,
          `wasm: warm provision phase; db ${s(m.resetDbMs)} s; template saved in ${s(m.saveMs)} s`,
        ],
        [
          'reset (pg_restore + dataroot copy)',
          warm?.provision,
          m.restoreMs,
          NaN,
          `db ${s(m.restoreDbMs)} s; pg_dump -Fc ${s(m.dumpMs)} s; ${m.tables} mdl_ tables restored`,
        ],
      ];
      for (const [step, w, n, rss, note] of steps)
        rows.push({
          ...base,
          step,
          'php-wasm s': s(w),
          'native-pg s': s(n),
          'wasm/native': ratio(w, n),
          'native peak RSS MB': Number.isNaN(rss) ? '' : Math.round(rss / 1024),
          note,
        });
    }
  } catch (e) {
    rows.push({
      moodle: branches.join(','),
      step: 'native-pg',
      note: `failed: ${e instanceof Error ? e.message : String(e)}`,
    });
  } finally {
    cleanup();
    process.removeListener('exit', cleanup);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const load = `host load (1-min avg) ${loadBefore} → ${loadavg()[0].toFixed(1)}`;
  console.log(
    `\nThe moodle-plugin-ci way: native PHP (${php.bin} ${php.full}, CLI, no opcache) + PostgreSQL ${server} (throw-away cluster, ${PG_OPTIONS.length > 0 ? PG_OPTIONS.join(' ') : 'default settings'}), stock Moodle with a pgsql config.php; install and upgrade build theme_mpc's CSS as the php-wasm run does, not Boost's SCSS — wasm/native against the php-wasm rows above (PostgreSQL on PGlite when the bench ran it); ${load}`,
  );
  console.table(rows);
  return rows;
}
