import type { Finding, Severity } from '../core/finding.js';
import type { Plugin } from '../plugin/plugin.js';

/** A rule's documentation; the docs pages and SARIF rule metadata are generated from it. */
export interface RuleMeta {
  /** Stable `family/name`. Never renamed once released. */
  id: string;
  severity: Severity;
  /** One line, shown as the annotation title and SARIF short description. */
  title: string;
  /** Why it matters: what Moodle or the Plugins directory does when it is broken. */
  why: string;
  /** How to fix it. */
  fix: string;
}

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
