// The Moodle a check runs on: which tree and PHP (chooseVersions, chooseMoodle), and the one place
// a site session is opened (openSite, withSite): a private work folder, a Site on it, brought to
// "Moodle installed" from the cached snapshot or by installing it once.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoadedBlueprint } from '../blueprint/types.js';
import { input } from '../core/inputs.js';
import { UserError } from '../core/errors.js';
import { TOOL } from '../core/version.js';
import { branchInfo } from '../plugin/branches.js';
import type { Plugin } from '../plugin/plugin.js';
import { cacheRoot } from '../moodle/source/cache-dir.js';
import { failureSummary } from '../moodle/site/outcome.js';
import { MOODLE_DOWNLOAD_DEADLINE_MS } from '../moodle/source/download.js';
import { DownloadError } from '../core/http.js';
import { resolveMoodle, type ResolvedMoodle } from '../moodle/source/resolve.js';
import { DB_KINDS, DRIVER_FILES, ourPhpDir, Site, type DbKind } from '../moodle/site/site.js';
import { PGLITE_SPEC } from '../php/pglite.js';
import {
  PHP_VERSIONS,
  PHP_WASM_VERSION,
  phpWasmBuild,
  type PhpVersion,
} from '../php/runtime-package.js';

export interface MoodleOptions {
  /** `--moodle`: branch, release or folder; default the newest branch the plugin targets. */
  spec?: string;
  /** `--php`; default the newest PHP the target Moodle supports. */
  php?: string;
  /** `--db`; default DEFAULT_DB. */
  db?: DbKind;
  /** Limit for each PHP run (install, upgrade), in ms. */
  timeoutMs: number;
  offline?: boolean;
  /** Bounds of each PHP run (output kept, bytes written); the runtime's defaults when unset. */
  limits?: Site['options']['limits'];
}

/** The database of a run when the user names none. */
export const DEFAULT_DB: DbKind = 'postgres';

/** The PHP to run a Moodle branch on: the newest it supports that php-wasm has. */
export function phpFor(branch: number, requested?: string): PhpVersion {
  if (requested !== undefined) {
    if (!(PHP_VERSIONS as readonly string[]).includes(requested)) {
      throw new UserError(
        `${input('php', requested)} is not available.`,
        `Use one of ${PHP_VERSIONS.join(', ')}.`,
      );
    }
    return requested as PhpVersion;
  }
  const max = branchInfo(branch)?.phpMax ?? '8.3';
  return (PHP_VERSIONS as readonly string[]).includes(max) ? (max as PhpVersion) : '8.3';
}

const SITE_SHAPING = ['lib/', 'moodle/', 'config/', 'tools/patch_environment.php'];

/**
 * Installed sites are reused across runs while Moodle, PHP, the database (and PGlite's version)
 * and our PHP files are the same.
 */
function snapshotKey(resolved: ResolvedMoodle, php: PhpVersion, db: DbKind): string {
  const hash = createHash('sha256');
  const ours = ourPhpDir();
  // Only what shapes the installed site; helper scripts (php/tools, php/blueprint) and the other
  // database's driver can change freely.
  const otherDriver = new Set(
    DB_KINDS.filter((k) => k !== db).flatMap((k) => DRIVER_FILES[k].map((f) => `lib/${f}`)),
  );
  const shaping = (f: string): boolean =>
    SITE_SHAPING.some((p) => f.startsWith(p)) && !otherDriver.has(f);
  for (const rel of listFiles(ours).filter(shaping))
    hash.update(rel).update(readFileSync(path.join(ours, rel)));
  hash.update(String(resolved.tree.version)).update(resolved.tree.root);
  // The compiled scripts it holds are those of one php-wasm build.
  hash.update(PHP_WASM_VERSION).update(phpWasmBuild());
  if (db === 'postgres') hash.update(PGLITE_SPEC.version);
  const dbPart = db === 'postgres' ? '-pg' : '';
  return `${resolved.tree.branch}-${String(resolved.tree.version)}-php${php}${dbPart}-mpc${TOOL.version}-${hash.digest('hex').slice(0, 12)}`;
}

