// provision: the Moodle to run on (the plugin's newest supported branch unless --moodle says
// otherwise), a private copy of the installed site (restored from the cache, or installed and
// cached), and the PHP runtime. Opens the check's Moodle session.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cacheRoot } from '../../moodle/cache-dir.js';
import { Site } from '../../moodle/site.js';
import { phpFor, provisionSite, resolveForPlugin } from '../moodle.js';
import { componentCount, componentProgress } from '../moodle-progress.js';
import { moodleSkipped, type Phase } from './phase.js';

export const provision: Phase = {
  name: 'provision',
  skipped: moodleSkipped,
  async run(ctx, phase, run) {
    const options = ctx.moodleOptions;
    if (options.php !== undefined) phpFor(0, options.php); // bad --php is bad input before any download
    const resolved = await resolveForPlugin(ctx.plugin, options);
    if (resolved.note) run.progress.note(resolved.note);
    const { tree } = resolved;
    const php = phpFor(Number(tree.branch), options.php);
    const workDir = mkdtempSync(path.join(tmpdir(), 'mpc-run-'));
    const site = new Site({
      tree,
      phpVersion: php,
      workDir,
      timeoutMs: options.timeoutMs,
      cacheDir: path.join(cacheRoot(), 'sites'),
      ...(options.limits ? { limits: options.limits } : {}),
    });
    ctx.moodle = { resolved, php, site, workDir, installPath: ctx.plugin.installPath ?? '' };
    ctx.report.moodle = {
      release: tree.release,
      branch: tree.branch,
      version: String(tree.version),
      layout: tree.layout,
      php,
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
  },
};
