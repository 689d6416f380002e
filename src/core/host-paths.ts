// Host paths opened on behalf of a run. Plugin checkouts, blueprints and their resources come from
// pull requests, so a symbolic link in them can point anywhere on the runner (/proc/self/environ,
// the runner's credentials, /). Every host path the tool opens for a run is resolved to its real
// path and refused unless it stays inside the root it belongs to; files the user names (a
// blueprint, the config file) are refused when they are links at all.
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
} from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';

/** True when `p` is `root` or below it (both absolute and normalised). */
export function isWithin(p: string, root: string): boolean {
  if (p === root) return true;
  const base = root.endsWith(path.sep) ? root : root + path.sep;
  return p.startsWith(base);
}

/** A path that leads out of its root, through `..` or a symbolic link. */
export class PathEscapeError extends UserError {
  constructor(
    readonly shown: string,
    readonly rootLabel: string,
    hint?: string,
  ) {
    super(
      `${shown}: leads outside ${rootLabel} through a symbolic link; it is not followed.`,
      hint ?? `Replace the link with the file itself, inside ${rootLabel}.`,
    );
  }
}

/**
 * The real path of `root/rel` when it stays inside the real `root`. A path that does not exist
 * yet is judged by its nearest existing ancestor (so a write target is checked too). `shown` is
 * what an error calls the path (never its target's content).
 */
export function realInside(
  root: string,
  rel: string,
  shown = rel,
  rootLabel = 'its folder',
): string {
  const realRoot = realpathSync(root);
  const joined = path.resolve(realRoot, rel);
  if (!isWithin(joined, realRoot)) throw new PathEscapeError(shown, rootLabel);
  let probe = joined;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(probe);
      if (!isWithin(real, realRoot)) throw new PathEscapeError(shown, rootLabel);
      return path.join(real, ...rest.reverse());
    } catch (e) {
      if (e instanceof PathEscapeError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      // A dangling link is still a link: judge where it points, not that it is missing.
      let link = false;
      try {
        link = lstatSync(probe).isSymbolicLink();
      } catch {
        // not there (or under a file): climb to the parent
      }
      if (link) throw new PathEscapeError(shown, rootLabel);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      if (probe === realRoot) throw e;
      rest.push(path.basename(probe));
      probe = path.dirname(probe);
    }
  }
}

export interface ReadLimitOptions {
  /** What an error calls the file (the user's own words: a CLI argument, an input, a field). */
  shown: string;
  /** Largest file accepted. */
  maxBytes: number;
}

/**
 * Reads a file the user named (a blueprint, a config file): refused when it is a symbolic link or
 * not a regular file (a FIFO would block the run, a device would never end), and when it is larger
 * than `maxBytes`. O_NOFOLLOW closes the gap between the check and the open.
 */
export function readUserFile(file: string, options: ReadLimitOptions): Buffer {
  const st = lstatSync(file);
  if (st.isSymbolicLink())
    throw new UserError(
      `${options.shown}: is a symbolic link; it is not followed.`,
      'Commit the file itself instead of a link to it.',
    );
  if (!st.isFile()) throw new UserError(`${options.shown}: is not a regular file.`);
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const size = fstatSync(fd).size;
    if (size > options.maxBytes)
      throw new UserError(
        `${options.shown}: ${size} bytes is over the ${options.maxBytes}-byte limit for this file.`,
      );
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