function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, `${rel}${e.name}/`) : [`${rel}${e.name}`]));
}

/** A Moodle download is bounded by the run's own time limit too (`--timeout`). */
export function moodleDeadlineMs(timeoutMs: number | undefined): number {
  return Math.min(MOODLE_DOWNLOAD_DEADLINE_MS, timeoutMs ?? Infinity);
}

/**
 * Which Moodle and PHP: what the user asked for (command line or Action input) first, then the
 * blueprint's preferredVersions; what is left open is decided by chooseMoodle (the plugin's range).
 * A preferredVersions.php we do not ship is bad input naming the blueprint.
 */
export function chooseVersions(
  given: { spec?: string | undefined; php?: string | undefined },
  blueprint: LoadedBlueprint | undefined,
): { spec?: string; php?: string } {
  const preferred = blueprint?.blueprint.preferredVersions ?? {};
  if (
    given.php === undefined &&
    preferred.php !== undefined &&
    !(PHP_VERSIONS as readonly string[]).includes(preferred.php)
  )
    throw new UserError(
      `${blueprint?.source ?? 'blueprint'}: preferredVersions.php "${preferred.php}" is not available here.`,
      `Use one of ${PHP_VERSIONS.join(', ')}, or set ${input('php')}.`,
    );
  const spec = given.spec ?? preferred.moodle;
  const php = given.php ?? preferred.php;
  return { ...(spec !== undefined ? { spec } : {}), ...(php !== undefined ? { php } : {}) };
}

/**
 * The Moodle tree and PHP of a run: `spec` (else the newest branch the plugin targets, else the
 * newest available), and `php` (else the newest that Moodle supports). A bad PHP is bad input
 * before any download.
 */
export async function chooseMoodle(options: {
  spec?: string | undefined;
  php?: string | undefined;
  plugin?: Plugin | undefined;
  offline?: boolean | undefined;
  timeoutMs?: number | undefined;
}): Promise<{ resolved: ResolvedMoodle; php: PhpVersion }> {
  if (options.php !== undefined) phpFor(0, options.php);
  const resolved = await resolveForPlugin(options.plugin, options);
  return { resolved, php: phpFor(Number(resolved.tree.branch), options.php) };
}

/** Resolves `spec` for a plugin (or none); no network is bad input with a way out, not a crash. */
export async function resolveForPlugin(
  plugin: Plugin | undefined,
  options: {
    spec?: string | undefined;
    offline?: boolean | undefined;
    timeoutMs?: number | undefined;
  },
): Promise<ResolvedMoodle> {
  try {
    return await resolveMoodle({
      ...(options.spec !== undefined ? { spec: options.spec } : {}),
      ...(plugin ? { targetBranches: plugin.targetBranches() } : {}),
      ...(options.offline ? { offline: true } : {}),
      download: { deadlineMs: moodleDeadlineMs(options.timeoutMs) },
    });
  } catch (e) {
    if (!(e instanceof DownloadError)) throw e;
    // No network (or GitHub down) is not a bug of ours nor of the plugin: say what to do.
    throw new UserError(
      `Could not download Moodle: ${e.message}`,
      `Register a local tree (\`moodle-plugin-check moodle import <dir>\`) and use ${input('offline')}, set ${input('moodle', '<dir>')}, or run with ${input('no-moodle')}.`,
    );
  }
}

/**
 * Brings a Site to "Moodle installed": patches environment.xml, then restores the cached
 * installed-site snapshot or installs Moodle and caches it. Returns a line for the phase detail.
 */
