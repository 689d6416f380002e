import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { rmSync } from 'node:fs';
import { listEntries, readEntry, removeEntry } from '../moodle/source/cache.js';
import { cacheRoot } from '../moodle/source/cache-dir.js';
import { archivePath } from '../moodle/source/download.js';
import { fingerprintChanges, quickFingerprint } from '../moodle/source/fingerprint.js';
import { importMoodle } from '../moodle/source/import.js';
import type { MoodleMeta } from '../moodle/source/meta.js';
import { branchLabel, detectLayout, releaseLabel } from '../moodle/source/tree.js';

function describeSource(meta: MoodleMeta): string {
  return meta.source.kind === 'import'
    ? `imported from ${meta.source.path}`
    : `downloaded from ${meta.source.url}`;
}

/** Cheap staleness for the listing (no file walk, unlike a check run): moved or changed. */
function importState(meta: MoodleMeta): string {
  if (meta.source.kind !== 'import') return '';
  try {
    const now = quickFingerprint(detectLayout(meta.source.path));
    return fingerprintChanges(meta.source.fingerprint, now).length > 0
      ? '  (stale: import it again)'
      : '';
  } catch {
    return '  (folder gone: import it again or remove it)';
  }
}

/** `moodle import|list|remove`: the Moodle trees in the tool's cache. */
export function addMoodleCommands(program: Command, out: (s: string) => void): void {
  const moodle = program.command('moodle').description('manage the Moodle trees in the cache');

  moodle
    .command('import')
    .description('register a local Moodle tree (classic or 5.1+ public/ layout), read-only')
    .argument('<dir>', 'the Moodle folder (the one with admin/cli/)')
    .action(async (dir: string) => {
      const { meta, replaced } = await importMoodle(dir, cacheRoot());
      out(
        `Registered Moodle ${meta.release} (${meta.layout} layout, ${meta.files} files) as ${meta.id}.\n`,
      );
      if (replaced)
        out(`It replaces the previous entry for the same release (${describeSource(replaced)}).\n`);
      out('Runs read it in place and never write to it; import it again after changing it.\n');
    });

  moodle
    .command('list')
    .description('list the Moodle trees in the cache')
    .action(() => {
      const entries = listEntries(cacheRoot());
      if (entries.length === 0) {
        out(
          `No Moodle trees in ${cacheRoot()}. Register one with: moodle-plugin-check moodle import <dir>\n`,
        );
        return;
      }
      for (const e of entries) {
        if (!e.meta) {
          out(`${e.id.padEnd(24)}broken entry: ${e.problem ?? 'unreadable'}\n`);
          continue;
        }
        out(
          `${e.id.padEnd(16)}${e.meta.release.padEnd(28)}${`${branchLabel(e.meta.branch)} (${e.meta.branch})`.padEnd(13)}${e.meta.layout.padEnd(9)}${describeSource(e.meta)}${importState(e.meta)}\n`,
        );
      }
    });

  moodle
    .command('remove')
    .description('forget a Moodle tree (an imported folder itself is left alone)')
    .argument('<id>', 'the id shown by `moodle list`')
    .action((id: string) => {
      const meta = readEntry(cacheRoot(), id)?.meta;
      if (!removeEntry(cacheRoot(), id)) {
        throw new UserError(
          `No Moodle tree ${id} in the cache.`,
          'See `moodle-plugin-check moodle list`.',
        );
      }
      // The kept archive goes too: nothing else uses it.
      if (meta?.source.kind === 'download')
        rmSync(archivePath(cacheRoot(), releaseLabel(meta.release)), { force: true });
      out(`Removed ${id}.\n`);
    });
}
