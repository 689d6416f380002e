// The Moodle tree the prechecker's families take from: its Mustache engine and partials, its
// .eslintrc and .stylelintrc. Static phases use a cached tree; with Moodle, the run's own.
import { cacheRoot } from '../core/cache-dir.js';
import { entryTreeDir, listEntries } from '../moodle/source/cache.js';
import { readMoodleTree, type MoodleTree } from '../moodle/source/tree.js';
import type { CheckContext } from './context.js';

/**
 * The run's Moodle tree, else a cached one: of a branch the plugin targets (the newest), else the
 * nearest branch (said in the detail), that has what the phase needs of it (`usable`): its
 * Mustache engine and partials, its .eslintrc, its .stylelintrc.
 */
export function styleTree(
  ctx: CheckContext,
  usable: (tree: MoodleTree) => boolean = () => true,
): { tree: MoodleTree; nearest: boolean } | undefined {
  if (ctx.moodle && usable(ctx.moodle.resolved.tree))
    return { tree: ctx.moodle.resolved.tree, nearest: false };
  const targets = ctx.plugin.targetBranches().map((b) => b.branch);
  const max = Math.max(...targets);
  const root = cacheRoot();
  const distance = (branch: number): number =>
    targets.includes(branch) ? 0 : branch <= max ? max - branch : 10_000 + branch - max;
  const entries = listEntries(root)
    .flatMap((e) => (e.meta ? [e.meta] : []))
    .sort(
      (a, b) => distance(Number(a.branch)) - distance(Number(b.branch)) || b.version - a.version,
    );
  for (const meta of entries) {
    try {
      const tree = readMoodleTree(entryTreeDir(root, meta));
      if (usable(tree)) return { tree, nearest: distance(Number(meta.branch)) > 0 };
    } catch {
      // an imported tree that moved away: try the next
    }
  }
  return undefined;
}
