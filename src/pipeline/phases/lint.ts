// lint: every static check family over the plugin and its subplugins. No PHP, no Moodle.
import { FAMILIES } from '../../checks/index.js';
import { ALL_RULES } from '../rules.js';
import { allPlugins, runFamilies } from '../../checks/run.js';
import type { Phase } from './phase.js';

export const lint: Phase = {
  name: 'lint',
  run(ctx, phase, run) {
    const kept = run.add(runFamilies(FAMILIES, ctx.plugin));
    if (kept.some((f) => f.severity === 'error')) phase.status = 'failed';
    const plugins = allPlugins(ctx.plugin);
    const files = plugins.reduce((n, p) => n + p.files.length, 0);
    phase.detail = `${ALL_RULES.length} rules over ${plugins.length} plugin(s), ${files} files`;
  },
};
