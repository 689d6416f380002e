import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PhpMount } from '../../php/runtime.js';

/** A host file or folder that must appear at `rel` inside the (read-only) Moodle tree. */
export interface Injection {
  /** Posix path relative to the tree root, e.g. `config.php` or `public/mod/board`. */
  rel: string;
  hostPath: string;
  /** The host changes it while PHP runs (see PhpMount.changing). */
  changing?: boolean;
}

/**
 * Mounts that show a read-only host tree at `vfsRoot` with extra files and folders injected, the
 * tree itself untouched. php-wasm has no overlay filesystem, and creating a mountpoint inside a
 * read-only mount would write into the host tree; so every folder on the way to an injection is an
 * in-memory folder, its other entries mounted one by one (read-only), and the injections mounted
 * on top. Everything else stays one folder mount, so a run costs a few hundred mounts at most.
 */
export function overlayMounts(
  treeRoot: string,
  vfsRoot: string,
  injections: readonly Injection[],
): PhpMount[] {
  const injected = new Map(injections.map((i) => [normalize(i.rel), i.hostPath]));
  const changing = new Set(injections.filter((i) => i.changing).map((i) => normalize(i.rel)));
  const opened = new Set<string>(['']);
  for (const rel of injected.keys()) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) opened.add(parts.slice(0, i).join('/'));
  }
  const mounts: PhpMount[] = [];
  for (const dir of [...opened].sort()) {
    let entries: string[];
    try {
      entries = readdirSync(path.join(treeRoot, dir));
    } catch {
      continue; // A folder only injections create (e.g. a new plugin type folder).
    }
    for (const name of entries.sort()) {
      const rel = dir === '' ? name : `${dir}/${name}`;
      if (opened.has(rel) || injected.has(rel)) continue;
      const hostPath = path.join(treeRoot, rel);
      // Symlinks are not followed into the VFS: the tree is mounted as it is, nothing outside it.
      if (!statSync(hostPath, { throwIfNoEntry: false })) continue;
      mounts.push({ hostPath, vfsPath: `${vfsRoot}/${rel}`, readOnly: true });
    }
  }
  for (const [rel, hostPath] of [...injected].sort(([a], [b]) => a.localeCompare(b))) {
    mounts.push({
      hostPath,
      vfsPath: `${vfsRoot}/${rel}`,
      readOnly: true,
      ...(changing.has(rel) ? { changing: true } : {}),
    });
  }
  return mounts;
}

function normalize(rel: string): string {
  const n = path.posix.normalize(rel).replace(/^\/+|\/+$/g, '');
  if (n === '' || n === '.' || n.startsWith('..'))
    throw new Error(`Injection path escapes the tree: ${rel}`);
  return n;
}
