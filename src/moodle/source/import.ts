import { commitEntry, lockEntry, readEntry } from './cache.js';
import { fingerprint } from './fingerprint.js';
import { entryId, type MoodleMeta } from './meta.js';
import { readMoodleTree } from './tree.js';

export interface ImportResult {
  meta: MoodleMeta;
  /** The entry that was there before with the same id (the same release), if any. */
  replaced?: MoodleMeta;
}

/**
 * Registers a local Moodle tree in the cache, read-only: only meta.json is written, in the cache.
 * The tree is used in place, so the fingerprint lets a later run notice it changed.
 */
export async function importMoodle(dir: string, root: string): Promise<ImportResult> {
  const tree = readMoodleTree(dir);
  const id = entryId('import', tree.release);
  return lockEntry(root, id, async () => {
    const previous = readEntry(root, id)?.meta;
    const print = fingerprint(tree);
    const meta = await commitEntry(root, id, () => ({
      id,
      release: tree.release,
      branch: tree.branch,
      version: tree.version,
      layout: tree.layout,
      source: { kind: 'import', path: tree.root, fingerprint: print },
      files: print.files,
      importedAt: new Date().toISOString(),
    }));
    return previous ? { meta, replaced: previous } : { meta };
  });
}
