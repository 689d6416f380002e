import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { assignments, evaluate, parsePhp, type PhpValue } from '../../plugin/php.js';

/**
 * `classic`: 4.1–5.0, everything at the root. `public`: 5.1+, web files under `public/` while
 * `admin/cli/`, `config.php` and (5.2) `lib/components.json` stay at the root.
 */
export type MoodleLayout = 'classic' | 'public';

/** A Moodle source tree on disk, read but never written. */
export interface MoodleTree {
  /** Absolute path of the tree (the folder holding `config.php` once installed). */
  root: string;
  layout: MoodleLayout;
  /** Where the web files live: `root` (classic) or `root/public`. */
  webRoot: string;
  versionFile: string;
  componentsJson: string;
  /** `$version`, e.g. 2024100707.03. */
  version: number;
  /** `$release`, e.g. '4.5.7+ (Build: 20251024)'. */
  release: string;
  /** `$branch`, e.g. '405'. */
  branch: string;
}

/** The point release a `$release` names, e.g. '4.5.7+', '5.0.0' (for '5.0'), '5.1dev'. */
export function releaseLabel(release: string): string {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(\S*)/.exec(release.trim());
  if (!m) return release.trim().split(/\s+/)[0] ?? release;
  const [, major, minor, patch, suffix] = m;
  const prerelease = suffix !== undefined && suffix !== '' && suffix !== '+';
  // '5.1dev' or '5.1beta' has no point number; '5.0' is the .0 release.
  const point = patch ?? (prerelease ? undefined : '0');
  return `${major}.${minor}${point !== undefined ? `.${point}` : ''}${suffix ?? ''}`;
}

/** '405' -> '4.5', '500' -> '5.0', '39' -> '3.9'. */
export function branchLabel(branch: string): string {
  const n = Number(branch);
  if (!Number.isInteger(n)) return branch;
  return n < 100 ? `${Math.floor(n / 10)}.${n % 10}` : `${Math.floor(n / 100)}.${n % 100}`;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export interface CoreVersion {
  version: number;
  release: string;
  branch: string;
}

/** Reads `$version`, `$release` and `$branch` from Moodle's own version.php. */
export function parseCoreVersion(code: string, file: string): CoreVersion {
  const parsed = parsePhp(code, file);
  if (!parsed.ast) {
    const err = parsed.error;
    throw new UserError(
      `${file}:${err?.line ?? 1}: cannot parse it (${err?.message ?? 'syntax error'}).`,
      'Use an unmodified Moodle source tree.',
    );
  }
  const values = new Map<string, PhpValue>();
  for (const a of assignments(parsed.ast)) {
    if (a.target === undefined && !a.dynamicTarget) values.set(a.variable, evaluate(a.value));
  }
  const version = values.get('version');
  const release = values.get('release');
  const branch = values.get('branch');
  const missing = [
    typeof version === 'number' ? undefined : '$version',
    typeof release === 'string' ? undefined : '$release',
    typeof branch === 'string' || typeof branch === 'number' ? undefined : '$branch',
  ].filter((m) => m !== undefined);
  if (missing.length > 0 || (typeof branch !== 'string' && typeof branch !== 'number')) {
    throw new UserError(
      `${file}: no ${missing.join(', ')} (as a literal), so this is not Moodle’s own version.php.`,
      'Pass the root of a Moodle source tree, not a plugin folder.',
    );
  }
  return {
    version: version as number,
    release: release as string,
    branch: String(branch),
  };
}

/**
 * Where version.php and components.json are, or a UserError naming the missing file. A stray
 * `config.php` (e.g. from the tree's own repository) is irrelevant here and ignored.
 */
export function detectLayout(root: string): {
  layout: MoodleLayout;
  versionFile: string;
  componentsJson: string;
} {
  const shown = (rel: string): string => path.join(root, rel);
  if (!existsSync(root)) throw new UserError(`${root}: no such directory.`);
  if (!statSync(root).isDirectory()) throw new UserError(`${root}: not a directory.`);

  const classicVersion = path.join(root, 'version.php');
  const publicVersion = path.join(root, 'public', 'version.php');
  const candidates = [
    path.join(root, 'lib', 'components.json'),
    path.join(root, 'public', 'lib', 'components.json'),
  ];
  if (isFile(classicVersion)) {
    const componentsJson = candidates[0]!;
    if (!isFile(componentsJson))
      throw new UserError(
        `${shown('lib/components.json')}: missing, so ${root} is not a Moodle source tree.`,
        'Pass the root of a Moodle 4.1+ source tree (the folder with version.php and lib/).',
      );
    return { layout: 'classic', versionFile: classicVersion, componentsJson };
  }
  if (isFile(publicVersion)) {
    const componentsJson = candidates.find(isFile);
    if (!componentsJson)
      throw new UserError(
        `${shown('lib/components.json')}: missing (nor under public/), so ${root} is not a Moodle source tree.`,
        'Pass the root of a Moodle source tree.',
      );
    return { layout: 'public', versionFile: publicVersion, componentsJson };
  }
  throw new UserError(
    `${shown('version.php')}: missing (nor public/version.php), so ${root} is not a Moodle source tree.`,
    'Pass the root of a Moodle source tree: the folder holding version.php (4.1–5.0) or public/ (5.1+).',
  );
}

/** Reads a Moodle tree's layout and version facts. Never writes to it. */
export function readMoodleTree(dir: string): MoodleTree {
  const root = path.resolve(dir);
  const { layout, versionFile, componentsJson } = detectLayout(root);
  const facts = parseCoreVersion(readFileSync(versionFile, 'utf8'), versionFile);
  return {
    root,
    layout,
    webRoot: layout === 'public' ? path.join(root, 'public') : root,
    versionFile,
    componentsJson,
    ...facts,
  };
}
