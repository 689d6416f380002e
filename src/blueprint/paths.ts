// Filesystem paths in blueprint steps. A blueprint is untrusted input (it may come from a pull
// request), so every path a step touches must stay inside the site: the Moodle code at
// /www/moodle and the data under /persist — the same virtual paths the browser Playground uses,
// so a blueprint means the same thing in CI and in the browser.
import { posix } from 'node:path';
import { UserError } from '../core/errors.js';

export const MOODLE_ROOT = '/www/moodle';
export const PERSIST_ROOT = '/persist';
/** Scratch space, as in the Playground (a blueprint writes /tmp/x.zip, then unzips it). */
export const TMP_ROOT = '/tmp';
const ROOTS = [MOODLE_ROOT, PERSIST_ROOT, TMP_ROOT] as const;

function within(p: string, root: string): boolean {
  return p === root || p.startsWith(`${root}/`);
}

/**
 * Normalises a step's path to an absolute VFS path under /www/moodle, /persist or /tmp. A relative
 * path is relative to /www/moodle (as in the Playground). Throws a UserError naming `field`
 * (e.g. `steps/4 (writeFile).path`) for NUL bytes, `..` segments, backslashes, or anything
 * outside the site.
 */
export function siteVfsPath(p: string, field: string): string {
  if (typeof p !== 'string' || p.trim() === '')
    throw new UserError(
      `${field}: the path is empty.`,
      'Give a path under /www/moodle, /persist or /tmp.',
    );
  if (p.includes('\0')) throw new UserError(`${field}: the path contains a NUL byte.`);
  if (p.includes('\\'))
    throw new UserError(
      `${field}: "${p}" contains a backslash.`,
      'Use forward slashes: paths are in the site’s virtual (POSIX) filesystem.',
    );
  // `..` is refused outright, even when it would normalise back inside the site: a path that
  // climbs is a mistake or an attack, and either way it is clearer to say so.
  if (p.split('/').includes('..'))
    throw new UserError(
      `${field}: "${p}" contains a ".." segment.`,
      'Paths in blueprint steps cannot leave the site; write the full path under /www/moodle, /persist or /tmp.',
    );
  const abs = posix.normalize(p.startsWith('/') ? p : `${MOODLE_ROOT}/${p}`).replace(/\/+$/, '');
  const normalised = abs === '' ? '/' : abs;
  if (!ROOTS.some((r) => within(normalised, r)))
    throw new UserError(
      `${field}: "${p}" is outside the site.`,
      'Filesystem steps may only touch /www/moodle (Moodle’s code, also the base of relative paths), /persist (moodledata and the database) and /tmp (scratch space for the run).',
    );
  return normalised;
}

/**
 * Checks one entry name of an archive before it is extracted (zip-slip): returns the entry's
 * relative path with `./` segments removed ('' for the root entry "./"), or throws a UserError
 * naming `archive`. Directory entries keep no trailing slash; the caller knows them by the
 * original name.
 */
export function safeArchiveEntry(name: string, archive = 'the archive'): string {
  const bad = (why: string): UserError =>
    new UserError(
      `${archive}: entry "${name}" ${why}.`,
      'An archive may only contain relative paths inside its destination.',
    );
  if (name.includes('\0')) throw bad('contains a NUL byte');
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/')) throw bad('is an absolute path');
  if (/^[A-Za-z]:/.test(slashed)) throw bad('has a drive letter');
  const segments = slashed.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw bad('climbs out with ".."');
  // '' is the archive's root folder entry itself ("./"): nothing to create, the caller skips it.
  return segments.join('/');
}
