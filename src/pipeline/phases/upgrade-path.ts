// upgrade-path: `--upgrade-from` installed on a second copy of the site, then the new version put
// in place and upgraded: upgrade/* findings, and schema/* differences from a fresh install.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { blueprintBeforeUpgrade } from '../blueprint-phase.js';
import { runUpgradePhase } from '../upgrade-phase.js';
import { session } from './install.js';
import { withDependencies } from './dependencies.js';
import { moodleSkipped, type Phase } from './phase.js';

export const upgradePath: Phase = {
  name: 'upgrade-path',
  listed: (ctx) => ctx.upgradeSource !== undefined,
  skipped: moodleSkipped,
  async run(ctx, phase, run) {
    const source = ctx.upgradeSource;
    if (!source) return;
    const { site, resolved, workDir, installPath } = session(ctx.moodle);
    const options = ctx.moodleOptions;
    const found: Parameters<typeof runUpgradePhase>[2] = [];
    const note = (line: string): void => {
      run.progress.note(line);
    };
    try {
      ctx.report.upgrade = await runUpgradePhase(
        {
          plugin: ctx.plugin,
          source,
          resolved,
          freshSite: ctx.installed ? site : undefined,
          installPath,
          timeoutMs: options.timeoutMs,
          ...(options.limits ? { limits: options.limits } : {}),
          php: options.php,
          db: session(ctx.moodle).site.db,
          log: note,
          prepare: (s, t) => {
            withDependencies(ctx, s, t);
          },
          ...(ctx.blueprint
            ? {
                beforeUpgrade: blueprintBeforeUpgrade(
                  ctx.blueprint,
                  mkdtempSync(path.join(workDir, 'blueprint-old-')),
                  found,
                  note,
                ),
              }
            : {}),
        },
        phase,
        found,
      );
    } finally {
      run.add(found);
    }
  },
};
