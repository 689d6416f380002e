import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Finding } from '../core/finding.js';
import { UserError } from '../core/errors.js';
import { TOOL } from '../core/version.js';
import { branchInfo } from '../plugin/branches.js';
import type { Plugin } from '../plugin/plugin.js';
import { cacheRoot } from '../moodle/cache-dir.js';
import { ENVIRONMENT_EVAL_RULES, evaluateEnvironment } from '../moodle/environment-eval.js';
import { failureSummary, findingsFromOutcome } from '../moodle/install-output.js';
import { MOODLE_DOWNLOAD_DEADLINE_MS } from '../moodle/download.js';
import { DownloadError } from '../moodle/http.js';
import { resolveMoodle, type ResolvedMoodle } from '../moodle/resolve.js';
import { ourPhpDir, Site, VFS } from '../moodle/site.js';
import { describeCrash } from '../php/runtime-limits.js';
import { PHP_VERSIONS, type PhpVersion } from '../php/runtime-package.js';
import type { MoodleSummary, PhaseResult, UpgradeSummary } from '../report/model.js';
import { timed } from './timed.js';
import type { UpgradeSource } from '../moodle/upgrade-source.js';
import { runUpgradePhase } from './upgrade-phase.js';
import type { LoadedBlueprint } from '../blueprint/types.js';
import { blueprintBeforeUpgrade, runBlueprintPhase } from './blueprint-phase.js';
import type { BlueprintReport } from '../report/model.js';

export interface MoodleOptions {
  /** `--moodle`: branch, release or folder; default the newest branch the plugin targets. */
  spec?: string;
  /** `--php`; default the newest PHP the target Moodle supports. */
  php?: string;
  /** Limit for each PHP run (install, upgrade), in ms. */
  timeoutMs: number;
  offline?: boolean;
  /** `--upgrade-from`, resolved: runs the upgrade-path phase after install (issue 6). */
  upgradeFrom?: UpgradeSource;
  /** Receives what the upgrade-path phase ran, for the report's `upgrade` field. */
  onUpgrade?: (upgrade: UpgradeSummary | null) => void;
  /** `--blueprint`, loaded: runs the blueprint phase right after install (issue 4). */
  blueprint?: LoadedBlueprint;
  /** Receives the blueprint phase's step results, for the report's `blueprint` field. */
  onBlueprint?: (blueprint: BlueprintReport) => void;
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

/**
 * provision → install → environment on a real Moodle in php-wasm. Appends the phases and the
 * plugin's install findings; returns what the report says about the Moodle used.
 */
export async function runMoodlePhases(
  plugin: Plugin,
  options: MoodleOptions,
  phases: PhaseResult[],
  findings: Finding[],
  log: (line: string) => void = () => undefined,
): Promise<MoodleSummary> {
  if (options.php !== undefined) phpFor(0, options.php); // bad --php is bad input before any download
  const resolved = await resolveForPlugin(plugin, options);
  if (resolved.note) log(resolved.note);
  const { tree } = resolved;
  const php = phpFor(Number(tree.branch), options.php);
  const installPath =
    plugin.typeInfo && plugin.name ? `${plugin.typeInfo.path}/${plugin.name}` : undefined;
  if (!installPath) {
    throw new UserError(
      `Cannot install ${plugin.component ?? 'the plugin'}: its type has no install path in Moodle.`,
      'Fix $plugin->component in version.php (the version/* findings say how), or run with --no-moodle.',
    );
  }
  const workDir = mkdtempSync(path.join(tmpdir(), 'mpc-run-'));
  const site = new Site({
    tree,
    phpVersion: php,
    workDir,
    timeoutMs: options.timeoutMs,
    cacheDir: path.join(cacheRoot(), 'sites'),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  try {
    await timed(phases, 'provision', async (phase) => {
      phase.detail = await provisionSite(site, resolved);
    });

    await timed(phases, 'install', async (phase) => {
      site.setPlugin({ dir: plugin.root, installPath });
      const prefix = tree.layout === 'public' ? 'public/' : '';
      const run = await site.upgradeOutcome();
      const found = findingsFromOutcome(
        run,
        {
          moodleRoot: VFS.moodle,
          pluginPath: `${prefix}${installPath}`,
          pluginWebPath: installPath,
        },
        (rel) => plugin.has(rel),
      );
      findings.push(...found);
      if (found.some((f) => f.severity === 'error')) phase.status = 'failed';
      if (run.ended === 'timeout') phase.detail = 'timed out';
      else if (run.ended === 'crashed') phase.detail = `PHP crashed: ${describeCrash(run.crash)}`;
      else
        phase.detail = `admin/cli/upgrade.php ${run.exitCode === 0 ? 'installed' : 'failed to install'} ${plugin.component ?? ''} in ${(run.durationMs / 1000).toFixed(1)} s`;
    });

    if (options.blueprint) {
      const installed = phases.at(-1)?.status === 'passed';
      options.onBlueprint?.(
        await runBlueprintPhase(options.blueprint, site, workDir, installed, phases, findings),
      );
    }

    if (options.upgradeFrom) {
      const installed = phases.findLast((p) => p.name === 'install')?.status === 'passed';
      const upgradeFrom = options.upgradeFrom;
      const upgrade = await timed(phases, 'upgrade-path', (phase) =>
        runUpgradePhase(
          {
            plugin,
            source: upgradeFrom,
            resolved,
            freshSite: installed ? site : undefined,
            installPath,
            timeoutMs: options.timeoutMs,
            ...(options.limits ? { limits: options.limits } : {}),
            provision: provisionSite,
            phpFor: (branch) => phpFor(branch, options.php),
            log,
            ...(options.blueprint
              ? {
                  beforeUpgrade: blueprintBeforeUpgrade(
                    options.blueprint,
                    mkdtempSync(path.join(workDir, 'blueprint-old-')),
                    findings,
                    log,
                  ),
                }
              : {}),
          },
          phase,
          findings,
        ),
      );
      options.onUpgrade?.(upgrade);
    }

    await timed(phases, 'environment', async (phase) => {
      const result = evaluateEnvironment(plugin, tree, {
        php,
        extensions: await site.loadedExtensions(),
      });
      findings.push(...result.findings);
      if (result.findings.some((f) => f.severity === 'error')) phase.status = 'failed';
      const unchecked = result.findings.filter(
        (f) => f.ruleId === ENVIRONMENT_EVAL_RULES.notChecked.id,
      ).length;
      if (result.findings.length === 0 && result.passed.length === 0) {
        phase.status = 'skipped';
        phase.detail =
          'nothing to check: no requires, supported, incompatible, dependencies or environment.xml';
        return;
      }
      phase.detail = `checked against Moodle ${tree.branch} and PHP ${php}: ${result.passed.length > 0 ? `passed ${result.passed.join(', ')}` : 'nothing passed'}${unchecked > 0 ? `; ${unchecked} requirement group(s) not checkable here` : ''}`;
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  return {
    release: tree.release,
    branch: tree.branch,
    version: String(tree.version),
    layout: tree.layout,
    php,
    source: resolved.source === 'path' ? tree.root : `${resolved.source}:${resolved.id ?? ''}`,
    adjustments: site.adjustments,
  };
}
