// The Moodle a check runs on: which tree (resolve), which PHP, and a site brought to "Moodle
// installed" from the cached snapshot or by installing it once.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { TOOL } from '../core/version.js';
import { branchInfo } from '../plugin/branches.js';
import type { Plugin } from '../plugin/plugin.js';
import { cacheRoot } from '../moodle/cache-dir.js';
import { failureSummary } from '../moodle/install-output.js';
import { MOODLE_DOWNLOAD_DEADLINE_MS } from '../moodle/download.js';
import { DownloadError } from '../moodle/http.js';
import { resolveMoodle, type ResolvedMoodle } from '../moodle/resolve.js';
import { ourPhpDir, type Site } from '../moodle/site.js';
import { PHP_VERSIONS, type PhpVersion } from '../php/runtime-package.js';

export interface MoodleOptions {
  /** `--moodle`: branch, release or folder; default the newest branch the plugin targets. */
  spec?: string;
  /** `--php`; default the newest PHP the target Moodle supports. */
  php?: string;
  /** Limit for each PHP run (install, upgrade), in ms. */
  timeoutMs: number;
  offline?: boolean;
  /** Bounds of each PHP run (output kept, bytes written); the runtime's defaults when unset. */
  limits?: Site['options']['limits'];
}

/** The PHP to run a Moodle branch on: the newest it supports that php-wasm has. */
export function phpFor(branch: number, requested?: string): PhpVersion {
  if (requested !== undefined) {
    if (!(PHP_VERSIONS as readonly string[]).includes(requested)) {
      throw new UserError(
        `--php ${requested} is not available.`,
        `Use one of ${PHP_VERSIONS.join(', ')}.`,
      );
    }
    return requested as PhpVersion;
  }
  const max = branchInfo(branch)?.phpMax ?? '8.3';
  return (PHP_VERSIONS as readonly string[]).includes(max) ? (max as PhpVersion) : '8.3';
}

const SITE_SHAPING = ['lib/', 'moodle/', 'config/', 'tools/patch_environment.php'];

/** Installed sites are reused across runs while Moodle, PHP and our PHP files are the same. */
function snapshotKey(resolved: ResolvedMoodle, php: PhpVersion): string {
  const hash = createHash('sha256');
  const ours = ourPhpDir();
  // Only what shapes the installed site; helper scripts (php/tools, php/blueprint) can change freely.
  for (const rel of listFiles(ours).filter((f) => SITE_SHAPING.some((p) => f.startsWith(p))))
    hash.update(rel).update(readFileSync(path.join(ours, rel)));
  hash.update(String(resolved.tree.version)).update(resolved.tree.root);
  return `${resolved.tree.branch}-${String(resolved.tree.version)}-php${php}-mpc${TOOL.version}-${hash.digest('hex').slice(0, 12)}`;
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

/** Resolves `--moodle` for a plugin; no network is bad input with a way out, not a crash. */
export async function resolveForPlugin(
  plugin: Plugin,
  options: Pick<MoodleOptions, 'spec' | 'offline'> & { timeoutMs?: number },
): Promise<ResolvedMoodle> {
  try {
    return await resolveMoodle({
      ...(options.spec !== undefined ? { spec: options.spec } : {}),
      targetBranches: plugin.targetBranches(),
      ...(options.offline ? { offline: true } : {}),
      download: { deadlineMs: moodleDeadlineMs(options.timeoutMs) },
    });
  } catch (e) {
    if (!(e instanceof DownloadError)) throw e;
    // No network (or GitHub down) is not a bug of ours nor of the plugin: say what to do.
    throw new UserError(
      `Could not download Moodle: ${e.message}`,
      'Register a local tree (`moodle-plugin-check moodle import <dir>`) and use --offline, pass --moodle <dir>, or run with --no-moodle.',
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
  const snapshot = path.join(cacheRoot(), 'sites', snapshotKey(resolved, php));
  if (site.restoreSnapshot(snapshot)) {
    return `Moodle ${tree.release} on PHP ${php} (php-wasm): installed site restored from the cache`;
  }
  const r = await site.install();
  if (r.exitCode !== 0) {
    throw new Error(
      `Moodle ${tree.release} did not install on PHP ${php}: ${failureSummary(r.stdout, r.stderr)}`,
    );
  }
  site.saveSnapshot(snapshot);
  return `Moodle ${tree.release} on PHP ${php} (php-wasm): installed in ${Math.round(r.durationMs / 1000)} s and cached`;
}
