import path from 'node:path';

export { cacheRoot, type CacheDirContext } from '../../core/cache-dir.js';

/** `<root>/moodle`: one folder per Moodle tree, named by its id. */
export function moodleDir(root: string): string {
  return path.join(root, 'moodle');
}

/** `<root>/downloads`: the release archives, kept so a damaged tree can be re-extracted. */
export function downloadsDir(root: string): string {
  return path.join(root, 'downloads');
}
