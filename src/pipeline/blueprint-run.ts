// `blueprint run`: provision a site (the same cached installed-site path as `check`), install the
// plugin when one is given, run the blueprint, and throw the site away.
import { resourceDeadlineMs } from '../blueprint/resources.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { cacheRoot } from '../moodle/cache-dir.js';
import { failureSummary } from '../moodle/install-output.js';
import { resolveMoodle, type ResolvedMoodle } from '../moodle/resolve.js';
import { Site } from '../moodle/site.js';
import { moodleDeadlineMs, phpFor, provisionSite, resolveForPlugin } from './moodle.js';
import type { PhaseResult } from '../report/model.js';
import { NO_PROGRESS } from './progress.js';
import { CheckRun } from './run.js';
import { PHP_VERSIONS } from '../php/runtime-package.js';
import type { Plugin } from '../plugin/plugin.js';
import { runBlueprint, type BlueprintRun, type RunOptions } from '../blueprint/executor.js';
import { MoodleBlueprintSite } from '../blueprint/moodle-site.js';
import type { LoadedBlueprint } from '../blueprint/types.js';

export interface RunOnSiteOptions extends RunOptions {
  /** `--moodle`; else the blueprint's preferredVersions.moodle; else the newest the plugin allows. */
  moodle?: string;
  /** `--php`; else preferredVersions.php; else the newest the Moodle supports. */
  php?: string;
  plugin?: Plugin;
  offline?: boolean;
  timeoutMs: number;
  log?: (line: string) => void;
}

export interface RunOnSiteResult extends BlueprintRun {
  phases: PhaseResult[];
  moodle: { release: string; branch: string; php: string };
}

/** Moodle and PHP for a blueprint: the command line wins over preferredVersions. */
export function versionsFor(
  loaded: LoadedBlueprint,
  cli: { moodle?: string | undefined; php?: string | undefined },
): { moodle?: string; php?: string } {
  const preferred = loaded.blueprint.preferredVersions ?? {};
  const php = cli.php ?? preferred.php;
  if (
    cli.php === undefined &&
    php !== undefined &&
    !(PHP_VERSIONS as readonly string[]).includes(php)
  )
    throw new UserError(
      `${loaded.source}: preferredVersions.php "${php}" is not available here.`,
      `Use one of ${PHP_VERSIONS.join(', ')}, or pass --php.`,
    );
  const moodle = cli.moodle ?? preferred.moodle;
  return {
    ...(moodle !== undefined ? { moodle } : {}),
    ...(php !== undefined ? { php } : {}),
  };
}

export async function runBlueprintOnSite(
  loaded: LoadedBlueprint,
  options: RunOnSiteOptions,
): Promise<RunOnSiteResult> {
  const versions = versionsFor(loaded, options);
  if (versions.php !== undefined) phpFor(0, versions.php);
  const resolved: ResolvedMoodle = options.plugin
    ? await resolveForPlugin(options.plugin, {
        ...(versions.moodle !== undefined ? { spec: versions.moodle } : {}),
        ...(options.offline ? { offline: true } : {}),
        timeoutMs: options.timeoutMs,
      })
    : await resolveMoodle({
        ...(versions.moodle !== undefined ? { spec: versions.moodle } : {}),
        ...(options.offline ? { offline: true } : {}),
        download: { deadlineMs: moodleDeadlineMs(options.timeoutMs) },
      });
  if (resolved.note) options.log?.(resolved.note);
  const php = phpFor(Number(resolved.tree.branch), versions.php);
  const workDir = mkdtempSync(path.join(tmpdir(), 'mpc-blueprint-'));
  const recorder = new CheckRun(NO_PROGRESS);
  try {
    const site = new Site({
      tree: resolved.tree,
      phpVersion: php,
      workDir,
      timeoutMs: options.timeoutMs,
      cacheDir: path.join(cacheRoot(), 'sites'),
    });
    await recorder.phase('provision', async (phase) => {
      phase.detail = await provisionSite(site, resolved);
    });
    const plugin = options.plugin;
    if (plugin) {
      await recorder.phase('install', async (phase) => {
        const installPath = plugin.installPath;
        if (!installPath)
          throw new UserError(
            `Cannot install the plugin: ${plugin.installProblem() ?? 'no install path'}.`,
            'Fix version.php (`check --no-moodle` lists what is wrong with it).',
          );
        site.setPlugin({ dir: plugin.root, installPath });
        const r = await site.upgrade();
        if (r.exitCode !== 0)
          throw new Error(
            `${plugin.component ?? installPath} did not install: ${failureSummary(r.stdout, r.stderr)}`,
          );
        phase.detail = `${plugin.component ?? installPath} installed in ${(r.durationMs / 1000).toFixed(1)} s`;
      });
    }
    const run = await recorder.phase('blueprint', async (phase) => {
      const result = await runBlueprint(loaded, new MoodleBlueprintSite(site, workDir), {
        deadlineMs: resourceDeadlineMs(options.timeoutMs),
        ...options,
      });
      const ok = result.steps.filter((s) => s.status === 'ok').length;
      phase.detail = `${ok}/${result.steps.length} steps ok`;
      if (result.failedIndex !== undefined) phase.status = 'failed';
      return result;
    });
    return {
      ...run,
      phases: recorder.phases,
      moodle: { release: resolved.tree.release, branch: resolved.tree.branch, php },
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
