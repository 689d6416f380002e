import type { Finding } from '../core/finding.js';
import type { RuleMeta } from '../core/rules.js';
import type { Plugin } from '../plugin/plugin.js';

export interface Location {
  /** Path relative to the plugin being checked (the runner makes it relative to the top root). */
  file?: string;
  line?: number;
  column?: number;
}

export interface CheckContext {
  plugin: Plugin;
  /** Records a finding for a rule of this family. Severity comes from the rule. */
  report(ruleId: string, where: Location, message: string, hint?: string): void;
}

export interface CheckFamily {
  family: string;
  rules: readonly RuleMeta[];
  /** Plugin-level checks, once per plugin. Synchronous: every read is cached by the Plugin. */
  run(ctx: CheckContext): void;
  /**
   * Checks of one lintable file that need nothing but that file (and cheap plugin-level facts).
   * Called once per file of `ctx.plugin.files`; the runner may spread files over worker threads.
   */
  checkFile?(ctx: CheckContext, rel: string): void;
}

export type { Finding };
export type { RuleMeta };
