// What Moodle is doing during a long phase, from upgrade.php's and install_database.php's output
// as it streams: each `-->component` line is one component installed or upgraded.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { MoodleTree } from '../moodle/source/tree.js';
import type { Progress } from './progress.js';

/** Components a full install of this tree installs: core plus every plugin folder with a version.php. */
export function componentCount(tree: MoodleTree): number | undefined {
  try {
    const types = (
      JSON.parse(readFileSync(tree.componentsJson, 'utf8')) as {
        plugintypes?: Record<string, string>;
      }
    ).plugintypes;
    let n = 1;
    for (const rel of Object.values(types ?? {})) {
      const dir = path.join(tree.webRoot, rel);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names)
        if (statSync(path.join(dir, name, 'version.php'), { throwIfNoEntry: false })?.isFile()) n++;
    }
    return n;
  } catch {
    return undefined;
  }
}

/**
 * A stdout listener that turns `-->component` lines into phase progress ("component 12 of 410:
 * mod_assign"). Lines split across chunks are put together first.
 */
export function componentProgress(
  progress: Progress,
  phase: string,
  total?: number,
): (chunk: string) => void {
  let rest = '';
  let n = 0;
  return (chunk) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^-->(\w+)\s*$/.exec(line);
      if (!m) continue;
      n++;
      progress.phaseProgress(phase, `component ${n}${total ? ` of ${total}` : ''}: ${m[1]}`);
    }
  };
}
