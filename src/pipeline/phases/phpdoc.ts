// phpdoc: moodlehq/moodle-local_moodlecheck's rules (what the prechecker lists under phpdoc and
// moodle-plugin-ci's phpdoc command runs) inside php-wasm, on the PHP files the plugin ships.
import { makeFinding } from '../../core/rules.js';
import { allPlugins } from '../../checks/run.js';
import { resolveRuntimePackage } from '../../php/runtime-package.js';
import { MoodlecheckError, runMoodlecheck } from '../../style/moodlecheck.js';
import { phpcsFiles } from '../../style/phpcs.js';
import { phpdocRule } from '../../style/rules.js';
import { ensureToolchain, MOODLECHECK_PACKAGES } from '../../style/toolchain.js';
import { prechecksListed, type Phase } from './phase.js';

const PHP = '8.3';

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
    try {
      await resolveRuntimePackage(PHP);
    } catch (e) {
      phase.status = 'skipped';
      phase.detail = `not run: PHP ${PHP} for php-wasm cannot be had (${(e as Error).message})`;
      return;
    }
    const files = phpcsFiles(ctx.plugin, allPlugins);
    let messages;
    try {
      messages = await runMoodlecheck(ctx.plugin.root, files, {
        moodlecheck: tools.dirs.moodlecheck,
        php: PHP,
      });
    } catch (e) {
      if (!(e instanceof MoodlecheckError)) throw e;
      phase.status = 'failed';
      phase.detail = `not run: ${e.message}`;
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
    phase.detail = `moodlecheck ${tools.versions.replace(/^moodle-local_moodlecheck /, '')} on ${files.length} PHP file(s): ${messages.length} problem(s)`;
  },
};
