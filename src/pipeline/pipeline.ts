import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { ALL_RULES, FAMILIES, RULE_IDS } from '../checks/index.js';
import { allPlugins, runFamilies } from '../checks/run.js';
import { compareFindings, type Finding } from '../core/finding.js';
import { UserError } from '../core/errors.js';
import { TOOL } from '../core/version.js';
import {
  loadPluginConfig,
  pathFilter,
  ruleFilter,
  type PluginConfig,
} from '../config/plugin-config.js';
import { isPhpArray } from '../plugin/php.js';
import { isDirectory, Plugin } from '../plugin/plugin.js';
import { MATURITY } from '../plugin/version-file.js';
import { runMoodlePhases, type MoodleOptions } from './moodle-phases.js';
import { resolveUpgradeSource, type UpgradeSource } from '../moodle/upgrade-source.js';
import { loadOldPlugin } from './upgrade-phase.js';
import { loadBlueprint } from '../blueprint/parse.js';
import type { LoadedBlueprint } from '../blueprint/types.js';
import { timed } from './timed.js';
import {
  summarize,
  type CheckReport,
  type MoodleSummary,
  type PhaseResult,
  type PluginSummary,
  type UpgradeSummary,
  type BlueprintReport,
} from '../report/model.js';

/** Each PHP run (Moodle install, plugin upgrade) is stopped after this long unless --timeout says otherwise. */
export const DEFAULT_TIMEOUT_MS = 15 * 60_000;

