// blueprint: `--blueprint` run on the site the plugin was just installed on (every step for real).
// A failed step is a blueprint/step-failed finding; each step's result goes to the report.
import { runBlueprintPhase } from '../blueprint-phase.js';
import { session } from './install.js';
import { moodleSkipped, type Phase } from './phase.js';

export const blueprint: Phase = {
  name: 'blueprint',
  listed: (ctx) => ctx.blueprint !== undefined,
  skipped: (ctx) =>
    moodleSkipped(ctx) ??
    (ctx.installed ? undefined : 'the plugin did not install, so the blueprint was not run'),
  async run(ctx, phase, run) {
    const { site, workDir } = session(ctx.moodle);
    if (!ctx.blueprint) return;
    ctx.report.blueprint = await runBlueprintPhase(ctx.blueprint, site, workDir, phase, run);
  },
};
