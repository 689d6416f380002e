import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { moodleDir } from './cache-dir.js';
import { withLock, type LockOptions } from './lock.js';
import { parseMeta, type MoodleMeta } from './meta.js';

/** One folder under `moodle/`: its meta, or why it could not be read. */
export interface CacheEntry {
  id: string;
  dir: string;
  meta?: MoodleMeta;
  problem?: string;
}

const TEMP_PREFIX = '.tmp-';
const TRASH_PREFIX = '.trash-';
/** Leftovers of a crashed run older than this are swept. */
const LEFTOVER_MS = 6 * 60 * 60_000;

export function isValidId(id: string): boolean {
  return /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/.test(id) && !id.includes('..');
}

export function entryDir(root: string, id: string): string {
  if (!isValidId(id)) throw new UserError(`${id}: not a Moodle cache id.`, 'See moodle list.');
  return path.join(moodleDir(root), id);
}

/** The Moodle tree an entry stands for: the imported folder, or the extracted `tree/`. */
export function entryTreeDir(root: string, meta: MoodleMeta): string {
  return meta.source.kind === 'import'
    ? meta.source.path
    : path.join(entryDir(root, meta.id), 'tree');
}

export function lockFile(root: string, id: string): string {
  return path.join(moodleDir(root), '.locks', `${id}.lock`);
}

export function lockEntry<T>(
  root: string,
  id: string,
  fn: () => Promise<T>,
  options?: LockOptions,
): Promise<T> {
  return withLock(lockFile(root, id), fn, options);
}

export function readEntry(root: string, id: string): CacheEntry | undefined {
  const dir = entryDir(root, id);
  if (!existsSync(dir)) return undefined;
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'meta.json'), 'utf8');
  } catch {
    return { id, dir, problem: 'meta.json is missing' };
  }
  const meta = parseMeta(text);
  if (!meta) return { id, dir, problem: 'meta.json is damaged' };
  if (meta.id !== id) return { id, dir, problem: `meta.json names another id (${meta.id})` };
  return { id, dir, meta };
}

/** Every entry, damaged ones included (with `problem`), sorted by id. */
export function listEntries(root: string): CacheEntry[] {
  const base = moodleDir(root);
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isValidId(e.name))
    .map((e) => readEntry(root, e.name))
    .filter((e) => e !== undefined)
    .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

function moveAside(base: string, dir: string, id: string): string | undefined {
  const trash = path.join(base, `${TRASH_PREFIX}${id}-${randomBytes(4).toString('hex')}`);
  try {
    renameSync(dir, trash);
    return trash;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Removes an entry (never the imported tree it points at). The folder is first renamed aside, so
 * a reader never sees half of it. Resolves to false when there was nothing to remove.
 */
export function removeEntry(root: string, id: string): boolean {
  const dir = entryDir(root, id);
  const trash = moveAside(moodleDir(root), dir, id);
  if (!trash) return false;
  rmSync(trash, { recursive: true, force: true });
  return true;
}

function sweepLeftovers(base: string): void {
  for (const e of readdirSync(base, { withFileTypes: true })) {
    if (!e.name.startsWith(TEMP_PREFIX) && !e.name.startsWith(TRASH_PREFIX)) continue;
    const p = path.join(base, e.name);
    try {
      if (Date.now() - statSync(p).mtimeMs > LEFTOVER_MS)
        rmSync(p, { recursive: true, force: true });
    } catch {
      // Another run is sweeping too.
    }
  }
}

/**
 * Builds an entry in a temp folder beside the cache and renames it into place, so a crash or a
 * concurrent run never leaves a half-written entry under its id. `build` fills the folder and
 * returns the meta, which is written last. An existing entry with the id is replaced.
 */
export async function commitEntry(
  root: string,
  id: string,
  build: (tempDir: string) => MoodleMeta | Promise<MoodleMeta>,
): Promise<MoodleMeta> {
  const base = moodleDir(root);
  mkdirSync(base, { recursive: true });
  sweepLeftovers(base);
  const target = entryDir(root, id);
  const temp = mkdtempSync(path.join(base, `${TEMP_PREFIX}${id}-`));
  try {
    const meta = await build(temp);
    if (meta.id !== id) throw new Error(`entry ${id} built with meta for ${meta.id}`);
    writeFileSync(path.join(temp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
    const old = moveAside(base, target, id);
    try {
      renameSync(temp, target);
    } catch (e) {
      // Another run renamed its copy in between: theirs wins, ours is dropped.
      const code = (e as NodeJS.ErrnoException).code;
      const winner =
        code === 'ENOTEMPTY' || code === 'EEXIST' ? readEntry(root, id)?.meta : undefined;
      if (!winner) throw e;
      rmSync(temp, { recursive: true, force: true });
      return winner;
    } finally {
      if (old) rmSync(old, { recursive: true, force: true });
    }
    return meta;
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
}
