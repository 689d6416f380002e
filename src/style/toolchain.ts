// The coding-style toolchain: PHP_CodeSniffer, Moodle's moodle-cs standard and the PHPCSUtils and
// PHPCSExtra it needs, pinned to commits and a content digest. They live in the Composer package
// cache (src/phpunit/packages.ts: downloaded from their GitHub archives, or brought in offline by
// `phpunit import`/`cs import`), and run inside php-wasm (phpcs.ts). Nothing here runs PHP.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot } from '../core/cache-dir.js';
import { UserError } from '../core/errors.js';
import type { HttpOptions } from '../core/http.js';
import type { LockedPackage } from '../phpunit/lock.js';
import { ensurePackages, packageDir } from '../phpunit/packages.js';

export interface ToolPackage extends LockedPackage {
  /** The folder name inside PHP (`/mpc-cs/<mount>`). */
  mount: 'phpcs' | 'moodle-cs' | 'phpcsextra' | 'phpcsutils' | 'moodlecheck';
  /** sha256 over the package's code files (contentDigest): what a download or an import must hold. */
  digest: string;
}

const github = (
  name: string,
  repo: string,
  version: string,
  reference: string,
  mount: ToolPackage['mount'],
  digest: string,
): ToolPackage => ({
  name,
  version,
  reference,
  sourceUrl: `https://github.com/${repo}.git`,
  // What Composer's lock gives for these packages: GitHub's archive of the commit, no checksum
  // (GitHub's zips are not byte-stable); the digest below is checked on the extracted files.
  dist: {
    type: 'zip',
    url: `https://api.github.com/repos/${repo}/zipball/${reference}`,
    shasum: '',
  },
  autoload: {},
  bin: [],
  mount,
  digest,
});

/**
 * The pinned set. moodle-cs v3.7.0 with PHP_CodeSniffer 3.13.4, PHPCSExtra 1.2.1 and PHPCSUtils at
 * a6a0a723 (1.0.12 plus fixes): the newest set whose sources could be assembled and verified here
 * (moodle-plugin-ci 4.5 ships the same moodle-cs and PHPCS 3.13.x).
 */
export const CS_PACKAGES: readonly ToolPackage[] = [
  github(
    'squizlabs/php_codesniffer',
    'PHPCSStandards/PHP_CodeSniffer',
    '3.13.4',
    'ad545ea9c1b7d270ce0fc9cbfb884161cd706119',
    'phpcs',
    '6c03ba4e001e6b652ab0b4cf89b4eecb56c35c0afac4290a204b9471d36c4829',
  ),
  github(
    'moodlehq/moodle-cs',
    'moodlehq/moodle-cs',
    '3.7.0',
    'c25837893ead6fc67199334a6d63b0049577350e',
    'moodle-cs',
    '7de2487ce7f6d7e7c42294fd3d7e79a2dc3007173426b542fb330ae7538a46e3',
  ),
  github(
    'phpcsstandards/phpcsextra',
    'PHPCSStandards/PHPCSExtra',
    '1.2.1',
    '11d387c6642b6e4acaf0bd9bf5203b8cca1ec489',
    'phpcsextra',
    '6abfadc9d4e41a8d553f7465a343e99246e29b6fda3c1982241e9841ac452515',
  ),
  github(
    'phpcsstandards/phpcsutils',
    'PHPCSStandards/PHPCSUtils',
    '1.0.12+a6a0a723',
    'a6a0a723bc4efce5b8a12646f28bb83c4610dfac',
    'phpcsutils',
    '2116e4c7816620c4f133591859aacafad18985c9cdefacbfec0e9c7a1d278da2',
  ),
];

/**
 * moodlehq/moodle-local_moodlecheck v1.3.2, the phpdoc checker the Plugins directory's prechecker
 * and moodle-plugin-ci's `phpdoc` run; a Moodle plugin, so it has no composer.json.
 */
