import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { listEntries, removeEntry } from '../moodle/cache.js';
import { cacheRoot } from '../moodle/cache-dir.js';
import { importMoodle } from '../moodle/import.js';
import type { MoodleMeta } from '../moodle/meta.js';

function describeSource(meta: MoodleMeta): string {
  return meta.source.kind === 'import'
    ? `imported from ${meta.source.path}`
    : `downloaded from ${meta.source.url}`;
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
          `${e.id.padEnd(24)}${e.meta.release.padEnd(30)}${e.meta.layout.padEnd(9)}${describeSource(e.meta)}${e.problem ? `  (${e.problem})` : ''}\n`,
        );
      }
    });

  moodle
    .command('remove')
    .description('forget a Moodle tree (an imported folder itself is left alone)')
    .argument('<id>', 'the id shown by `moodle list`')
    .action((id: string) => {
      if (!removeEntry(cacheRoot(), id)) {
        throw new UserError(
          `No Moodle tree ${id} in the cache.`,
          'See `moodle-plugin-check moodle list`.',
        );
      }
      out(`Removed ${id}.\n`);
    });
}
