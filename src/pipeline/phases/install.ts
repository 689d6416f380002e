// install: the plugin put into the tree and installed by Moodle's own admin/cli/upgrade.php.
// What PHP and Moodle say about the plugin (exceptions, errors, warnings, debugging(), a time-out,
// a crash, the bounds) becomes install/* findings at the plugin's file and line.
import { findingsFromOutcome } from './install-output.js';
import { VFS } from '../../moodle/site/site.js';
import { describeCrash } from '../../php/runtime-limits.js';
import type { MoodleSession } from '../context.js';
import { componentProgress } from '../moodle-progress.js';
import { moodleSkipped, type Phase } from './phase.js';

export const install: Phase = {
  name: 'install',
  skipped: moodleSkipped,
  async run(ctx, phase, run) {
    const { site, resolved, installPath } = session(ctx.moodle);
    const plugin = ctx.plugin;
    site.setPlugin({ dir: plugin.root, installPath });
    const prefix = resolved.tree.layout === 'public' ? 'public/' : '';
    site.onStdout = componentProgress(run.progress, 'install');
    const outcome = await site.upgradeOutcome().finally(() => {
      site.onStdout = undefined;
    });
    const found = run.add(
      findingsFromOutcome(
        outcome,
        {
          moodleRoot: VFS.moodle,
          pluginPath: `${prefix}${installPath}`,
          pluginWebPath: installPath,
        },
        (rel) => plugin.has(rel),
      ),
    );
    if (found.some((f) => f.severity === 'error')) phase.status = 'failed';
    if (outcome.ended === 'timeout') phase.detail = 'timed out';
    else if (outcome.ended === 'crashed')
      phase.detail = `PHP crashed: ${describeCrash(outcome.crash)}`;
    else
      phase.detail = `admin/cli/upgrade.php ${outcome.exitCode === 0 ? 'installed' : 'failed to install'} ${plugin.component ?? ''} in ${(outcome.durationMs / 1000).toFixed(1)} s`;
    ctx.installed = phase.status === 'passed';
  },
};

/** The session provision opened; a phase after it cannot run without one. */
export function session(s: MoodleSession | undefined): MoodleSession {
  if (!s) throw new Error('no Moodle session: the provision phase did not run');
  return s;
}
