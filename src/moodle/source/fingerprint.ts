import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { MoodleTree } from './tree.js';

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/**
 * What tells us an imported tree changed under us, cheaply: the two files we read first, and the
 * number of files (a checkout of another branch, a pulled update or a deleted folder shows up).
 */
export interface Fingerprint {
  versionPhp: FileStamp;
  componentsJson: FileStamp;
  files: number;
}

function stamp(file: string): FileStamp {
  const st = statSync(file);
  return { size: st.size, mtimeMs: Math.round(st.mtimeMs) };
}

/** Files (not folders) under `dir`, recursively; symlinks count as files and are not followed. */
export function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(path.join(dir, e.name));
    else n++;
  }
  return n;
}

/** The cheap part only (no file walk): good enough for `moodle list`. */
export function quickFingerprint(tree: Pick<MoodleTree, 'versionFile' | 'componentsJson'>): {
  versionPhp: FileStamp;
  componentsJson: FileStamp;
} {
  return { versionPhp: stamp(tree.versionFile), componentsJson: stamp(tree.componentsJson) };
}

export function fingerprint(tree: MoodleTree): Fingerprint {
  return { ...quickFingerprint(tree), files: countFiles(tree.root) };
}

const sameStamp = (a: FileStamp, b: FileStamp): boolean =>
  a.size === b.size && a.mtimeMs === b.mtimeMs;

/** What differs, for the message; empty when the fingerprints match. */
export function fingerprintChanges(
  recorded: Fingerprint,
  now: Partial<Fingerprint> & Pick<Fingerprint, 'versionPhp' | 'componentsJson'>,
): string[] {
  const out: string[] = [];
  if (!sameStamp(recorded.versionPhp, now.versionPhp)) out.push('version.php changed');
  if (!sameStamp(recorded.componentsJson, now.componentsJson))
    out.push('lib/components.json changed');
  if (now.files !== undefined && recorded.files !== now.files)
    out.push(`file count ${recorded.files} → ${now.files}`);
  return out;
}
