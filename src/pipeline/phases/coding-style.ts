// coding-style: PHP_CodeSniffer with Moodle's moodle standard (moodle-cs), as the Plugins
// directory's prechecker and moodle-plugin-ci run it, inside php-wasm on the PHP files the plugin
// ships (third-party locations left out). Each message is a cs/<sniff code> finding. Static: it
// runs with --no-moodle too, and needs no Moodle tree. What cannot run says why, never "passed".
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { cacheRoot } from '../../core/cache-dir.js';
import { makeFinding } from '../../core/rules.js';
import { branchName } from '../../plugin/branches.js';
import { allPlugins } from '../../checks/run.js';
import { csRule } from '../../style/rules.js';
import { readFileSync } from 'node:fs';
import {
  ownRuleset,
  phpcsFiles,
  PhpcsError,
  runPhpcs,
  type PhpcsResult,
} from '../../style/phpcs.js';
import { ResultCache, resultKey } from '../../style/result-cache.js';
import { ensureToolchain } from '../../style/toolchain.js';
import { STYLE_PHP, styleWasmMissing, type Phase } from './phase.js';

export const codingStyle: Phase = {
  name: 'coding-style',
  // runCheck() callers (tests, the bench) opt in; the CLI and the Action default to on.
  listed: (ctx) =>
    ctx.options.codingStyle?.enabled === true && !ctx.config.disable.includes('cs/*'),
  skipped(ctx) {
    if (phpcsFiles(ctx.plugin, allPlugins).length === 0)
      return 'skipped: the plugin ships no PHP files outside its third-party locations';
    return undefined;
  },
  async run(ctx, phase, run) {
    const offline = ctx.moodleOptions.offline === true;
    const tools = await ensureToolchain({
      ...(offline ? { offline: true } : {}),
      onDownload: (p) => {
        run.progress.note(`coding-style: downloading ${p.name} ${p.version}`);
      },
    });
    if (!tools.ok) {
      phase.status = 'skipped';
      phase.detail = `not run: ${tools.why}`;
      return;
    }
    const noPhp = await styleWasmMissing();
    if (noPhp !== undefined) {
      phase.status = 'skipped';
      phase.detail = noPhp;
      return;
    }
    const standard = ctx.options.codingStyle?.standard ?? ctx.config.csStandard ?? 'moodle';
    const branch = Math.max(...ctx.plugin.targetBranches().map((b) => b.branch));
    const key = createHash('sha256')
      .update(`${ctx.plugin.component ?? ''}\0${standard}\0${branch}\0${tools.versions}`)
      .digest('hex')
      .slice(0, 16);
    const own = ownRuleset(ctx.plugin);
    run.progress.note(
      `coding-style: phpcs ${own ? `with the plugin’s ${own}` : `--standard=${standard}`} (${tools.versions})`,
    );
    // With our own standards the result is a function of the tools, the standard, the branch, the
    // components and the files: unchanged, it comes from the cache (a plugin ruleset's may load
    // the plugin's PHP, so it is never cached).
    const files = phpcsFiles(ctx.plugin, allPlugins);
    const cache = new ResultCache<PhpcsResult>('cs');
    const resultId =
      own === undefined
        ? resultKey([
            tools.versions,
            standard,
            String(branch),
            ctx.plugin.installPath ?? '',
            ...allPlugins(ctx.plugin).map((p) => `${p.prefix}=${p.component ?? ''}`),
            ...files.flatMap((f) => [f, readFileSync(path.join(ctx.plugin.root, f))]),
          ])
        : undefined;
    const hit = resultId === undefined ? undefined : cache.get(resultId);
    let result = hit;
    try {
      result ??= await runPhpcs(ctx.plugin, allPlugins, {
        tools: tools.dirs,
        standard,
        branch,
        php: STYLE_PHP,
        workers: Math.min(2, availableParallelism()),
        cacheDir: path.join(cacheRoot(), 'cs-cache', key),
      });
    } catch (e) {
      if (!(e instanceof PhpcsError)) throw e;
      phase.status = 'failed';
      phase.detail = `not run: ${e.message}`;
      return;
    }
    if (resultId !== undefined && hit === undefined) cache.set(resultId, result);
    const kept = run.add(
      result.messages.map((m) =>
        makeFinding(
          csRule(m.source, m.type === 'ERROR' ? 'error' : 'warning'),
          m.message,
          { file: m.file, line: m.line, column: m.column },
          m.fixable ? 'phpcbf can fix this one.' : undefined,
        ),
      ),
    );
    const errors = result.messages.filter((m) => m.type === 'ERROR').length;
    if (kept.some((f) => f.severity === 'error')) phase.status = 'failed';
    phase.detail = `phpcs --standard=${result.standard} for Moodle ${branchName(branch)} on ${result.files} PHP file(s): ${errors} error(s), ${result.messages.length - errors} warning(s) (${tools.versions})${hit ? ' (unchanged since a previous check: the result from the cache)' : ''}`;
  },
};
