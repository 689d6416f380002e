import { makeFinding } from '../core/rules.js';
import type { Finding } from '../core/finding.js';
import type { Plugin } from '../plugin/plugin.js';
import type { CheckContext, CheckFamily, RuleMeta } from './types.js';

export interface RunOptions {
  /** False for rules the user's config disables. */
  isRuleEnabled?: (ruleId: string) => boolean;
  /** Files (relative to the top root) the user's config ignores. */
  isPathIgnored?: (file: string) => boolean;
}

export const CRASH_RULE: RuleMeta = {
  id: 'tool/check-crashed',
  severity: 'error',
  title: 'A check crashed',
  why: 'A bug in moodle-plugin-check stopped one family of checks; its rules were not evaluated, so the verdict cannot be trusted.',
  fix: 'Report the bug with the plugin that triggers it. Disable the family in .moodle-plugin-check.yml to work around it meanwhile.',
};

/** The top plugin and every subplugin below it, depth first. */
export function allPlugins(top: Plugin): Plugin[] {
  return [top, ...top.subplugins.flatMap(allPlugins)];
}

/**
 * Runs the families over a plugin and each of its subplugins; paths come out relative to the top
 * root. A family that throws becomes a tool/check-crashed finding instead of ending the run.
 */
export function runFamilies(
  families: readonly CheckFamily[],
  top: Plugin,
  options: RunOptions = {},
): Finding[] {
  const enabled = options.isRuleEnabled ?? (() => true);
  const ignored = options.isPathIgnored ?? (() => false);
  const findings: Finding[] = [];
  for (const plugin of allPlugins(top)) {
    const pluginFile = plugin.isSubplugin ? { file: plugin.display('version.php') } : {};
    for (const family of families) {
      const byId = new Map(family.rules.map((r) => [r.id, r]));
      const ctx: CheckContext = {
        plugin,
        report(ruleId, where, message, hint) {
          const rule = byId.get(ruleId);
          if (!rule) throw new Error(`Family ${family.family} reported unknown rule ${ruleId}`);
          if (!enabled(ruleId)) return;
          const file = where.file === undefined ? undefined : plugin.display(where.file);
          if (file !== undefined && ignored(file)) return;
          findings.push(
            makeFinding(
              rule,
              message,
              { ...where, ...(file !== undefined ? { file } : pluginFile) },
              hint,
            ),
          );
        },
      };
      const guarded = (what: string, fn: () => void): void => {
        try {
          fn();
        } catch (e) {
          findings.push(
            makeFinding(
              CRASH_RULE,
              `The ${family.family}/* checks crashed on ${what}: ${(e as Error).message}`,
              pluginFile,
              (e as Error).stack,
            ),
          );
        }
      };
      guarded(plugin.component ?? plugin.display(''), () => {
        family.run(ctx);
      });
      if (family.checkFile) {
        for (const rel of plugin.files) {
          guarded(plugin.display(rel), () => {
            family.checkFile?.(ctx, rel);
          });
        }
      }
    }
  }
  return findings;
}
