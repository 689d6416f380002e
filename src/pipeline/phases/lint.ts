// lint: every static check family over the plugin and its subplugins. No PHP, no Moodle.
import { FAMILIES } from '../../checks/index.js';
import { moodleNetManifest } from '../../plugin/moodlenet.js';
import { ALL_RULES } from '../rules.js';
import { allPlugins, runFamilies } from '../../checks/run.js';
import type { Phase } from './phase.js';

export const lint: Phase = {
  name: 'lint',
  run(ctx, phase, run) {
    const moodlenet = moodleNetManifest(ctx.plugin) !== undefined;
    // A MoodleNet package is judged by MoodleNet's rules alone: Moodle's do not apply to it.
    const families = moodlenet ? FAMILIES.filter((f) => f.family === 'moodlenet') : FAMILIES;
    const kept = run.add(runFamilies(families, ctx.plugin));
    if (kept.some((f) => f.severity === 'error')) phase.status = 'failed';
    const plugins = allPlugins(ctx.plugin);
    const files = plugins.reduce((n, p) => n + p.files.length, 0);
    if (moodlenet) {
      phase.detail = `a MoodleNet package: ${families[0]?.rules.length ?? 0} moodlenet/* rules, ${ctx.plugin.files.length} files`;
      return;
    }
    phase.detail = `${ALL_RULES.length} rules over ${plugins.length} plugin(s), ${files} files`;
  },
};
