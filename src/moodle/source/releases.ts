import { input } from '../../core/inputs.js';
import { UserError } from '../../core/errors.js';

/**
 * The newest point release of each branch we can download, by Moodle branch number. Kept by hand;
 * update it when Moodle ships a minor release. Checked on 2026-11-23 against Moodle HQ's release
 * table (moodle/devdocs data/versions.json) and version.php at the tagged commits: the releases of
 * 5 October 2026 are the newest. An older pin is harmless (the tag still exists); a newer one that
 * does not exist yet is a 404. Tags are `v<release>`; a .0 release is tagged `v5.3.0`.
 */
export const LATEST_RELEASES: Readonly<Record<number, string>> = {
  401: '4.1.22',
  402: '4.2.11',
  403: '4.3.12',
  404: '4.4.12',
  405: '4.5.15',
  500: '5.0.11',
  501: '5.1.8',
  502: '5.2.4',
  503: '5.3.0',
};

/**
 * Branches we can download but have never run (no tree of them was available to test): a check
 * on one says so. Remove a branch once its install has run in the integration tests.
 */
export const UNVERIFIED_BRANCHES: readonly number[] = [503];

export const DOWNLOADABLE_BRANCHES: readonly number[] = Object.keys(LATEST_RELEASES)
  .map(Number)
  .sort((a, b) => a - b);

/** 4.5 -> 405, 5.0 -> 500. */
export function branchNumber(major: number, minor: number): number {
  return major * 100 + minor;
}

export type MoodleSpec =
  | { kind: 'path'; path: string }
  | { kind: 'branch'; branch: number; label: string }
  | { kind: 'version'; branch: number; version: string };

/**
 * `--moodle`: a branch (`4.5`), a point release (`4.5.7`), or a folder. A folder is anything with
 * a path separator or a leading `.`/`~`, so `./4.5` means the folder and `4.5` the branch.
 */
export function parseSpec(spec: string): MoodleSpec {
  const s = spec.trim();
  if (/[/\\]/.test(s) || s.startsWith('.') || s.startsWith('~')) return { kind: 'path', path: s };
  let m = /^(\d+)\.(\d+)$/.exec(s);
  if (m) return { kind: 'branch', branch: branchNumber(Number(m[1]), Number(m[2])), label: s };
  m = /^(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (m)
    return {
      kind: 'version',
      branch: branchNumber(Number(m[1]), Number(m[2])),
      version: `${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`,
    };
  throw new UserError(
    `${input('moodle', spec)}: not a Moodle branch, release or folder.`,
    'Use a branch (4.5, 5.0), a release (4.5.7), or a path to a Moodle tree (./moodle).',
  );
}

/** The release a branch resolves to online, or undefined for a branch we cannot download. */
export function latestRelease(branch: number): string | undefined {
  return LATEST_RELEASES[branch];
}
