// A phase of `check`: one file under src/pipeline/phases/, listed in order in phases/index.ts.
import { input } from '../../core/inputs.js';
import { resolveRuntimePackage, type PhpVersion } from '../../php/runtime-package.js';
import type { PhaseResult } from '../../report/model.js';
import type { CheckContext } from '../context.js';
import type { CheckRun } from '../run.js';

export interface Phase {
  readonly name: string;
  /** Whether the phase belongs to this check at all (blueprint: only with --blueprint). Default: yes. */
  listed?(ctx: CheckContext): boolean;
  /** Why it does not run this time (it is reported as skipped with this detail), or undefined. */
  skipped?(ctx: CheckContext): string | undefined;
  /** Does the work; adds findings through `run`, refines `phase.status` and `phase.detail`. */
  run(ctx: CheckContext, phase: PhaseResult, run: CheckRun): void | Promise<void>;
}

/** The reason every Moodle phase shares: --no-moodle, or a plugin Moodle cannot install. */
export function moodleSkipped(ctx: CheckContext): string | undefined {
  if (!ctx.options.moodle) return `skipped by ${input('no-moodle')}`;
  const problem = ctx.plugin.installProblem();
  return problem === undefined ? undefined : `skipped: ${problem}`;
}

/**
 * The prechecker's families after coding style (phpdoc, templates, javascript, css): part of the
 * check when the caller asks for them (the CLI and the Action do by default) and the config does
 * not disable the whole family (`<family>/*`), which then costs nothing.
 */
export function prechecksListed(ctx: CheckContext, family: string): boolean {
  if (ctx.options.prechecks !== true) return false;
  return !ctx.config.disable.includes(`${family}/*`);
}

/** The PHP the prechecker's tools run on in php-wasm: they need no particular one; it ships with the tool. */
export const STYLE_PHP: PhpVersion = '8.3';

/** Why the prechecker's PHP cannot run (the php-wasm runtime cannot be had), or undefined. */
export async function styleWasmMissing(): Promise<string | undefined> {
  try {
    await resolveRuntimePackage(STYLE_PHP);
    return undefined;
  } catch (e) {
    return `not run: PHP ${STYLE_PHP} for php-wasm cannot be had (${(e as Error).message})`;
  }
}
