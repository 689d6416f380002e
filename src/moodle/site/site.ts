// Over 400 lines: Site is one object with one lifecycle (mounts, environment patching, install,
// upgrade, snapshot); its overlay, outcome summaries and the rules reading its output live apart.
import { createHash, randomBytes } from 'node:crypto';
import {
  constants as fsConstants,
  copyFileSync,
  cpSync,
  mkdtempSync,
  statfsSync,
  readdirSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import {
  createPhpRuntime,
  PhpCrashError,
  PhpTimeoutError,
  type PhpCliOptions,
  type PhpCliResult,
  type PhpCrashKind,
  type PhpHttpRequest,
  type PhpHttpResponse,
  type PhpMount,
  type PhpRunLimits,
} from '../../php/runtime.js';
import { PgliteDatabase, pgliteEntry, PGLITE_SPEC } from '../../php/pglite.js';
import { UserError } from '../../core/errors.js';
import { input } from '../../core/inputs.js';
import {
  PHP_WASM_VERSION,
  resolveRuntimePackage,
  type PhpVersion,
  type RuntimePackage,
} from '../../php/runtime-package.js';
import { branchInfo } from '../../plugin/branches.js';
import { overlayMounts, type Injection } from './overlay.js';
import type { MoodleTree } from '../source/tree.js';
import type { DatabaseSummary } from '../../report/model.js';

/** Where things live inside PHP's filesystem: the same paths as in Moodle Playground. */
export const VFS = {
  moodle: '/www/moodle',
  persist: '/persist',
  dataroot: '/persist/moodledata',
  db: '/persist/moodle.sqlite',
  ours: '/mpc',
  /** Files written for one run (e.g. prepended to upgrade.php), read-only to PHP. */
  run: '/mpc-run',
  /** PHPUnit's test site (the phpunit phase): its dataroot; its tables are phpu_* in the same database. */
  phpunitDataroot: '/persist/phpunitdata',
} as const;

/**
 * The database a site runs on: `postgres` is Moodle's own PostgreSQL driver on PGlite (a real
 * PostgreSQL in WebAssembly, in the process); `sqlite` is our SQLite driver (not a database Moodle
 * supports).
 */
export type DbKind = 'postgres' | 'sqlite';
export const DB_KINDS: readonly DbKind[] = ['postgres', 'sqlite'];

/** The driver files each database injects into lib/ (public/lib/ from 5.1). */
export const DRIVER_FILES: Record<DbKind, readonly string[]> = {
  sqlite: [
    'dml/sqlite3_pdo_moodle_database.php',
    'dml/sqlite3_pdo_moodle_recordset.php',
    'ddl/sqlite_sql_generator.php',
  ],
  postgres: ['dml/pglite_native_moodle_database.php', 'dml/pglite_bridge.php'],
};

/**
 * The PostgreSQL cluster of a site: a folder beside persist/ (PHP cannot see it), and in a
 * snapshot a folder beside moodledata/, written last: a snapshot without it is not one.
 */
const PG_DIR = 'pgdata';

/**
 * Where a site's PostgreSQL cluster lives while it runs: on Linux, a private folder in /dev/shm
 * (RAM) when it has room; else beside the site's other files. Measured on a 2-core VM: copying
 * the 87 MB cluster of an installed Moodle 4.5 takes 0.16 s into tmpfs and 1.4–1.9 s onto the
 * disk once a few runs have left the page cache dirty, and every write of PostgreSQL follows the
 * same path. MPC_PG_TMPFS=0 keeps it on disk. Folders of processes that died are swept.
 */
function clusterHome(workDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const shm = '/dev/shm';
  if (process.platform === 'linux' && env.MPC_PG_TMPFS !== '0') {
    try {
      const fs = statfsSync(shm);
      if (fs.bavail * fs.bsize > 2 * 1024 ** 3) {
        sweepClusters(shm);
        return mkdtempSync(path.join(shm, `mpc-pg-${process.pid}-`));
      }
    } catch {
      // no /dev/shm, or not writable: use the disk
    }
  }
  return path.join(workDir, PG_DIR);
}

/** Removes cluster folders that processes no longer running left in `dir`. */
function sweepClusters(dir: string): void {
  for (const name of readdirSync(dir)) {
    const pid = /^mpc-pg-(\d+)-/.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue; // alive, another user's
      try {
        rmSync(path.join(dir, name), { recursive: true, force: true });
      } catch {
        // not ours to remove (another user's folder): leave it
      }
    }
  }
}

