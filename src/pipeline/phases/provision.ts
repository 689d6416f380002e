// provision: the Moodle to run on (the plugin's newest supported branch unless the user or the
// blueprint says otherwise), a private copy of the installed site (restored from the cache, or
// installed and cached), and the PHP runtime. Opens the check's Moodle session, which the
// pipeline closes when the check ends.
import { PHP_WASM_VERSION, phpWasmBuild } from '../../php/runtime-package.js';
import { chooseMoodle, DEFAULT_DB, openSite, provisionSite } from '../moodle.js';
import { componentCount, componentProgress } from '../moodle-progress.js';
import { moodleSkipped, type Phase } from './phase.js';

export const provision: Phase = {
  name: 'provision',
  skipped: moodleSkipped,
  async run(ctx, phase, run) {
    const options = ctx.moodleOptions;
    const { resolved, php } = await chooseMoodle({ ...options, plugin: ctx.plugin });
    if (resolved.note) run.progress.note(resolved.note);
    const { tree } = resolved;
    const session = openSite(resolved, {
      php,
      db: options.db ?? DEFAULT_DB,
      timeoutMs: options.timeoutMs,
      limits: options.limits,
      purpose: 'run',
    });
    ctx.moodle = { ...session, installPath: ctx.plugin.installPath ?? '' };
    const { site } = session;
    ctx.report.moodle = {
      release: tree.release,
      branch: tree.branch,
      version: String(tree.version),
      layout: tree.layout,
      php,
      phpWasm: { version: PHP_WASM_VERSION, build: phpWasmBuild() },
      source: resolved.source === 'path' ? tree.root : `${resolved.source}:${resolved.id ?? ''}`,
      // The same array: later phases' adjustments (the theme upgrade.php builds…) show up too.
      adjustments: site.adjustments,
    };
    // A cold install takes half a minute: say which component Moodle is at.
    site.onStdout = componentProgress(run.progress, 'provision', componentCount(tree));
    try {
      phase.detail = await provisionSite(site, resolved);
    } finally {
      site.onStdout = undefined;
    }
    ctx.report.moodle.database = await site.databaseSummary();
  },
};