export const MOODLECHECK_PACKAGES: readonly ToolPackage[] = [
  github(
    'moodlehq/moodle-local_moodlecheck',
    'moodlehq/moodle-local_moodlecheck',
    '1.3.2',
    '4a037a77e1541c2ed293549b1bb5cdb12f32ee8d',
    'moodlecheck',
    '1ab37319051a2e71a36477000f91a4b3bcab52d02b3e765586a3e63f88e5f79e',
  ),
];

/** Every pinned tool, for `cs import`. */
export const TOOL_PACKAGES: readonly ToolPackage[] = [...CS_PACKAGES, ...MOODLECHECK_PACKAGES];

/** What the digest covers: the code and rulesets, not tests, docs or dot files (their line endings vary by checkout). */
function counted(rel: string): boolean {
  return (
    /\.(php|xml|json)$/.test(rel) &&
    !rel.split('/').some((s) => s === 'Tests' || s === 'tests' || s === 'docs' || s.startsWith('.'))
  );
}

/** sha256 over `path\0sha256(content)\n` of every counted file, sorted by path. */
export function contentDigest(dir: string): string {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const rel = path.relative(dir, p).split(path.sep).join('/');
        if (counted(rel)) files.push(rel);
      }
    }
  };
  walk(dir);
  files.sort();
  const h = createHash('sha256');
  for (const f of files)
    h.update(
      `${f}\0${createHash('sha256')
        .update(readFileSync(path.join(dir, f)))
        .digest('hex')}\n`,
    );
  return h.digest('hex');
}

/** Written beside the package marker once its digest has been checked. */
const VERIFIED = '.mpc-digest';

export type Toolchain =
  | { ok: true; dirs: Partial<Record<ToolPackage['mount'], string>>; versions: string }
  | { ok: false; why: string };

export interface ToolchainOptions {
  offline?: boolean;
  http?: HttpOptions;
  root?: string;
  packages?: readonly ToolPackage[];
  onDownload?: (pkg: LockedPackage) => void;
}

/**
 * The toolchain's folders, downloading what is missing unless offline. A package whose files are
 * not the pinned ones is dropped from the cache. What cannot be had is a reason, not an error: the
 * family is then reported as not run.
 */
export async function ensureToolchain(options: ToolchainOptions = {}): Promise<Toolchain> {
  const root = options.root ?? cacheRoot();
  const packages = options.packages ?? CS_PACKAGES;
  // One at a time, stopping at the first that cannot be had: offline or without network, a
  // check is not held up by a download attempt for each.
  for (const pkg of packages) {
    try {
      await ensurePackages([pkg], {
        root,
        ...(options.offline ? { offline: true } : {}),
        ...(options.http ? { http: options.http } : {}),
        ...(options.onDownload ? { onDownload: options.onDownload } : {}),
      });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      const why = e.message.replace(/^.*?could not be downloaded: [^:]*: /, '').replace(/\.$/, '');
      return {
        ok: false,
        why: `${pkg.name} ${pkg.version} is not in the cache (${why}). Run once with network, or import the sources of ${packages.map((p) => `${p.name} at ${p.reference.slice(0, 12)}`).join(', ')} with \`moodle-plugin-check cs import <dir>\``,
      };
    }
  }
  const dirs: Partial<Record<ToolPackage['mount'], string>> = {};
  for (const pkg of packages) {
    const dir = packageDir(pkg, root);
    const stamp = path.join(dir, VERIFIED);
    if (!(existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === pkg.digest)) {
      const got = contentDigest(dir);
      if (got !== pkg.digest) {
        rmSync(dir, { recursive: true, force: true });
        return {
          ok: false,
          why: `${pkg.name} ${pkg.version} in the cache is not the pinned one (content digest ${got.slice(0, 12)}…, expected ${pkg.digest.slice(0, 12)}…); it was removed from the cache. Import its sources at commit ${pkg.reference} again.`,
        };
      }
      writeFileSync(stamp, `${got}\n`);
    }
    dirs[pkg.mount] = dir;
  }
  return {
    ok: true,
    dirs,
    versions: packages.map((p) => `${p.name.split('/')[1]} ${p.version}`).join(', '),
  };
}
