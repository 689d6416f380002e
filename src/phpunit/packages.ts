// PHPUnit's Composer packages in the tool's cache, and the vendor/ folder a run mounts at the root
// of the Moodle tree (Moodle's admin/tool/phpunit/cli/util.php looks for vendor/autoload.php,
// vendor/bin/phpunit and vendor/phpunit/phpunit/composer.json there). Packages come from their
// dist archives (downloaded with retries and verified) or, offline, from `phpunit import`; the
// Moodle tree itself is never written.
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { cacheRoot } from '../core/cache-dir.js';
import { UserError } from '../core/errors.js';
import { downloadFile, DownloadError, type HttpOptions } from '../core/http.js';
import { unzipBounded } from '../moodle/source/extract.js';
import type { LockedPackage } from './lock.js';

/** The archives of PHPUnit's packages are small: nikic/php-parser, the largest, is ~1.5 MB. */
const PACKAGE_ZIP_LIMITS = { maxEntries: 20_000, maxBytes: 200 * 1024 ** 2 };

/** Written last into a cached package: a folder without it is not one. */
export const MARKER = '.mpc-package.json';

export interface PackageMarker {
  name: string;
  version: string;
  reference: string;
  /** `download`: the dist archive, sha256 recorded; `import`: copied from a local folder. */
  origin: 'download' | 'import';
  from: string;
  sha256?: string;
}

export function packagesDir(root = cacheRoot()): string {
  return path.join(root, 'composer');
}

/** Where one package at one commit lives in the cache. */
export function packageDir(pkg: { name: string; reference: string }, root = cacheRoot()): string {
  return path.join(packagesDir(root), ...pkg.name.split('/'), pkg.reference);
}

export function isCached(pkg: LockedPackage, root = cacheRoot()): boolean {
  return existsSync(path.join(packageDir(pkg, root), MARKER));
}

/** Moves a finished temp folder into place; another process may have won the race. */
function commit(tmp: string, dest: string): void {
  mkdirSync(path.dirname(dest), { recursive: true });
  try {
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(path.join(dest, MARKER))) throw e;
  }
}