export interface CheckOptions {
  pluginDir: string;
  /** False: static checks only (--no-moodle). */
  moodle: boolean;
  moodleOptions?: MoodleOptions;
  /** `--blueprint`: a blueprint (file, inline JSON, base64 or data: URL) run after the install phase (issue 4). */
  blueprint?: string;
  /** `--upgrade-from`: the old plugin (dir, git ref or zip) to upgrade from (issue 6). */
  upgradeFrom?: string;
  /** Rule ids or `family/*` to switch off on top of the plugin's .moodle-plugin-check.yml (action input `checks`). */
  disable?: readonly string[];
  /** Progress lines for humans (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface CheckResult {
  report: CheckReport;
  config: PluginConfig;
}

const MOODLE_PHASES = ['provision', 'install', 'environment'] as const;

export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const root = path.resolve(options.pluginDir);
  if (!existsSync(root))
    throw new UserError(
      `${options.pluginDir}: no such directory.`,
      'Pass the folder that holds the plugin’s version.php.',
    );
  if (!isDirectory(root))
    throw new UserError(
      `${options.pluginDir}: not a directory.`,
      'Pass the folder that holds the plugin’s version.php.',
    );
  if (!existsSync(path.join(root, 'version.php'))) {
    throw new UserError(
      `${options.pluginDir}: no version.php, so this is not a Moodle plugin folder.`,
      'Run the check on the plugin root (the folder with version.php), or set plugin-path.',
    );
  }

  try {
    accessSync(path.join(root, 'version.php'), constants.R_OK);
  } catch (e) {
    throw new UserError(
      `${path.join(options.pluginDir, 'version.php')}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
      'Check the file’s permissions.',
    );
  }

  const phases: PhaseResult[] = [];
  const { plugin, config } = await timed(phases, 'detect', () => {
    const config = withDisabled(loadPluginConfig(root, RULE_IDS), options.disable);
    const plugin = Plugin.load(root, { isIgnored: pathFilter(config) });
    return { plugin, config };
  });

  const findings = await timed(phases, 'lint', () =>
    runFamilies(FAMILIES, plugin, {
      isRuleEnabled: ruleFilter(config),
      isPathIgnored: pathFilter(config),
    }),
  );
  findings.sort(compareFindings);
  const lint = phases.at(-1)!;
  if (findings.some((f) => f.severity === 'error')) lint.status = 'failed';
  const plugins = allPlugins(plugin);
  const files = plugins.reduce((n, p) => n + p.files.length, 0);
  lint.detail = `${ALL_RULES.length} rules over ${plugins.length} plugin(s), ${files} files`;

  let moodle: MoodleSummary | null = null;
  // Bad --upgrade-from is bad input before any Moodle work; the extracted copy goes in `finally`.
  const upgradeSource: UpgradeSource | undefined =
    options.upgradeFrom === undefined ? undefined : resolveUpgradeSource(options.upgradeFrom, root);
  let upgrade: UpgradeSummary | null = null;
  // A bad --blueprint is bad input before any Moodle work, too.
  const loadedBlueprint =
    options.blueprint === undefined ? undefined : await loadBlueprint(options.blueprint);
  let blueprint: BlueprintReport | null = null;
  try {
    if (upgradeSource && upgradeSource.kind !== 'skip') loadOldPlugin(upgradeSource, plugin);
    if (options.moodle && plugin.installProblem() === undefined) {
      const found: Finding[] = [];
      moodle = await runMoodlePhases(
        plugin,
        withBlueprint(
          {
            ...(options.moodleOptions ?? { timeoutMs: DEFAULT_TIMEOUT_MS }),
            ...(upgradeSource
              ? { upgradeFrom: upgradeSource, onUpgrade: (u) => (upgrade = u) }
              : {}),
          },
          loadedBlueprint,
          (b) => (blueprint = b),
        ),
        phases,
        found,
        options.log,
      );
      const enabled = ruleFilter(config);
      const ignored = pathFilter(config);
      findings.push(
        ...found.filter((f) => enabled(f.ruleId) && !(f.file !== undefined && ignored(f.file))),
      );
      findings.sort(compareFindings);
    } else {
      const reason = options.moodle
        ? `skipped: ${plugin.installProblem() ?? ''}`
        : 'skipped by --no-moodle';
      for (const name of MOODLE_PHASES) phases.push(skippedPhase(name, reason));
      if (loadedBlueprint) phases.push(skippedPhase('blueprint', reason));
      if (upgradeSource) phases.push(skippedPhase('upgrade-path', reason));
    }
  } finally {
    upgradeSource?.cleanup();
  }

  return {
    config,
    report: {
      tool: { ...TOOL },
      plugin: pluginSummary(plugin),
      moodle,
      phases,
      findings,
      summary: summarize(findings),
      ...(upgradeSource ? { upgrade } : {}),
      blueprint,
    },
  };
}

function skippedPhase(name: string, detail = 'skipped'): PhaseResult {
  return { name, status: 'skipped', durationMs: 0, detail };
}

/** The plugin's own config plus rules switched off by the caller; the checkout is never written. */
function withDisabled(config: PluginConfig, extra: readonly string[] | undefined): PluginConfig {
  if (!extra?.length) return config;
  return Object.freeze({
    ...config,
    disable: Object.freeze([...new Set([...config.disable, ...extra])]),
  });
}

export function pluginSummary(plugin: Plugin): PluginSummary {
  const f = plugin.version.fields;
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  const sup = f.supported?.value;
  const pair = sup !== undefined && isPhpArray(sup) ? sup.entries.map((e) => e.value) : [];
  const maturity = num(f.maturity?.value);
  return {
    component: plugin.component ?? null,
    type: plugin.type ?? null,
    name: plugin.name ?? null,
    version: num(f.version?.value),
    release: typeof f.release?.value === 'string' ? f.release.value : null,
    requires: num(f.requires?.value),
    supported:
      pair.length === 2 && typeof pair[0] === 'number' && typeof pair[1] === 'number'
        ? [pair[0], pair[1]]
        : null,
    maturity:
      maturity === null
        ? null
        : (Object.entries(MATURITY)
            .find(([, v]) => v === maturity)?.[0]
            .replace('MATURITY_', '')
            .toLowerCase() ?? null),
    path: plugin.typeInfo && plugin.name ? `${plugin.typeInfo.path}/${plugin.name}` : null,
  };
}

/**
 * MoodleOptions for a check with a blueprint: its preferredVersions pick Moodle and PHP unless
 * the command line gave them.
 */
export function withBlueprint(
  moodleOptions: MoodleOptions,
  loaded: LoadedBlueprint | undefined,
  onBlueprint: (report: BlueprintReport) => void,
): MoodleOptions {
  if (!loaded) return moodleOptions;
  const preferred = loaded.blueprint.preferredVersions ?? {};
  return {
    ...moodleOptions,
    ...(moodleOptions.spec === undefined && preferred.moodle !== undefined
      ? { spec: preferred.moodle }
      : {}),
    ...(moodleOptions.php === undefined && preferred.php !== undefined
      ? { php: preferred.php }
      : {}),
    blueprint: loaded,
    onBlueprint,
  };
}