/**
 * Copies a folder with Node's native copy (copy-on-write clones where the filesystem has them).
 * No filter: with one, cpSync walks in JavaScript, 1.5 s instead of 0.2 s for a cluster's ~3,600
 * files.
 */
function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true, mode: fsConstants.COPYFILE_FICLONE });
}

/**
 * Removes the symbolic links in a folder about to become a snapshot: a cluster or dataroot of ours
 * has none, and one made by SQL (CREATE TABLESPACE) or PHP must not travel into the cache.
 */
function dropSymlinks(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink()) rmSync(path.join(entry.parentPath, entry.name), { force: true });
  }
}

/** One thing we changed to make Moodle run here; every one is listed in the report. */
export interface Adjustment {
  rule: string;
  moodle?: string;
  detail: string;
}

export interface SiteOptions {
  tree: MoodleTree;
  phpVersion: PhpVersion;
  /** The database (default sqlite). */
  db?: DbKind;
  /** A fresh host folder for this run (config.php, patched files, database, dataroot). */
  workDir: string;
  /** Default limit for each PHP call. */
  timeoutMs: number;
  /**
   * Where results that depend only on Moodle, PHP and our PHP files are kept between runs
   * (patched environment.xml, the runtime's extension list); none when undefined.
   */
  cacheDir?: string;
  /**
   * Bounds of every PHP run (see PhpRuntimeOptions): output kept per stream, bytes written into
   * the site's files; the runtime's defaults (8 MiB, 2 GiB) when unset.
   */
  limits?: { maxOutputBytes?: number; diskQuotaBytes?: number };
}

/** Output and bounds of a PHP run that did not exit by itself. */
export type StoppedRun = { stdout: string; stderr: string } & PhpRunLimits;

/**
 * How one run of upgrade.php ended: PHP exited (with any code), was stopped at the time limit,
 * or crashed while it ran (the code it ran caused it, so it is the plugin's finding, not ours).
 */
export type UpgradeOutcome =
  | ({ ended: 'exited' } & PhpCliResult)
  | ({ ended: 'timeout'; timeoutMs: number } & StoppedRun)
  | ({ ended: 'crashed'; crash: PhpCrashKind; detail: string } & StoppedRun);

const stopped = (e: PhpTimeoutError | PhpCrashError): StoppedRun => ({
  stdout: e.stdout,
  stderr: e.stderr,
  stdoutDroppedBytes: e.stdoutDroppedBytes,
  stderrDroppedBytes: e.stderrDroppedBytes,
  maxOutputBytes: e.maxOutputBytes,
  writtenBytes: e.writtenBytes,
  diskQuotaExceeded: e.diskQuotaExceeded,
  diskQuotaBytes: e.diskQuotaBytes,
});

/** Site.server(): a warm PHP serving the site's pages one request at a time. */
export interface SiteServer {
  request(
    request: PhpHttpRequest,
    timeoutMs?: number,
    pathAliases?: { urlPrefix: string; fsPath: string }[],
  ): Promise<PhpHttpResponse>;
  /** A fresh PHP for the next request: call it after another PHP run (an upgrade) changed the site. */
  recycle(): Promise<void>;
  close(): Promise<void>;
}

export interface PluginMount {
  /** Host folder of the plugin checkout (mounted read-only). */
  dir: string;
  /** Install path relative to the web root, e.g. `mod/board`. */
  installPath: string;
  /** The author edits it while the site runs (`serve`): its lookups are never memoised. */
  changing?: boolean;
}

/** The PHP files we ship into Moodle (php/ at the package root, beside src/ and dist/). */
export function ourPhpDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, 'php/lib/dml/sqlite3_pdo_moodle_database.php')))
      return path.join(dir, 'php');
    dir = path.dirname(dir);
  }
  throw new Error('moodle-plugin-check is incomplete: its php/ folder is missing.');
}

/** admin/cli/install_database.php arguments of every site (the bench's native run uses them too). */
export const INSTALL_ARGS: readonly string[] = [
  '--agree-license',
  '--adminuser=admin',
  '--adminpass=Admin-1234',
  '--adminemail=admin@example.com',
  '--fullname=moodle-plugin-check',
  '--shortname=mpc',
];