export async function provisionSite(site: Site, resolved: ResolvedMoodle): Promise<string> {
  const { tree } = resolved;
  const php = site.options.phpVersion;
  await site.patchEnvironment();
  const snapshot = path.join(cacheRoot(), 'sites', snapshotKey(resolved, php, site.db));
  const on = `Moodle ${tree.release} on PHP ${php} (php-wasm), ${site.db === 'postgres' ? 'PostgreSQL (PGlite)' : 'SQLite'}`;
  if (await site.restoreSnapshot(snapshot)) {
    return `${on}: installed site restored from the cache`;
  }
  const r = await site.install();
  if (r.exitCode !== 0) {
    throw new Error(
      `Moodle ${tree.release} did not install on PHP ${php}: ${failureSummary(r.stdout, r.stderr)}`,
    );
  }
  await site.saveSnapshot(snapshot);
  return `${on}: installed in ${Math.round(r.durationMs / 1000)} s and cached`;
}

/**
 * Brings a Site to "Moodle installed, and its PHPUnit test site initialised by Moodle's own
 * `util.php --install`" (both without the plugin): restored from its cached snapshot (keyed as the
 * installed site, plus the PHPUnit vendor), or made from the installed site and cached.
 * `vendorKey` names the PHPUnit build; vendor/ must already be mounted on the site.
 */
export async function provisionTestSite(
  site: Site,
  resolved: ResolvedMoodle,
  vendorKey: string,
  install: () => Promise<{ exitCode: number; stdout: string; stderr: string; durationMs: number }>,
): Promise<string> {
  const php = site.options.phpVersion;
  await site.patchEnvironment();
  const key = `${snapshotKey(resolved, php, site.db)}-phpunit-${createHash('sha256').update(vendorKey).digest('hex').slice(0, 8)}`;
  const snapshot = path.join(cacheRoot(), 'sites', key);
  if (await site.restoreSnapshot(snapshot)) return 'PHPUnit test site restored from the cache';
  const base = await provisionSite(site, resolved);
  const r = await install();
  if (r.exitCode !== 0)
    throw new Error(
      `Moodle’s PHPUnit test site did not initialise (admin/tool/phpunit/cli/util.php --install): ${failureSummary(r.stdout, r.stderr)}`,
    );
  await site.saveSnapshot(snapshot);
  return `${base}; PHPUnit test site initialised in ${Math.round(r.durationMs / 1000)} s and cached`;
}

/** A site of one run: its private folder, removed by close(). */
export interface SiteSession {
  resolved: ResolvedMoodle;
  php: PhpVersion;
  site: Site;
  /** The session's private folder (site copy, blueprint layers). */
  workDir: string;
  /** Stops the site's database and removes the folder. */
  close(): Promise<void>;
}

export interface OpenSiteOptions {
  php: PhpVersion;
  db: DbKind;
  timeoutMs: number;
  limits?: Site['options']['limits'] | undefined;
  /** Names the private folder: mpc-<purpose>-XXXX. */
  purpose: string;
}

/**
 * The only place a site session is opened: a private folder and a Site on it, not yet provisioned
 * (provisionSite). The caller closes it; withSite does both for a session that ends with a task.
 */
export function openSite(resolved: ResolvedMoodle, options: OpenSiteOptions): SiteSession {
  const workDir = mkdtempSync(path.join(tmpdir(), `mpc-${options.purpose}-`));
  const site = new Site({
    tree: resolved.tree,
    phpVersion: options.php,
    db: options.db,
    workDir,
    timeoutMs: options.timeoutMs,
    cacheDir: path.join(cacheRoot(), 'sites'),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    resolved,
    php: options.php,
    site,
    workDir,
    close: async () => {
      await site.close();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Opens a session, provisions it, runs `task` on it and closes it, whatever happens. */
export async function withSite<T>(
  resolved: ResolvedMoodle,
  options: OpenSiteOptions,
  task: (session: SiteSession, provisioned: string) => Promise<T>,
): Promise<T> {
  const session = openSite(resolved, options);
  try {
    return await task(session, await provisionSite(session.site, resolved));
  } finally {
    await session.close();
  }
}
