// javascript and css: ESLint on amd/src and stylelint on the plugin's CSS and SCSS, with the
// target Moodle tree's own .eslintrc and .stylelintrc, at the versions its package.json pins, as
// its Gruntfile (and so moodle-plugin-ci and the prechecker) runs them → javascript/<rule>,
// css/<rule>. Only what the plugin ships is linted (third-party locations, builds left out).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { makeFinding } from '../../core/rules.js';
import { allPlugins } from '../../checks/run.js';
import type { Plugin } from '../../plugin/plugin.js';
import {
  JS_LINT_VERSIONS,
  jsLintFile,
  jsLintIdentity,
  linterRuleName,
  loadJsLint,
  type LintedFile,
} from '../../style/js-lint.js';
import { perFile, ResultCache, resultKey } from '../../style/result-cache.js';
import { linterRule } from '../../style/rules.js';
import type { CheckContext } from '../context.js';
import type { CheckRun } from '../run.js';
import { styleTree } from '../style-tree.js';
import type { PhaseResult } from '../../report/model.js';
import { prechecksListed, type Phase } from './phase.js';

interface Target {
  plugin: Plugin;
  file: string;
}

/** Globs of the plugin's .eslintignore / .stylelintignore, as the linters honour them. */
function ignoreFile(top: Plugin, name: string): (rel: string) => boolean {
  const text = top.text(name);
  if (text === undefined) return () => false;
  const globs = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!'))
    .map((l) => l.replace(/^\//, '').replace(/\/$/, '/**'));
  if (globs.length === 0) return () => false;
  const match = picomatch(globs, { dot: true, matchBase: !globs.some((g) => g.includes('/')) });
  return (rel) => match(rel);
}

const amdSources = (ctx: CheckContext): Target[] => {
  const ignored = ignoreFile(ctx.plugin, '.eslintignore');
  return allPlugins(ctx.plugin).flatMap((p) =>
    p.files
      .filter((f) => f.startsWith('amd/src/') && f.endsWith('.js') && !ignored(p.prefix + f))
      .map((file) => ({ plugin: p, file })),
  );
};

const styleSources = (ctx: CheckContext): Target[] => {
  const ignored = ignoreFile(ctx.plugin, '.stylelintignore');
  return allPlugins(ctx.plugin).flatMap((p) =>
    p.files
      .filter(
        (f) =>
          /\.(css|scss)$/.test(f) &&
          !/(^|\/)(amd|yui)\/build\//.test(f) &&
          !f.startsWith('node_modules/') &&
          !ignored(p.prefix + f),
      )
      .map((file) => ({ plugin: p, file })),
  );
};

async function lintPhase(
  ctx: CheckContext,
  phase: PhaseResult,
  run: CheckRun,
  family: 'javascript' | 'css',
  targets: Target[],
): Promise<void> {
  const configName = family === 'javascript' ? '.eslintrc' : '.stylelintrc';
  const found = styleTree(ctx, (t) => existsSync(path.join(t.root, configName)));
  if (!found) {
    phase.status = 'skipped';
    phase.detail = `not run: the rules are the Moodle tree’s ${configName}, and no Moodle in the cache has one (run with Moodle, or \`moodle-plugin-check moodle import <dir>\`)`;
    return;
  }
  const { tree, nearest } = found;
  const config = readFileSync(path.join(tree.root, configName), 'utf8');
  if (jsLintFile() === undefined) {
    phase.status = 'skipped';
    phase.detail = 'not run: the linters’ bundle (dist/js-lint.mjs) is missing';
    return;
  }
  const files = targets.map(({ plugin, file }) => ({
    path: plugin.prefix + file,
    code: plugin.text(file) ?? '',
  }));
  const identity = jsLintIdentity();
  const cache = new ResultCache<{ messages: LintedFile['messages']; skipped: string[] }>(family);
  let versions: Record<string, string> = {};
  let results: LintedFile[];
  let skipped: string[];
  let computed: number;
  try {
    const got = await perFile(
      cache,
      files,
      (f) => resultKey([identity, config, f.path, f.code]),
      async (missing) => {
        const linters = await loadJsLint();
        versions = linters.VERSIONS;
        const out = new Map<
          (typeof files)[number],
          { messages: LintedFile['messages']; skipped: string[] }
        >();
        if (family === 'javascript') {
          const r = linters.lintJs(missing, config);
          missing.forEach((f, i) =>
            out.set(f, { messages: r.results[i]?.messages ?? [], skipped: r.skipped }),
          );
        } else {
          const r = await linters.lintCss(missing, config);
          missing.forEach((f, i) => out.set(f, { messages: r[i]?.messages ?? [], skipped: [] }));
        }
        return out;
      },
    );
    computed = got.computed;
    results = files.map((f) => ({ path: f.path, messages: got.results.get(f)?.messages ?? [] }));
    skipped = [...new Set(files.flatMap((f) => got.results.get(f)?.skipped ?? []))];
  } catch (e) {
    phase.status = 'failed';
    phase.detail = `not run: ${family === 'javascript' ? 'ESLint' : 'stylelint'} stopped on Moodle ${tree.release}’s ${configName}: ${(e as Error).message}`;
    return;
  }
  const kept = run.add(
    results.flatMap((r) =>
      r.messages.map((m) =>
        makeFinding(linterRule(family, linterRuleName(m.ruleId), m.severity), m.message, {
          file: r.path,
          line: m.line,
          column: m.column,
        }),
      ),
    ),
  );
  if (kept.some((f) => f.severity === 'error')) phase.status = 'failed';
  const problems = results.reduce((n, r) => n + r.messages.length, 0);
  const tool =
    family === 'javascript'
      ? `ESLint ${versions.eslint ?? JS_LINT_VERSIONS.eslint}`
      : `stylelint ${versions.stylelint ?? JS_LINT_VERSIONS.stylelint}`;
  phase.detail = `${tool} with Moodle ${tree.release}’s ${configName}${nearest ? ' (no Moodle the plugin targets is in the cache: the nearest)' : ''} on ${files.length} file(s)${computed < files.length ? ` (${files.length - computed} unchanged since a previous check: their results from the cache)` : ''}: ${problems} problem(s)${skipped.length ? `; rules this ESLint lacks, not run: ${skipped.join(', ')}` : ''}`;
}

export const javascript: Phase = {
  name: 'javascript',
  listed: (ctx) => prechecksListed(ctx, 'javascript'),
  skipped: (ctx) =>
    amdSources(ctx).length === 0 ? 'skipped: the plugin has no amd/src/*.js' : undefined,
  run: (ctx, phase, run) => lintPhase(ctx, phase, run, 'javascript', amdSources(ctx)),
};

export const css: Phase = {
  name: 'css',
  listed: (ctx) => prechecksListed(ctx, 'css'),
  skipped: (ctx) =>
    styleSources(ctx).length === 0
      ? 'skipped: the plugin has no CSS or SCSS of its own'
      : undefined,
  run: (ctx, phase, run) => lintPhase(ctx, phase, run, 'css', styleSources(ctx)),
};