/**
 * php-wasm runs OPcache in file_cache_only mode with its cache in the runtime's own in-memory
 * filesystem, so nothing is reused from one PHP run to the next; within a run it costs more than it
 * saves: every include is looked up in that cache, optimised, serialised and written to it (a
 * folder per path level), and its memory is kept until the request ends. Measured on mod_board,
 * Moodle 4.5: warm plugin install 7.1 s → 5.3 s, peak RSS 515 → 425 MB; cold install 31 → 29 s.
 * Only Moodle 4.1's installer, which re-includes db/access.php ~54,000 times, is ~10% slower.
 */
const NO_OPCACHE = { 'opcache.enable': '0', 'opcache.enable_cli': '0' } as const;

/** php.ini of a web request (Moodle sets display_errors itself from $CFG->debugdisplay). */
const WEB_INI = {
  max_input_vars: '5000',
  display_errors: '0',
  log_errors: '0',
  ...NO_OPCACHE,
} as const;

/** PHP single-quoted literal. */
const phpString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * A Moodle site for one run: the cached tree read-only, our driver and config injected, a
 * writable /persist with the database and dataroot. Nothing outside workDir is written.
 */
export class Site {
  /** Sees what each PHP run prints as it streams (live progress); output is still returned whole. */
  onStdout: ((chunk: string) => void) | undefined;
  readonly adjustments: Adjustment[] = [];
  private readonly runDir: string;
  private readonly persistDir: string;
  private readonly php: string;
  private readonly webPrefix: string;
  private plugin: PluginMount | undefined;
  /** Added by blueprints: plugins they install (web-root relative) and writable places. */
  private readonly extraInjections: Injection[] = [];
  private readonly extraMounts: PhpMount[] = [];
  /** The running PostgreSQL of a postgres site, started at its first PHP run. */
  private pg: Promise<PgliteDatabase> | undefined;
  /** Host folder of the site's PostgreSQL cluster (a postgres site only). */
  private readonly pgDir: string;

  constructor(readonly options: SiteOptions) {
    this.runDir = path.join(options.workDir, 'run');
    this.persistDir = path.join(options.workDir, 'persist');
    this.pgDir = this.db === 'postgres' ? clusterHome(options.workDir) : '';
    this.php = ourPhpDir();
    this.webPrefix = options.tree.layout === 'public' ? 'public/' : '';
    mkdirSync(this.runDir, { recursive: true });
    mkdirSync(path.join(this.persistDir, 'moodledata'), { recursive: true });
    mkdirSync(path.join(this.runDir, 'prepend'), { recursive: true });
    this.writeConfig();
    copyFileSync(
      path.join(options.tree.webRoot, 'admin/environment.xml'),
      path.join(this.runDir, 'environment.xml'),
    );
  }

  /** Installs the plugin under test at its path from the next PHP call on. */
  setPlugin(plugin: PluginMount): void {
    this.plugin = plugin;
  }

  /** Moodle's $CFG->wwwroot and what PHP's requests say they were sent to. */
  private wwwrootValue = 'http://localhost';
  /** A blueprint's phpConstants, defined in config.php before Moodle's setup. */
  private constants: Record<string, string | number | boolean> = {};

