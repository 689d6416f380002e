// `check`: the phases in order (src/pipeline/phases/), recorded by one CheckRun.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { CLI_SPELLING, renderInputsDeep, type InputSpelling } from '../core/inputs.js';
import { TOOL } from '../core/version.js';
import type { PluginConfig } from '../config/plugin-config.js';
import { isPhpArray } from '../plugin/php.js';
import { isDirectory, type Plugin } from '../plugin/plugin.js';
import { MATURITY } from '../plugin/version-file.js';
import { summarize, type CheckReport, type PluginSummary } from '../report/model.js';
import { CheckContext, DEFAULT_TIMEOUT_MS, type CheckOptions } from './context.js';
import { PHASES } from './phases/index.js';
import { NO_PROGRESS, notesTo, spelledProgress } from './progress.js';
import { CheckRun } from './run.js';

export { DEFAULT_TIMEOUT_MS, type CheckOptions };

export interface CheckResult {
  report: CheckReport;
  config: PluginConfig;
  /** JUnit XML of the phpunit phase, when it ran. */
  junit?: string;
}

/**
 * Runs every phase. What it returns and throws names inputs the caller's way (options.spelling,
 * default the command line's flags): the layers below only reference them (core/inputs.ts).
 */
export async function runCheck(options: CheckOptions): Promise<CheckResult> {
  const spell = options.spelling ?? CLI_SPELLING;
  try {
    const result = await runPhases(options, spell);
    return { ...result, report: renderInputsDeep(result.report, spell) };
  } catch (e) {
    throw e instanceof UserError ? e.spelled(spell) : e;
  }
}

async function runPhases(options: CheckOptions, spell: InputSpelling): Promise<CheckResult> {
  const root = pluginRoot(options.pluginDir);
  const ctx = new CheckContext(options, root);
  const progress = options.progress ?? (options.log ? notesTo(options.log) : NO_PROGRESS);
  const run = new CheckRun(spelledProgress(progress, spell));
  try {
    for (const phase of PHASES) {
      if (phase.listed && !phase.listed(ctx)) continue;
      const skipped = phase.skipped?.(ctx);
      if (skipped !== undefined) run.skip(phase.name, skipped);
      else await run.phase(phase.name, (result) => phase.run(ctx, result, run));
    }
  } finally {
    ctx.upgradeSource?.cleanup();
    await ctx.moodle?.close();
  }
  const findings = run.findings();
  return {
    config: ctx.config,
    report: {
      tool: { ...TOOL },
      plugin: pluginSummary(ctx.plugin),
      moodle: ctx.report.moodle,
      phases: run.phases,
      findings,
      summary: summarize(findings),
      ...(ctx.upgradeSource ? { upgrade: ctx.report.upgrade } : {}),
      blueprint: ctx.report.blueprint,
      ...(ctx.report.phpunit ? { phpunit: ctx.report.phpunit } : {}),
      ...(ctx.report.smoke ? { smoke: ctx.report.smoke } : {}),
    },
    ...(ctx.junit !== undefined ? { junit: ctx.junit } : {}),
  };
}

/** A package.json (of a sane size) that names @moodlenet/core: checked as a MoodleNet package. */
function isMoodleNetFolder(root: string): boolean {
  const file = path.join(root, 'package.json');
  try {
    const st = statSync(file);
    return (
      st.isFile() && st.size < 1024 * 1024 && readFileSync(file, 'utf8').includes('@moodlenet/core')
    );
  } catch {
    return false;
  }
}

/** The plugin folder, absolute; a folder that is not a readable plugin is bad input. */
export function pluginRoot(dir: string): string {
  const root = path.resolve(dir);
  const hint = 'Pass the folder that holds the plugin’s version.php.';
  if (!existsSync(root)) throw new UserError(`${dir}: no such directory.`, hint);
  if (!isDirectory(root)) throw new UserError(`${dir}: not a directory.`, hint);
  if (!existsSync(path.join(root, 'version.php'))) {
    if (isMoodleNetFolder(root)) return root;
    throw new UserError(
      `${dir}: no version.php, so this is not a Moodle plugin folder (nor a MoodleNet package: no package.json naming @moodlenet/core).`,
      'Run the check on the plugin root (the folder with version.php), or set plugin-path.',
    );
  }
  try {
    accessSync(path.join(root, 'version.php'), constants.R_OK);
  } catch (e) {
    throw new UserError(
      `${path.join(dir, 'version.php')}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'}).`,
      'Check the file’s permissions.',
    );
  }
  return root;
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
