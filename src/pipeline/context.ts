// What the phases of one check share: the options, what detect found, the Moodle session once
// provision opened it, and the parts of the report that are not findings or phases.
import type { LoadedBlueprint } from '../blueprint/types.js';
import type { ContextConstants } from '../blueprint/context.js';
import type { InputSpelling } from '../core/inputs.js';
import type { PluginConfig } from '../config/plugin-config.js';
import type { UpgradeSource } from '../moodle/source/upgrade-source.js';
import type { Plugin } from '../plugin/plugin.js';
import type { ResolvedPlugin } from '../moodle/source/plugin-dependencies.js';
import type {
  BlueprintReport,
  MoodleSummary,
  PhpunitSummary,
  SmokePageReport,
  UpgradeSummary,
} from '../report/model.js';
import { chooseVersions, type MoodleOptions, type SiteSession } from './moodle.js';
import type { Progress } from './progress.js';

/** Each PHP run (Moodle install, plugin upgrade) is stopped after this long unless --timeout says otherwise. */
export const DEFAULT_TIMEOUT_MS = 15 * 60_000;

export interface CheckOptions {
  pluginDir: string;
  /** False: static checks only (--no-moodle). */
  moodle: boolean;
  moodleOptions?: MoodleOptions;
  /** `--blueprint`: a blueprint (file, inline JSON, base64 or data: URL) run after the install phase. */
  blueprint?: string;
  /** `--upgrade-from`: the old plugin (dir, git ref or zip) to upgrade from. */
  upgradeFrom?: string;
  /** Rule ids or `family/*` to switch off on top of the plugin's .moodle-plugin-check.yml (action input `checks`). */
  disable?: readonly string[];
  /** How the caller spells the inputs named in messages (default: the command line's flags). */
  spelling?: InputSpelling;
  /** Phase phpunit: `auto` runs it when the plugin has tests (the CLI's and the Action's default), `off` (the default here) not at all; `args`: `--phpunit-args`. */
  phpunit?: { mode: 'auto' | 'on' | 'off'; args?: readonly string[] };
  /**
   * Phase coding-style (PHP_CodeSniffer with moodle-cs, in php-wasm): on for the CLI and the Action
   * by default, off here by default. `standard` overrides the config's `cs-standard`.
   */
  codingStyle?: { enabled: boolean; standard?: 'moodle' | 'moodle-extra' };
  /**
   * Phases phpdoc, templates, javascript and css (the rest of the prechecker's families): on for
   * the CLI and the Action by default, off here by default; a family the config disables
   * (`phpdoc/*`) is not run at all.
   */
  prechecks?: boolean;
  /** Phase smoke: open the plugin's pages after install (the CLI's and the Action's default); off here by default. */
  smoke?: boolean;
  /** {{REPO}}, {{OWNER}}, {{REF}}, {{BRANCH}} for the blueprint (default: the checkout's git). */
  blueprintContext?: ContextConstants;
  /** `--extra-plugin` (Action: `extra-plugins`): folders, ZIPs or git URLs installed before the plugin. */
  extraPlugins?: readonly string[];
  /** The Plugins directory's pluginfo.php (default: download.moodle.org's; MPC_PLUGINFO_URL). */
  pluginsApiUrl?: string;
  /** Live progress (the CLI's terminal, the Action's log groups). */
  progress?: Progress;
  /** Notes for humans, when no `progress` is given (stderr in the CLI). */
  log?: (line: string) => void;
}

/** The Moodle a check runs on, from provision on; the only site session of the main run. */
export interface MoodleSession extends SiteSession {
  /** Where the plugin goes in the tree, e.g. `mod/board`. */
  installPath: string;
}

export class CheckContext {
  /** Set by detect. */
  plugin!: Plugin;
  config!: PluginConfig;
  /** `--upgrade-from`, resolved (a temp copy for git refs and zips: cleaned up at the end). */
  upgradeSource: UpgradeSource | undefined;
  /** `--blueprint`, loaded and validated before any Moodle work. */
  blueprint: LoadedBlueprint | undefined;
  /** Set by provision. */
  moodle: MoodleSession | undefined;
  /** Set by dependencies: the plugins installed before this one, on every site of the check. */
  dependencies: ResolvedPlugin[] | undefined;
  /** The report's parts besides phases and findings. */
  readonly report: {
    moodle: MoodleSummary | null;
    upgrade: UpgradeSummary | null;
    blueprint: BlueprintReport | null;
    phpunit?: PhpunitSummary;
    smoke?: SmokePageReport[];
  } = { moodle: null, upgrade: null, blueprint: null };

  constructor(
    readonly options: CheckOptions,
    /** The plugin folder, absolute. */
    readonly root: string,
  ) {}

  /**
   * Which Moodle and PHP, and how long a PHP run may take: the command line first, then the
   * blueprint's preferredVersions, then the plugin's own range (resolved by provision).
   */
  get moodleOptions(): MoodleOptions {
    const given = this.options.moodleOptions ?? { timeoutMs: DEFAULT_TIMEOUT_MS };
    return { ...given, ...chooseVersions(given, this.blueprint) };
  }

  /** JUnit XML of the phpunit phase, when it ran (`--junit`, the Action's `junit` output). */
  junit: string | undefined;

  /** Whether install left the plugin installed (the blueprint and the schema baseline need it). */
  installed = false;
}