  /**
   * Defines PHP constants (a blueprint's `phpConstants`) in config.php from the next PHP call on,
   * each `if (!defined(...))`, as the Moodle Playground writes them. Names are checked here too:
   * only `[A-Z_][A-Z0-9_]*` reaches PHP, and values are PHP literals, never code.
   */
  definePhpConstants(constants: Readonly<Record<string, string | number | boolean>>): void {
    for (const [name, value] of Object.entries(constants)) {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`not a PHP constant name: ${name}`);
      if (typeof value === 'number' && !Number.isFinite(value))
        throw new Error(`${name}: not a finite number`);
      this.constants[name] = value;
    }
    this.writeConfig();
  }

  get wwwroot(): string {
    return this.wwwrootValue;
  }

  /**
   * Serves the site at another address (`serve`: http://127.0.0.1:PORT) from the next PHP call
   * on. Moodle keeps URLs in its caches (theme CSS, JS): purge them after a change.
   */
  setWwwroot(url: string): void {
    this.wwwrootValue = url.replace(/\/+$/, '');
    this.writeConfig();
  }

  get db(): DbKind {
    return this.options.db ?? 'sqlite';
  }

  /** The site's PostgreSQL (started on first use); rejects when it cannot start. */
  database(): Promise<PgliteDatabase> {
    if (this.db !== 'postgres') return Promise.reject(new Error('This site runs on SQLite.'));
    const quota = this.options.limits?.diskQuotaBytes;
    this.pg ??= pgliteEntry().then(
      (entry) =>
        PgliteDatabase.start({
          entry,
          dataDir: this.pgDir,
          ...(quota !== undefined ? { maxGrowthBytes: quota } : {}),
        }),
      (e: unknown) => {
        // Not in node_modules nor the cache, and no registry: the environment, not a bug.
        throw new UserError(
          `PGlite (the PostgreSQL of ${input('db', 'postgres')}) is not in the cache and could not be downloaded: ${(e as Error).message}`,
          `Run once where registry.npmjs.org is reachable (it is then cached), or use ${input('db', 'sqlite')}.`,
        );
      },
    );
    return this.pg;
  }

  /**
   * Runs one PHP call with a database session when the site is on PostgreSQL. A database that
   * failed (stopped for a statement that never ended, out of memory) fails the call with why.
   */
  private async withDb<T>(run: (db: MessagePort | undefined) => Promise<T>): Promise<T> {
    if (this.db !== 'postgres') return run(undefined);
    const session = await this.dbSession();
    try {
      return await run(session.port);
    } finally {
      await session.end();
    }
  }

  /** A session of the site's PostgreSQL for one PHP run; a database that failed says why. */
  private async dbSession(): Promise<{ port: MessagePort; end: () => Promise<void> }> {
    const db = await this.database();
    if (db.failed !== undefined)
      throw new Error(`The site’s PostgreSQL cannot be used: ${db.failed}`);
    return db.session();
  }

  /** The database, for the report (starts PostgreSQL if it does not run yet). */
  async databaseSummary(): Promise<DatabaseSummary> {
    if (this.db === 'postgres') {
      const db = await this.database();
      return {
        kind: 'postgres',
        engine: `PostgreSQL ${db.serverVersion} (PGlite ${PGLITE_SPEC.version}, in-process)`,
        supported: true,
      };
    }
    return {
      kind: 'sqlite',
      engine: 'SQLite (moodle-plugin-check’s sqlite3 driver)',
      supported: false,
      note: 'SQLite is not a database Moodle supports: SQL that PostgreSQL, MySQL and MariaDB judge differently (strict types, GROUP BY, vendor functions) can pass or fail here unlike there; run on postgres for a real database’s verdict',
    };
  }

  /** Stops the site's PostgreSQL, if it runs. The work folder is the caller's to remove. */
  async close(): Promise<void> {
    await this.stopDatabase();
    if (this.pgDir !== '' && !this.pgDir.startsWith(this.options.workDir))
      rmSync(this.pgDir, { recursive: true, force: true });
  }

  private async stopDatabase(): Promise<void> {
    const pg = this.pg;
    this.pg = undefined;
    if (pg) await pg.then((db) => db.close()).catch(() => undefined);
  }

  /** Folder of the database and dataroot, for snapshots. */
  get persistPath(): string {
    return this.persistDir;
  }

  mounts(): PhpMount[] {
    const injections: Injection[] = [
      { rel: 'config.php', hostPath: path.join(this.runDir, 'config.php') },
      {
        rel: `${this.webPrefix}admin/environment.xml`,
        hostPath: path.join(this.runDir, 'environment.xml'),
      },
      ...DRIVER_FILES[this.db].map((f) => ({
        rel: `${this.webPrefix}lib/${f}`,
        hostPath: path.join(this.php, 'lib', f),
      })),
      { rel: `${this.webPrefix}theme/mpc`, hostPath: path.join(this.php, 'moodle/theme_mpc') },
    ];
    if (this.plugin)
      injections.push({
        rel: `${this.webPrefix}${this.plugin.installPath}`,
        hostPath: this.plugin.dir,
        ...(this.plugin.changing ? { changing: true } : {}),
      });
    injections.push(...this.extraInjections);
    return [
      ...overlayMounts(this.options.tree.root, VFS.moodle, injections),
      { hostPath: this.php, vfsPath: VFS.ours, readOnly: true },
      // Written by us between requests of a warm server (login and setup arguments).
      {
        hostPath: path.join(this.runDir, 'prepend'),
        vfsPath: VFS.run,
        readOnly: true,
        changing: true,
      },
      { hostPath: this.persistDir, vfsPath: VFS.persist, readOnly: false },
      ...this.extraMounts,
    ];
  }

  /** The VFS folder Moodle's URLs are served from (`public/` from 5.1). */
  get webRootVfs(): string {
    return `${VFS.moodle}${this.webPrefix === '' ? '' : `/${this.webPrefix.slice(0, -1)}`}`;
  }

  /**
   * Shows a host folder or file at `rel` under the Moodle root (`public/mod/board` on 5.1+; e.g. a
   * plugin a blueprint installs) from the next PHP call on; the cached tree is untouched.
   * Returns a remover.
   */
  inject(rel: string, hostPath: string): () => void {
    const injection: Injection = { rel, hostPath };
    this.extraInjections.push(injection);
    return () => {
      const i = this.extraInjections.indexOf(injection);
      if (i >= 0) this.extraInjections.splice(i, 1);
    };
  }

  /** An extra mount for every later PHP call (e.g. a writable /tmp that lasts the run). */
  addMount(mount: PhpMount): void {
    this.extraMounts.push(mount);
  }

  /** Writes a file PHP sees read-only at `${VFS.run}/<name>` (arguments for our helper scripts). */
  writeRunFile(name: string, data: string | Uint8Array): string {
    writeFileSync(path.join(this.runDir, 'prepend', name), data);
    return `${VFS.run}/${name}`;
  }

  /** Serves one HTTP request (http://localhost, Moodle's wwwroot) in a fresh runtime. */
  async request(
    request: PhpHttpRequest,
    timeoutMs = this.options.timeoutMs,
    pathAliases: { urlPrefix: string; fsPath: string }[] = [],
  ): Promise<PhpHttpResponse> {
    const runtime = await createPhpRuntime({
      phpVersion: this.options.phpVersion,
      mounts: this.mounts(),
      ...this.options.limits,
    });
    return this.withDb((db) =>
      runtime.request(request, {
        documentRoot: this.webRootVfs,
        absoluteUrl: this.wwwroot,
        pathAliases,
        timeoutMs,
        memoryLimit: '1G',
        ini: WEB_INI,
        ...(db ? { db } : {}),
      }),
    );
  }

  /**
   * A warm web server on the site as it is mounted now (runtime-server.ts): requests one at a
   * time, each with its own database session, as Site.request() serves them. Close it when done.
   */
  async server(extraIni: Record<string, string> = {}): Promise<SiteServer> {
    const runtime = await createPhpRuntime({
      phpVersion: this.options.phpVersion,
      mounts: this.mounts(),
      ...this.options.limits,
    });
    const server = runtime.server({ memoryLimit: '1G', ini: { ...WEB_INI, ...extraIni } });
    const db = this.db === 'postgres' ? () => this.dbSession() : undefined;
    return {
      request: (request, timeoutMs = this.options.timeoutMs, pathAliases = []) =>
        server.request(
          {
            ...request,
            documentRoot: this.webRootVfs,
            absoluteUrl: this.wwwroot,
            pathAliases,
          },
          { timeoutMs, ...(db ? { db } : {}) },
        ),
      recycle: () => server.recycle(),
      close: () => server.close(),
    };
  }

  /** Runs `php <script> <args>` with Moodle's needs (max_input_vars, memory) in a fresh runtime. */
  async cli(
    script: string,
    args: readonly string[],
    timeoutMs = this.options.timeoutMs,
    extraIni: Record<string, string> = {},
    progress: Pick<
      PhpCliOptions,
      'onProgress' | 'timeoutRestartsOnProgress' | 'maxTotalMs' | 'memoryLimit'
    > = {},
  ): Promise<PhpCliResult> {
    const runtime = await createPhpRuntime({
      phpVersion: this.options.phpVersion,
      mounts: this.mounts(),
      ...this.options.limits,
    });
    const listener = this.onStdout;
    return this.withDb((db) =>
      runtime.cli(['php', script, ...args], {
        ...(listener ? { onStdout: listener } : {}),
        cwd: path.posix.dirname(script),
        env: {},
        timeoutMs,
        memoryLimit: '1G',
        ...progress,
        ini: {
          max_input_vars: '5000',
          display_errors: 'stderr',
          error_reporting: String(32767),
          log_errors: '0',
          ...NO_OPCACHE,
          ...extraIni,
        },
        ...(db ? { db } : {}),
      }),
    );
  }

  /** Lower-case names of the PHP extensions this runtime has loaded (cached per runtime build). */
  async loadedExtensions(): Promise<Set<string>> {
    const pkg = await resolveRuntimePackage(this.options.phpVersion);
    const cached = this.cached<string[]>(
      `php-extensions-${this.options.phpVersion}-${PHP_WASM_VERSION}${pkg.intl ? '-intl' : ''}`,
    );
    const hit = cached?.read();
    if (hit) return new Set(hit);
    const names = await this.queryExtensions(pkg);
    cached?.write(names);
    return new Set(names);
  }

  private async queryExtensions(pkg: RuntimePackage): Promise<string[]> {
    const runtime = await createPhpRuntime({
      phpVersion: this.options.phpVersion,
      mounts: [],
      resolvedPackage: pkg,
    });
    const r = await runtime.cli(
      ['php', '-r', 'echo json_encode(array_map("strtolower", get_loaded_extensions()));'],
      {
        env: {},
        timeoutMs: 60_000,
      },
    );
    return JSON.parse(r.stdout.trim()) as string[];
  }

  /** A JSON file in the cache dir, written atomically; undefined without a cache dir. */
  private cached<T>(name: string): { read(): T | undefined; write(value: T): void } | undefined {
    const dir = this.options.cacheDir;
    if (dir === undefined) return undefined;
    const file = path.join(dir, `${name}.json`);
    return {
      read(): T | undefined {
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as T;
        } catch {
          return undefined; // absent or damaged: recompute
        }
      },
      write(value: T): void {
        mkdirSync(dir, { recursive: true });
        const tmp = `${file}.tmp-${process.pid}`;
        writeFileSync(tmp, JSON.stringify(value));
        renameSync(tmp, file);
      },
    };
  }

  /**
   * Adds the sqlite vendor and downgrades the extensions php-wasm lacks in our copy of
   * admin/environment.xml; Moodle's install and upgrade read that file, not the dataroot one.
   */
  async patchEnvironment(): Promise<void> {
    const flags = ['--optional-extension=sodium'];
    // intl is loaded when its ICU data could be had (runtime-package.ts); otherwise optional.
    if (!(await this.loadedExtensions()).has('intl')) flags.push('--optional-extension=intl');
    if (this.db === 'postgres') flags.push('--no-sqlite-vendor');
    const phpMax = branchInfo(Number(this.options.tree.branch))?.phpMax;
    if (phpMax !== undefined && Number(this.options.phpVersion) > Number(phpMax))
      flags.push('--lift-php-ceiling');
    const target = path.join(this.runDir, 'environment.xml');
    const key = createHash('sha256')
      .update(readFileSync(target))
      .update(readFileSync(path.join(this.php, 'tools/patch_environment.php')))
      .update(`${flags.join(' ')}|${this.options.phpVersion}|${PHP_WASM_VERSION}`)
      .digest('hex')
      .slice(0, 16);
    const cached = this.cached<{ xml: string; stdout: string }>(`environment-${key}`);
    let patched = cached?.read();
    if (!patched) {
      const work = path.join(this.persistDir, 'environment.xml');
      copyFileSync(target, work);
      const r = await this.cli(`${VFS.ours}/tools/patch_environment.php`, [
        `${VFS.persist}/environment.xml`,
        ...flags,
      ]);
      if (r.exitCode !== 0)
        throw new Error(`Patching environment.xml failed: ${r.stderr || r.stdout}`);
      patched = { xml: readFileSync(work, 'utf8'), stdout: r.stdout };
      rmSync(work);
      cached?.write(patched);
    }
    writeFileSync(target, patched.xml);
    const r = patched;
    const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
      adjustments?: Adjustment[];
      sodium?: boolean;
    };
    // Moodle encrypts with sodium from 4.3 (before that it fell back to OpenSSL by itself).
    if (report.sodium === false && Number(this.options.tree.branch) >= 403) {
      this.adjustments.push({
        rule: 'runtime/sodium-fallback',
        detail:
          'php-wasm has no sodium extension: sodium_crypto_secretbox*() (what Moodle’s \\core\\encryption uses) are provided on OpenSSL AES-256-GCM by moodle-plugin-check; sodium_crypto_box/sign are not available',
      });
    }
    // environment.xml has a section per Moodle version; only this version's is used.
    const all = report.adjustments ?? [];
    const name = branchInfo(Number(this.options.tree.branch))?.name;
    // Only this version's (none for 4.1, whose section requires neither extension); all of them
    // only for a branch we cannot name.
    const mine =
      name === undefined ? all : all.filter((a) => a.moodle === undefined || a.moodle === name);
    const seen = new Set<string>();
    for (const a of mine) {
      if (seen.has(`${a.rule}|${a.detail}`)) continue;
      seen.add(`${a.rule}|${a.detail}`);
      this.adjustments.push(a);
    }
  }

  async install(): Promise<PhpCliResult> {
    return this.cli(
      `${VFS.moodle}/admin/cli/install_database.php`,
      INSTALL_ARGS,
      this.options.timeoutMs,
      this.buildThemeIni('install_database.php', 'mpc'),
    );
  }

  /**
   * upgrade(), with the time limit and a crash of PHP as outcomes rather than errors: the phases
   * that install the plugin turn each into findings. A runtime that does not boot still throws.
   */
  async upgradeOutcome(): Promise<UpgradeOutcome> {
    try {
      return { ended: 'exited', ...(await this.upgrade()) };
    } catch (e) {
      if (e instanceof PhpTimeoutError)
        return { ended: 'timeout', timeoutMs: e.timeoutMs, ...stopped(e) };
      if (e instanceof PhpCrashError)
        return { ended: 'crashed', crash: e.kind, detail: e.detail, ...stopped(e) };
      throw e;
    }
  }

  async upgrade(): Promise<PhpCliResult> {
    const installPath = this.plugin?.installPath ?? '';
    const theme = installPath.startsWith('theme/') ? installPath.slice('theme/'.length) : 'mpc';
    return this.cli(
      `${VFS.moodle}/admin/cli/upgrade.php`,
      ['--non-interactive', '--allow-unstable'],
      this.options.timeoutMs,
      this.buildThemeIni('upgrade.php', theme),
    );
  }

  /**
   * install_database.php and upgrade.php end by building one theme's CSS: the theme under test,
   * else SCSS-free theme_mpc (config.php reads MPC_UPGRADE_THEME from this prepended file).
   */
  private buildThemeIni(script: string, theme: string): Record<string, string> {
    const adjustment: Adjustment = {
      rule: 'runtime/upgrade-theme',
      detail:
        theme === 'mpc'
          ? `admin/cli/${script} builds the CSS of theme_mpc (no SCSS; plugins’ styles.css still included) instead of the site theme’s SCSS, which takes 5–10 s in php-wasm and does not involve the plugin`
          : `admin/cli/${script} builds the CSS of theme_${theme} (the theme under test) instead of the site theme, so its SCSS is compiled`,
    };
    if (!this.adjustments.some((a) => a.rule === adjustment.rule && a.detail === adjustment.detail))
      this.adjustments.push(adjustment);
    const file = `build_theme_${theme}.php`;
    writeFileSync(
      path.join(this.runDir, 'prepend', file),
      `<?php\ndefine('MPC_UPGRADE_THEME', ${phpString(theme)});\n`,
    );
    return { auto_prepend_file: `${VFS.run}/${file}` };
  }

  /** Saves the installed database and dataroot as a snapshot (atomically). */
  async saveSnapshot(dir: string): Promise<void> {
    // Unique per save: checks of several versions can run in one process.
    const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    rmSync(tmp, { recursive: true, force: true });
    copyTree(this.persistDir, tmp);
    if (this.db === 'postgres') {
      // A cleanly shut down cluster: it opens in ~0.4 s, one left running needs crash recovery
      // (~1 s). The next PHP run starts PostgreSQL again on the site's own copy.
      const db = await this.database();
      if (db.failed !== undefined) throw new Error(`The site’s PostgreSQL failed: ${db.failed}`);
      await this.stopDatabase();
      copyTree(this.pgDir, path.join(tmp, PG_DIR));
    }
    dropSymlinks(tmp);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.dirname(dir), { recursive: true });
    renameSync(tmp, dir);
  }

  /**
   * Restores a snapshot saved by saveSnapshot(); false when there is none or, on PostgreSQL, its
   * cluster does not start (damaged): the caller then installs afresh and saves a new one.
   */
  async restoreSnapshot(dir: string): Promise<boolean> {
    const marker = this.db === 'postgres' ? path.join(PG_DIR, 'PG_VERSION') : 'moodle.sqlite';
    if (!existsSync(path.join(dir, marker))) return false;
    rmSync(this.persistDir, { recursive: true, force: true });
    if (this.db !== 'postgres') {
      copyTree(dir, this.persistDir);
      return true;
    }
    mkdirSync(this.persistDir, { recursive: true });
    for (const entry of readdirSync(dir)) {
      if (entry !== PG_DIR) copyTree(path.join(dir, entry), path.join(this.persistDir, entry));
    }
    await this.stopDatabase();
    rmSync(this.pgDir, { recursive: true, force: true });
    copyTree(path.join(dir, PG_DIR), this.pgDir);
    try {
      await this.database();
      return true;
    } catch {
      // A cluster that does not open: start over on an empty one.
      this.pg = undefined;
      rmSync(this.pgDir, { recursive: true, force: true });
      rmSync(this.persistDir, { recursive: true, force: true });
      mkdirSync(path.join(this.persistDir, 'moodledata'), { recursive: true });
      return false;
    }
  }

  private writeConfig(): void {
    const template = readFileSync(path.join(this.php, 'config/config.php.tpl'), 'utf8');
    const values: Record<string, string> = {
      WWWROOT: this.wwwroot,
      DATAROOT: VFS.dataroot,
      DBTYPE: this.db === 'postgres' ? 'pglite' : 'sqlite3',
      DBLIBRARY: this.db === 'postgres' ? 'native' : 'pdo',
      DBNAME: this.db === 'postgres' ? 'moodle' : VFS.db,
      STRING_MANAGER_FILE: `${VFS.ours}/moodle/string_manager.php`,
      SODIUM_FALLBACK_FILE: `${VFS.ours}/moodle/sodium_fallback.php`,
    };
    const config = template
      .replace(/\{\{([A-Z_]+)\}\}/g, (m, key: string) =>
        key in values ? phpString(values[key]!) : m,
      )
      // PHPUnit's test site (the phpunit phase): the same database with its own prefix, its own
      // dataroot. Not in the template: it does not shape the installed site (nor its cache key).
      .replace(
        /^require_once\(__DIR__ \. '\/lib\/setup\.php'\);/m,
        `$CFG->phpunit_prefix = 'phpu_';\n$CFG->phpunit_dataroot = ${phpString(VFS.phpunitDataroot)};\n\n$&`,
      );
    if (!config.includes('phpunit_prefix'))
      throw new Error('config.php.tpl no longer ends with require_once(lib/setup.php)');
    // php-wasm says SERVER_PORT 80 whatever port the request came to (it cannot read the port of
    // a Host header); Moodle would then redirect every request to its wwwroot. Only `serve` has one.
    const port = new URL(this.wwwroot).port;
    const defines = Object.entries(this.constants)
      .map(([name, v]) => {
        const literal =
          typeof v === 'string' ? phpString(v) : typeof v === 'boolean' ? String(v) : String(v);
        return `if (!defined('${name}')) {\n    define('${name}', ${literal});\n}\n`;
      })
      .join('');
    const withDefines =
      defines === '' ? config : config.replace(/^\$CFG->phpunit_prefix/m, `${defines}$&`);
    const fixed =
      port === ''
        ? withDefines
        : withDefines.replace(
            /^\$CFG->phpunit_prefix/m,
            `if (isset($_SERVER['HTTP_HOST'])) {\n    $_SERVER['SERVER_PORT'] = ${phpString(port)};\n}\n$&`,
          );
    writeFileSync(path.join(this.runDir, 'config.php'), fixed);
  }
}
