// templates: every Mustache template the plugin ships rendered with its example context by the
// Mustache library of a Moodle tree (mustache_lint's way: Moodle's pragmas, partials through the
// components, its helpers emulated), inside php-wasm, and the HTML judged well-formed as a
// fragment → mustache/*. The tree is the run's Moodle, else a cached one of a target branch.
import { makeFinding } from '../../core/rules.js';
import { allPlugins } from '../../checks/run.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ourPhpDir } from '../../moodle/site/site.js';
import {
  MustacheError,
  renderTemplates,
  templateFiles,
  type TemplateResult,
} from '../../style/mustache.js';
import { ResultCache, resultKey } from '../../style/result-cache.js';
import { MUSTACHE_RULES } from '../../style/rules.js';
import { styleTree } from '../style-tree.js';
import { prechecksListed, STYLE_PHP, styleWasmMissing, type Phase } from './phase.js';

/** Our renderer: a change to it changes what a cached result means. */
const DRIVER = readFileSync(path.join(ourPhpDir(), 'style', 'mustache.php'), 'utf8');

export const templates: Phase = {
  name: 'templates',
  listed: (ctx) => prechecksListed(ctx, 'mustache'),
  skipped(ctx) {
    if (templateFiles(ctx.plugin, allPlugins).length === 0)
      return 'skipped: the plugin has no templates/*.mustache';
    return undefined;
  },
  async run(ctx, phase, run) {
    const found = styleTree(ctx);
    if (!found) {
      const branches = ctx.plugin
        .targetBranches()
        .map((b) => b.name)
        .join(', ');
      phase.status = 'skipped';
      phase.detail = `not run: the templates render with a Moodle tree’s Mustache engine and partials, and no Moodle is in the cache (the plugin targets ${branches}) (run with Moodle, or \`moodle-plugin-check moodle import <dir>\`)`;
      return;
    }
    const { tree, nearest } = found;
    const noPhp = await styleWasmMissing();
    if (noPhp !== undefined) {
      phase.status = 'skipped';
      phase.detail = noPhp;
      return;
    }
    // The result is a function of the tree, our driver, the plugin's components and its
    // templates (partials included): unchanged, it comes from the cache.
    const cache = new ResultCache<TemplateResult[]>('mustache');
    const key = resultKey([
      tree.root,
      tree.release,
      String(tree.version),
      DRIVER,
      ctx.plugin.type ?? '',
      ...allPlugins(ctx.plugin).map((p) => `${p.prefix}=${p.component ?? ''}`),
      ...templateFiles(ctx.plugin, allPlugins).flatMap(({ plugin, file }) => [
        plugin.prefix + file,
        plugin.text(file) ?? '',
      ]),
      ...allPlugins(ctx.plugin).flatMap((p) =>
        p.files
          .filter((f) => f.endsWith('.mustachelintignore'))
          .map((f) => `${p.prefix}${f}=${p.text(f) ?? ''}`),
      ),
    ]);
    let results = cache.get(key);
    const fromCache = results !== undefined;
    try {
      results ??= await renderTemplates(ctx.plugin, allPlugins, tree, { php: STYLE_PHP });
      if (!fromCache) cache.set(key, results);
    } catch (e) {
      if (!(e instanceof MustacheError)) throw e;
      phase.status = 'failed';
      phase.detail = `not run: ${e.message}`;
      return;
    }
    const findings = results.flatMap((t) => {
      const where = { file: t.file, ...(t.line !== undefined ? { line: t.line } : {}) };
      const out = [];
      if (t.status === 'no-example')
        out.push(
          makeFinding(
            MUSTACHE_RULES.noExample,
            `${t.message ?? 'Example context missing'}: rendered without data`,
            where,
          ),
        );
      if (t.status === 'bad-example')
        out.push(makeFinding(MUSTACHE_RULES.badExample, t.message ?? 'unparsable JSON', where));
      if (t.status === 'render-failed')
        out.push(makeFinding(MUSTACHE_RULES.renderFailed, t.message ?? 'rendering failed', where));
      for (const p of t.html)
        out.push(
          makeFinding(
            MUSTACHE_RULES.html,
            `Rendered HTML, line ${p.line}, column ${p.column}: ${p.message}`,
            {
              file: t.file,
            },
          ),
        );
      return out;
    });
    const kept = run.add(findings);
    if (kept.some((f) => f.severity === 'error')) phase.status = 'failed';
    const rendered = results.filter((t) => t.status === 'ok' || t.status === 'no-example').length;
    const ignored = results.filter((t) => t.htmlIgnored).length;
    phase.detail = `${rendered} of ${results.length} template(s) rendered with Moodle ${tree.release}’s Mustache${nearest ? ' (no Moodle the plugin targets is in the cache: the nearest)' : ''}; ${results.filter((t) => t.html.length > 0).length} with HTML problems${ignored ? `, ${ignored} HTML check(s) skipped by .mustachelintignore` : ''}${fromCache ? ' (unchanged since a previous check: the result from the cache)' : ''}`;
  },
};