const tmpBeside = (dest: string): string =>
  `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

export interface FetchOptions {
  offline?: boolean;
  http?: HttpOptions;
  root?: string;
  /** Told about each download (progress). */
  onDownload?: (pkg: LockedPackage) => void;
}

/**
 * Makes sure every package is in the cache: downloads the missing ones from their dist archive
 * (unless offline). What cannot be had is bad input listing each package and the way out.
 */
export async function ensurePackages(
  packages: readonly LockedPackage[],
  options: FetchOptions = {},
): Promise<void> {
  const root = options.root ?? cacheRoot();
  const missing: { pkg: LockedPackage; why: string }[] = [];
  for (const pkg of packages) {
    if (isCached(pkg, root)) continue;
    if (options.offline || !pkg.dist) {
      missing.push({ pkg, why: options.offline ? 'offline' : 'no dist archive in the lock' });
      continue;
    }
    options.onDownload?.(pkg);
    try {
      await downloadPackage(pkg, root, options.http);
    } catch (e) {
      if (!(e instanceof DownloadError) && !(e instanceof PackageArchiveError)) throw e;
      missing.push({ pkg, why: e.message });
    }
  }
  if (missing.length === 0) return;
  const list = missing
    .slice(0, 8)
    .map(({ pkg, why }) => `${pkg.name} ${pkg.version} (${pkg.reference.slice(0, 12)}): ${why}`)
    .join('; ');
  throw new UserError(
    `PHPUnit cannot be installed: ${missing.length} of its ${packages.length} packages are not in the cache and could not be downloaded: ${list}${missing.length > 8 ? '; …' : ''}.`,
    'Run once where the archives are reachable (they are then cached), or put each package’s source at its commit in <dir>/<vendor>/<name>/<commit>/ and run `moodle-plugin-check phpunit import <dir>`.',
  );
}

export class PackageArchiveError extends Error {
  override readonly name = 'PackageArchiveError';
}

/**
 * Downloads a package's dist archive, verifies it (the lock's sha1 when it gives one; GitHub's
 * archives, which it never does, must hold the one folder GitHub names after the locked commit)
 * and extracts it into the cache.
 */
export async function downloadPackage(
  pkg: LockedPackage,
  root: string,
  http: HttpOptions = {},
): Promise<void> {
  if (!pkg.dist) throw new PackageArchiveError('no dist archive in the lock');
  if (pkg.dist.type !== 'zip')
    throw new PackageArchiveError(`dist type ${pkg.dist.type} is not supported`);
  const dest = packageDir(pkg, root);
  mkdirSync(path.dirname(dest), { recursive: true });
  const zipPath = `${tmpBeside(dest)}.zip`;
  try {
    const got = await downloadFile(pkg.dist.url, zipPath, { retries: 4, ...http });
    const data = readFileSync(zipPath);
    if (pkg.dist.shasum !== '') {
      const sha1 = createHash('sha1').update(data).digest('hex');
      if (sha1 !== pkg.dist.shasum)
        throw new PackageArchiveError(
          `sha1 ${sha1} of ${pkg.dist.url} is not the locked ${pkg.dist.shasum}`,
        );
    }
    let files: Record<string, Uint8Array>;
    try {
      files = unzipBounded(data, pkg.dist.url, PACKAGE_ZIP_LIMITS);
    } catch (e) {
      throw new PackageArchiveError(`${pkg.dist.url}: ${(e as Error).message}`);
    }
    const names = Object.keys(files);
    const tops = new Set(names.map((n) => n.split('/')[0]));
    const single =
      tops.size === 1 && names.every((n) => n.includes('/')) ? [...tops][0]! : undefined;
    if (pkg.dist.shasum === '') {
      // owner-repo-<at least 7 hex of the commit>
      const short = /-([0-9a-f]{7,40})$/.exec(single ?? '')?.[1];
      if (short === undefined || !pkg.reference.startsWith(short))
        throw new PackageArchiveError(
          `${pkg.dist.url} is not the archive of commit ${pkg.reference.slice(0, 12)} (its folder is ${single ?? 'not a single folder'}) and the lock gives no checksum`,
        );
    }
    const tmp = tmpBeside(dest);
    for (const [name, bytes] of Object.entries(files)) {
      const rel = single !== undefined ? name.slice(single.length + 1) : name;
      if (rel === '' || name.endsWith('/')) continue;
      const target = path.join(tmp, rel);
      if (!target.startsWith(tmp + path.sep))
        throw new PackageArchiveError(`${pkg.dist.url}: entry ${name} escapes the archive`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, bytes);
    }
    writeMarker(tmp, pkg, { origin: 'download', from: pkg.dist.url, sha256: got.sha256 });
    commit(tmp, dest);
  } finally {
    rmSync(zipPath, { force: true });
  }
}

function writeMarker(
  dir: string,
  pkg: { name: string; version: string; reference: string },
  extra: Pick<PackageMarker, 'origin' | 'from' | 'sha256'>,
): void {
  mkdirSync(dir, { recursive: true });
  const marker: PackageMarker = {
    name: pkg.name,
    version: pkg.version,
    reference: pkg.reference,
    ...extra,
  };
  writeFileSync(path.join(dir, MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

export interface ImportedPackage {
  name: string;
  reference: string;
  replaced: boolean;
}

/**
 * `phpunit import <dir>`: copies every `<dir>/<vendor>/<name>/<commit>/` that holds a composer.json
 * naming that package into the cache. The folder is only read. Nothing found is bad input.
 */
export function importPackages(
  dir: string,
  root = cacheRoot(),
  /** Packages known to have no composer.json (a Moodle plugin used as a tool): taken by their folder names. */
  withoutComposer: ReadonlySet<string> = new Set(),
): ImportedPackage[] {
  const base = path.resolve(dir);
  if (!existsSync(base) || !statSync(base).isDirectory())
    throw new UserError(
      `${dir}: no such directory.`,
      'Pass the folder that holds <vendor>/<name>/<commit>/ package sources.',
    );
  const out: ImportedPackage[] = [];
  const skipped: string[] = [];
  const subdirs = (p: string): string[] =>
    readdirSync(p, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  for (const vendor of subdirs(base)) {
    for (const name of subdirs(path.join(base, vendor))) {
      for (const reference of subdirs(path.join(base, vendor, name))) {
        const src = path.join(base, vendor, name, reference);
        const full = `${vendor}/${name}`.toLowerCase();
        if (!/^[0-9a-f]{40}$/.test(reference)) {
          skipped.push(`${path.relative(base, src)}: not a 40-hex commit`);
          continue;
        }
        let declared: string | undefined;
        try {
          declared = (
            JSON.parse(readFileSync(path.join(src, 'composer.json'), 'utf8')) as { name?: string }
          ).name;
        } catch {
          if (withoutComposer.has(full) && !existsSync(path.join(src, 'composer.json'))) {
            declared = full;
          } else {
            skipped.push(`${path.relative(base, src)}: no readable composer.json`);
            continue;
          }
        }
        if (declared?.toLowerCase() !== full) {
          skipped.push(
            `${path.relative(base, src)}: its composer.json names ${declared ?? 'no package'}`,
          );
          continue;
        }
        const pkg = { name: full, version: '', reference };
        const dest = packageDir(pkg, root);
        const replaced = existsSync(dest);
        const tmp = tmpBeside(dest);
        // What the package's dist archive would hold: its .gitattributes export-ignore paths
        // (tests, tools, CI files) left out, as GitHub's archives leave them out.
        const ignored = exportIgnored(src);
        cpSync(src, tmp, {
          recursive: true,
          verbatimSymlinks: true,
          filter: (s) => s === src || !ignored(path.relative(src, s).split(path.sep).join('/')),
        });
        writeMarker(tmp, pkg, { origin: 'import', from: src });
        rmSync(dest, { recursive: true, force: true });
        commit(tmp, dest);
        out.push({ name: full, reference, replaced });
      }
    }
  }
  if (out.length === 0)
    throw new UserError(
      `${dir}: no package sources found${skipped.length ? ` (${skipped.slice(0, 5).join('; ')})` : ''}.`,
      'Lay them out as <dir>/<vendor>/<name>/<commit>/ (e.g. phpunit/phpunit/32c2c2d6…/composer.json), each at the commit the Moodle tree’s composer.lock gives as source.reference.',
    );
  return out;
}

/** A test for paths (posix, relative to the package root) its .gitattributes marks export-ignore. */
export function exportIgnored(dir: string): (rel: string) => boolean {
  let text = '';
  try {
    text = readFileSync(path.join(dir, '.gitattributes'), 'utf8');
  } catch {
    // none: only .git is left out
  }
  const globs: string[] = ['.git'];
  for (const line of text.split(/\r?\n/)) {
    const [pattern, ...attrs] = line.trim().split(/\s+/);
    if (!pattern || pattern.startsWith('#') || !attrs.includes('export-ignore')) continue;
    const p = pattern.replace(/\/+$/, '');
    globs.push(p.startsWith('/') ? p.slice(1) : p.includes('/') ? p : `**/${p}`);
  }
  const match = picomatch(globs, { dot: true });
  return (rel) => {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) if (match(parts.slice(0, i).join('/'))) return true;
    return false;
  };
}
