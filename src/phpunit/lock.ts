// PHPUnit exactly as a Moodle tree pins it: the packages its composer.lock lists for
// phpunit/phpunit and everything phpunit/phpunit requires, transitively.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';

export interface Autoload {
  'psr-4'?: Record<string, string | string[]>;
  'psr-0'?: Record<string, string | string[]>;
  classmap?: string[];
  files?: string[];
  'exclude-from-classmap'?: string[];
}

/** One package of a composer.lock, as far as installing it goes. */
export interface LockedPackage {
  name: string;
  version: string;
  /** The source commit (`source.reference`); a package's identity in our cache. */
  reference: string;
  sourceUrl: string | undefined;
  dist: { type: string; url: string; shasum: string } | undefined;
  autoload: Autoload;
  bin: string[];
}

/** Composer package names: vendor/name, lower case. Anything else never becomes a path. */
const NAME = /^[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?\/[a-z0-9](?:[a-z0-9_.-]*[a-z0-9])?$/;
const REFERENCE = /^[0-9a-f]{40}$/;

/** Platform requirements (php, ext-*, lib-*, composer-*) are not packages. */
const isPlatform = (name: string): boolean =>
  name === 'php' ||
  name === 'php-64bit' ||
  /^(ext|lib|composer)-/.test(name) ||
  name === 'composer';

/**
 * The packages PHPUnit needs, read from `<treeRoot>/composer.lock`: phpunit/phpunit first, then its
 * requirements in the order they are reached. A lock without phpunit/phpunit, or with an entry we
 * cannot install (no commit, a name that is not a package name), is bad input naming the file.
 */
export function phpunitPackages(treeRoot: string): LockedPackage[] {
  const file = path.join(treeRoot, 'composer.lock');
  let lock: { packages?: unknown[]; 'packages-dev'?: unknown[] };
  try {
    lock = JSON.parse(readFileSync(file, 'utf8')) as typeof lock;
  } catch (e) {
    throw new UserError(
      `${file}: cannot read the Moodle tree’s composer.lock (${(e as Error).message}).`,
      'PHPUnit is installed as the tree’s composer.lock pins it; use a complete Moodle tree.',
    );
  }
  const all = new Map<string, Record<string, unknown>>();
  for (const p of [...(lock.packages ?? []), ...(lock['packages-dev'] ?? [])]) {
    const entry = p as Record<string, unknown>;
    if (typeof entry.name === 'string') all.set(entry.name.toLowerCase(), entry);
  }
  if (!all.has('phpunit/phpunit'))
    throw new UserError(
      `${file}: no phpunit/phpunit in packages-dev.`,
      'This Moodle tree does not pin a PHPUnit; run without --phpunit.',
    );
  const out: LockedPackage[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || isPlatform(name)) return;
    seen.add(name);
    const entry = all.get(name);
    if (!entry) {
      throw new UserError(
        `${file}: ${name} is required by PHPUnit's packages but not locked.`,
        'Use a Moodle tree whose composer.lock is complete.',
      );
    }
    out.push(toPackage(entry, file));
    for (const dep of Object.keys((entry.require as Record<string, string> | undefined) ?? {}))
      visit(dep.toLowerCase());
  };
  visit('phpunit/phpunit');
  return out;
}

function toPackage(entry: Record<string, unknown>, file: string): LockedPackage {
  const name = String(entry.name).toLowerCase();
  const source = entry.source as { url?: string; reference?: string } | undefined;
  const dist = entry.dist as { type?: string; url?: string; shasum?: string } | undefined;
  const reference = source?.reference ?? '';
  if (!NAME.test(name) || name.split('/').some((p) => p === '..' || p === '.'))
    throw new UserError(
      `${file}: "${name}" is not a Composer package name.`,
      'Use an unmodified Moodle composer.lock.',
    );
  if (!REFERENCE.test(reference))
    throw new UserError(
      `${file}: ${name} has no source commit (source.reference "${reference}").`,
      'Use an unmodified Moodle composer.lock.',
    );
  return {
    name,
    version: typeof entry.version === 'string' ? entry.version : '',
    reference,
    sourceUrl: source?.url,
    dist:
      dist?.url !== undefined
        ? { type: dist.type ?? 'zip', url: dist.url, shasum: dist.shasum ?? '' }
        : undefined,
    autoload: (entry.autoload as Autoload | undefined) ?? {},
    bin: Array.isArray(entry.bin) ? (entry.bin as string[]) : [],
  };
}
