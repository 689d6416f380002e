// detect: the plugin's config, the plugin itself (files, version.php, subplugins) and, with
// --upgrade-from and --blueprint, the old version and the blueprint. All bad input is found here,
// before any Moodle work.
import { checkExtraPlugins } from './dependencies.js';
import { gitContext } from '../../blueprint/context.js';
import { RULE_IDS } from '../rules.js';
import { loadBlueprint } from '../../blueprint/parse.js';
import { loadPluginConfig, pathFilter, type PluginConfig } from '../../config/plugin-config.js';
import { resolveUpgradeSource } from '../../moodle/source/upgrade-source.js';
import { Plugin } from '../../plugin/plugin.js';
import { chooseVersions } from '../moodle.js';
import { loadOldPlugin } from '../upgrade-phase.js';
import type { Phase } from './phase.js';

export const detect: Phase = {
  name: 'detect',
  async run(ctx, _phase, run) {
    const config = withDisabled(loadPluginConfig(ctx.root, RULE_IDS), ctx.options.disable);
    ctx.config = config;
    ctx.plugin = Plugin.load(ctx.root, { isIgnored: pathFilter(config) });
    run.useConfig(config);
    // The extracted copy of a git ref or zip is removed when the check ends (runCheck's finally).
    if (ctx.options.extraPlugins?.length) checkExtraPlugins(ctx.options.extraPlugins);
    if (ctx.options.upgradeFrom !== undefined) {
      ctx.upgradeSource = resolveUpgradeSource(ctx.options.upgradeFrom, ctx.root);
      if (ctx.upgradeSource.kind !== 'skip') loadOldPlugin(ctx.upgradeSource, ctx.plugin);
    }
    if (ctx.options.blueprint !== undefined)
      ctx.blueprint = await loadBlueprint(ctx.options.blueprint, {
        context: ctx.options.blueprintContext ?? gitContext(ctx.root),
      });
    // Which Moodle and PHP (a preferredVersions.php we do not ship is bad input, found now).
    if (ctx.options.moodle) chooseVersions(ctx.options.moodleOptions ?? {}, ctx.blueprint);
  },
};

/** The plugin's own config plus rules switched off by the caller; the checkout is never written. */
function withDisabled(config: PluginConfig, extra: readonly string[] | undefined): PluginConfig {
  if (!extra?.length) return config;
  return Object.freeze({
    ...config,
    disable: Object.freeze([...new Set([...config.disable, ...extra])]),
  });
}
