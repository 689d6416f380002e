// `blueprint run`: provision a site (the same cached installed-site path as `check`), install the
// plugin when one is given, run the blueprint, and throw the site away.
import { resourceDeadlineMs } from '../blueprint/resources.js';
import { UserError } from '../core/errors.js';
import { failureSummary } from '../moodle/site/outcome.js';
import { chooseMoodle, chooseVersions, DEFAULT_DB, openSite, provisionSite } from './moodle.js';
import type { DbKind } from '../moodle/site/site.js';
import type { PhaseResult } from '../report/model.js';
import { NO_PROGRESS } from './progress.js';
import { CheckRun } from './run.js';
import type { Plugin } from '../plugin/plugin.js';
import { runBlueprint, type BlueprintRun, type RunOptions } from '../blueprint/executor.js';
import { MoodleBlueprintSite } from '../blueprint/moodle-site.js';
import type { LoadedBlueprint } from '../blueprint/types.js';

export interface RunOnSiteOptions extends RunOptions {
  /** `--moodle`; else the blueprint's preferredVersions.moodle; else the newest the plugin allows. */
  moodle?: string;
  /** `--php`; else preferredVersions.php; else the newest the Moodle supports. */
  php?: string;
  /** `--db`; default DEFAULT_DB. */
  db?: DbKind;
  plugin?: Plugin;
  offline?: boolean;
  timeoutMs: number;
  log?: (line: string) => void;
}

export interface RunOnSiteResult extends BlueprintRun {
  phases: PhaseResult[];
  moodle: { release: string; branch: string; php: string };
}

export async function runBlueprintOnSite(
  loaded: LoadedBlueprint,
  options: RunOnSiteOptions,
): Promise<RunOnSiteResult> {
  const { resolved, php } = await chooseMoodle({
    ...chooseVersions({ spec: options.moodle, php: options.php }, loaded),
    plugin: options.plugin,
    offline: options.offline,
    timeoutMs: options.timeoutMs,
  });
  if (resolved.note) options.log?.(resolved.note);
  const recorder = new CheckRun(NO_PROGRESS);
  const session = openSite(resolved, {
    php,
    db: options.db ?? DEFAULT_DB,
    timeoutMs: options.timeoutMs,
    purpose: 'blueprint',
  });
  const { site, workDir } = session;
  try {
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
            'Fix version.php (`moodle-plugin-check check --no-moodle` lists what is wrong with it).',
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
      // Any failed step fails `blueprint run` (its exit code); a critical one also stopped it.
      if (result.failed.length > 0) phase.status = 'failed';
      if (result.failedIndex !== undefined) phase.detail += ' (stopped at a critical step)';
      return result;
    });
    return {
      ...run,
      phases: recorder.phases,
      moodle: { release: resolved.tree.release, branch: resolved.tree.branch, php },
    };
  } finally {
    await session.close();
  }
}
