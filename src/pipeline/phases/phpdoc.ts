// phpdoc: moodlehq/moodle-local_moodlecheck's rules (what the prechecker lists under phpdoc and
// moodle-plugin-ci's phpdoc command runs) inside php-wasm, on the PHP files the plugin ships.
import { makeFinding } from '../../core/rules.js';
import { allPlugins } from '../../checks/run.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ourPhpDir } from '../../moodle/site/site.js';
import {
  MoodlecheckError,
  runMoodlecheck,
  type MoodlecheckMessage,
} from '../../style/moodlecheck.js';
import { perFile, ResultCache, resultKey } from '../../style/result-cache.js';
import { phpcsFiles } from '../../style/phpcs.js';
import { phpdocRule } from '../../style/rules.js';
import { ensureToolchain, MOODLECHECK_PACKAGES } from '../../style/toolchain.js';
import { prechecksListed, STYLE_PHP, styleWasmMissing, type Phase } from './phase.js';

/** Our driver: a change to it changes what a cached result means. */
const DRIVER = readFileSync(path.join(ourPhpDir(), 'style', 'moodlecheck.php'), 'utf8');

export const phpdoc: Phase = {
  name: 'phpdoc',
  listed: (ctx) => prechecksListed(ctx, 'phpdoc'),
  skipped(ctx) {
    if (phpcsFiles(ctx.plugin, allPlugins).length === 0)
      return 'skipped: the plugin ships no PHP files outside its third-party locations';
    return undefined;
  },
  async run(ctx, phase, run) {
    const tools = await ensureToolchain({
      packages: MOODLECHECK_PACKAGES,
      ...(ctx.moodleOptions.offline ? { offline: true } : {}),
      onDownload: (p) => {
        run.progress.note(`phpdoc: downloading ${p.name} ${p.version}`);
      },
    });
    if (!tools.ok || tools.dirs.moodlecheck === undefined) {
      phase.status = 'skipped';
      phase.detail = `not run: ${tools.ok ? 'moodlecheck is missing' : tools.why}`;
      return;
    }
    const files = phpcsFiles(ctx.plugin, allPlugins);
    const moodlecheck = tools.dirs.moodlecheck;
    const cache = new ResultCache<MoodlecheckMessage[]>('phpdoc');
    let messages: MoodlecheckMessage[];
    let computed: number;
    try {
      const got = await perFile(
        cache,
        files,
        (f) =>
          resultKey([
            MOODLECHECK_PACKAGES[0]?.digest ?? '',
            DRIVER,
            f,
            readFileSync(path.join(ctx.plugin.root, f)),
          ]),
        async (missing) => {
          const noPhp = await styleWasmMissing();
          if (noPhp !== undefined) throw new MoodlecheckError(noPhp);
          const found = await runMoodlecheck(ctx.plugin.root, missing, {
            moodlecheck,
            php: STYLE_PHP,
          });
          return new Map(missing.map((f) => [f, found.filter((m) => m.file === f)]));
        },
      );
      computed = got.computed;
      messages = files.flatMap((f) => got.results.get(f) ?? []);
    } catch (e) {
      if (!(e instanceof MoodlecheckError)) throw e;
      const noPhp = e.message.startsWith('not run:');
      phase.status = noPhp ? 'skipped' : 'failed';
      phase.detail = noPhp ? e.message : `not run: ${e.message}`;
      return;
    }
    const kept = run.add(
      messages.map((m) => {
        const rule = phpdocRule(m.source);
        return makeFinding(
          rule,
          rule.id === 'phpdoc/other' ? `${m.source}: ${m.message}` : m.message,
          { file: m.file, ...(m.line !== undefined ? { line: m.line } : {}) },
        );
      }),
    );
    if (kept.some((f) => f.severity === 'error')) phase.status = 'failed';
    phase.detail = `moodlecheck ${tools.versions.replace(/^moodle-local_moodlecheck /, '')} on ${files.length} PHP file(s)${computed < files.length ? ` (${files.length - computed} unchanged since a previous check: their results from the cache)` : ''}: ${messages.length} problem(s)`;
  },
};
