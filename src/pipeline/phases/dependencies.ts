// dependencies: the plugins in $plugin->dependencies (and every `--extra-plugin`) installed before
// the plugin, in dependency order — from the extras given, else from the Moodle Plugins
// directory's API (downloaded with its checksum, cached). A constraint no release meets, a cycle,
// no network: dependencies/* findings. Listed only when there is something to install.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { input } from '../../core/inputs.js';
import { cacheRoot } from '../../moodle/source/cache-dir.js';
import {
  DEPENDENCY_RULES,
  isUrlSpec,
  parseGitSpec,
  resolveDependencies,
  type ResolvedPlugin,
} from '../../moodle/source/plugin-dependencies.js';
import { failureSummary } from '../../moodle/site/outcome.js';
import type { Site } from '../../moodle/site/site.js';
import type { MoodleTree } from '../../moodle/source/tree.js';
import { isPhpArray } from '../../plugin/php.js';
import { Plugin } from '../../plugin/plugin.js';
import { makeFinding } from '../../core/rules.js';
import type { CheckContext } from '../context.js';
import { componentProgress } from '../moodle-progress.js';
import { session } from './install.js';
import { moodleSkipped, type Phase } from './phase.js';
import { installedVersion } from './environment-eval.js';

/** Whether the plugin (or a subplugin) declares dependencies. */
function declaresDependencies(plugin: Plugin): boolean {
  const has = (p: Plugin): boolean => {
    const d = p.version.fields.dependencies?.value;
    return d !== undefined && isPhpArray(d) && d.entries.length > 0;
  };
  const walk = (p: Plugin): boolean => has(p) || p.subplugins.some(walk);
  return walk(plugin);
}

export const dependencies: Phase = {
  name: 'dependencies',
  listed: (ctx) =>
    ctx.options.moodle &&
    ((ctx.options.extraPlugins?.length ?? 0) > 0 || declaresDependencies(ctx.plugin)),
  skipped: moodleSkipped,
  async run(ctx, phase, run) {
    const { site, resolved } = session(ctx.moodle);
    const tree = resolved.tree;
    const apiUrl = ctx.options.pluginsApiUrl ?? process.env.MPC_PLUGINFO_URL;
    const result = await resolveDependencies({
      plugin: ctx.plugin,
      branch: Number(tree.branch),
      moodleVersion: tree.version,
      installedVersion: (c) => installedVersion(tree, c),
      extras: ctx.options.extraPlugins ?? [],
      ...(ctx.moodleOptions.offline ? { offline: true } : {}),
      ...(apiUrl ? { apiUrl } : {}),
      cacheDir: path.join(cacheRoot(), 'plugins'),
      log: (l) => {
        run.progress.note(l);
      },
    });
    for (const n of result.notes) run.progress.note(n);
    const found = run.add(result.findings);
    ctx.dependencies = result.plugins;
    if (result.plugins.length === 0) {
      phase.status = found.some((f) => f.severity === 'error') ? 'failed' : 'passed';
      phase.detail =
        found.length > 0 ? 'nothing could be installed' : 'every dependency is part of Moodle';
      return;
    }
    injectDependencies(site, tree, result.plugins);
    // Their own upgrade run, before the plugin's: what fails here is theirs, not the plugin's.
    site.onStdout = componentProgress(run.progress, 'dependencies');
    const outcome = await site.upgradeOutcome().finally(() => {
      site.onStdout = undefined;
    });
    const names = result.plugins.map((p) => `${p.component} ${p.release ?? p.version}`).join(', ');
    if (outcome.ended !== 'exited' || outcome.exitCode !== 0) {
      run.add([
        makeFinding(
          DEPENDENCY_RULES.installFailed,
          `Moodle could not install the dependencies (${names}): ${outcome.ended === 'exited' ? failureSummary(outcome.stdout, outcome.stderr) : outcome.ended}.`,
        ),
      ]);
      phase.status = 'failed';
      phase.detail = `installing ${names} failed`;
      return;
    }
    if (found.some((f) => f.severity === 'error')) phase.status = 'failed';
    phase.detail = `installed ${names} in ${(outcome.durationMs / 1000).toFixed(1)} s`;
  },
};

/**
 * `--extra-plugin` values checked before any Moodle work: a git URL parses, a path exists and is
 * a folder with version.php or a .zip. Bad input is a UserError (exit 2) naming the value.
 */
export function checkExtraPlugins(specs: readonly string[]): void {
  for (const spec of specs) {
    const shown = input('extra-plugin', spec);
    if (isUrlSpec(spec)) {
      parseGitSpec(spec, shown);
      continue;
    }
    const hint =
      'Give a plugin folder (with version.php at its root), a .zip of one, or a git URL such as https://github.com/owner/moodle-local_x.git@v1.2.';
    if (!existsSync(spec)) throw new UserError(`${shown}: ${spec} does not exist.`, hint);
    const st = statSync(spec);
    if (st.isDirectory() ? !existsSync(path.join(spec, 'version.php')) : !/\.zip$/i.test(spec))
      throw new UserError(
        `${shown}: ${spec} is ${st.isDirectory() ? 'a folder without version.php' : 'not a .zip'}.`,
        hint,
      );
  }
}

/** Shows the resolved plugins in a site's tree (every site of the check: main, upgrade path, PHPUnit). */
export function injectDependencies(
  site: Site,
  tree: MoodleTree,
  plugins: readonly ResolvedPlugin[],
): void {
  const prefix = tree.layout === 'public' ? 'public/' : '';
  for (const p of plugins) {
    const at = Plugin.load(p.dir).installPath;
    if (at) site.inject(`${prefix}${at}`, p.dir);
  }
}

/** Injects the check's resolved dependencies, if any, into another site of the same check. */
export function withDependencies(ctx: CheckContext, site: Site, tree: MoodleTree): void {
  if (ctx.dependencies?.length) injectDependencies(site, tree, ctx.dependencies);
}
