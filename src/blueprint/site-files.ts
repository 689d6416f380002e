// Filesystem steps on the host side of the site's virtual filesystem. A blueprint may write into
// /persist (moodledata, the database) and add new files or folders under /www/moodle — those go
// into a per-run layer injected into the overlay. It can never change the cached Moodle tree,
// which is shared between runs, nor a file moodle-plugin-check injected (config.php, drivers).
// Working on the host avoids a PHP boot (1–3 s) per filesystem step.
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { realInside } from '../core/host-paths.js';
import type { PhpMount } from '../php/runtime.js';
import { MOODLE_ROOT, PERSIST_ROOT, TMP_ROOT } from './paths.js';

export interface SiteFilesOptions {
  /** Host folder of the cached Moodle tree (read-only). */
  treeRoot: string;
  /** Host folder mounted read-write at /persist. */
  persistDir: string;
  /** Host folder mounted read-write at /tmp for the run (scratch space). */
  tmpDir?: string;
  /** Bytes the blueprint's own filesystem steps may write in all (the run's disk quota). */
  quotaBytes?: number;
  /** Host folder for files the blueprint adds under /www/moodle (created on demand). */
  layerDir: string;
  /** The site's current mounts, to refuse paths moodle-plugin-check itself injected. */
  mounts: () => readonly PhpMount[];
  /** Shows a layer path in the site from the next PHP call on (`rel` relative to /www/moodle). */
  inject: (rel: string, hostPath: string) => () => void;
}

const within = (p: string, root: string): boolean => p === root || p.startsWith(`${root}/`);

export class SiteFiles {
  /** Layer entries already injected, relative to /www/moodle. */
  private readonly injected = new Map<string, (() => void) | undefined>();
  /** Claimed layer entries not yet shown to PHP (a mount needs its host path to exist). */
  private readonly pending = new Set<string>();

  constructor(private readonly options: SiteFilesOptions) {}

  private written = 0;

  /** Host path to read a VFS path from (any place of the site). */
  readable(vfs: string): string {
    if (within(vfs, TMP_ROOT)) return this.inside(this.tmpDir(vfs), rel(vfs, TMP_ROOT));
    if (within(vfs, PERSIST_ROOT))
      return this.inside(this.options.persistDir, rel(vfs, PERSIST_ROOT));
    const r = rel(vfs, MOODLE_ROOT);
    const layer = this.layerOwner(r);
    if (layer !== undefined) return this.inside(this.options.layerDir, r);
    const mount = this.options
      .mounts()
      .find((m) => vfs === m.vfsPath || vfs.startsWith(`${m.vfsPath}/`));
    // A mount is the plugin under test or our own files: a link in a plugin checkout must not
    // lead a blueprint's read to /proc/self/environ or the runner's files.
    if (mount) return this.inside(mount.hostPath, rel(vfs, mount.vfsPath));
    return this.inside(this.options.treeRoot, r);
  }

  /**
   * Host path to write a VFS path to. `create` is true when the path itself may be new
   * (writeFile, mkdir); the folder it is in must be writable too.
   */
  writable(vfs: string, field: string): string {
    if (within(vfs, TMP_ROOT)) {
      if (vfs === TMP_ROOT)
        throw new UserError(`${field}: ${vfs} itself cannot be replaced or removed.`);
      return this.inside(this.tmpDir(vfs, field), rel(vfs, TMP_ROOT));
    }
    if (within(vfs, PERSIST_ROOT)) {
      if (vfs === PERSIST_ROOT)
        throw new UserError(`${field}: ${vfs} itself cannot be replaced or removed.`);
      return this.inside(this.options.persistDir, rel(vfs, PERSIST_ROOT));
    }
    const r = rel(vfs, MOODLE_ROOT);
    if (r === '')
      throw new UserError(`${field}: ${MOODLE_ROOT} itself cannot be replaced or removed.`);
    if (this.layerOwner(r) !== undefined) return this.inside(this.options.layerDir, r);
    // The topmost part of the path that the tree does not have becomes a layer entry.
    const parts = r.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const inTree = statSync(path.join(this.options.treeRoot, prefix), { throwIfNoEntry: false });
      const ours = this.options
        .mounts()
        .find(
          (m) =>
            m.vfsPath === `${MOODLE_ROOT}/${prefix}` && !within(m.hostPath, this.options.treeRoot),
        );
      if (ours)
        throw new UserError(
          `${field}: ${MOODLE_ROOT}/${prefix} is provided by moodle-plugin-check (config, drivers or the plugin under test) and cannot be changed by a blueprint.`,
        );
      if (!inTree) {
        const host = this.inside(this.options.layerDir, r);
        this.claim(prefix);
        return host;
      }
      if (!inTree.isDirectory() || i === parts.length) break;
    }
    throw new UserError(
      `${field}: ${vfs} is part of the Moodle source, which is read-only here (the cached tree is shared between runs).`,
      `Write under ${PERSIST_ROOT} (moodledata is ${PERSIST_ROOT}/moodledata), add new files or folders under ${MOODLE_ROOT}, or install code with installMoodlePlugin.`,
    );
  }

  exists(vfs: string): boolean {
    try {
      return existsSync(this.readable(vfs));
    } catch {
      return false;
    }
  }

  read(vfs: string, field: string): Uint8Array {
    const host = this.readable(vfs);
    try {
      return readFileSync(host);
    } catch (e) {
      throw new UserError(`${field}: cannot read ${vfs} (${code(e)}).`);
    }
  }

  write(vfs: string, data: Uint8Array, field: string): void {
    this.charge(data.byteLength, vfs, field);
    const host = this.writable(vfs, field);
    mkdirSync(path.dirname(host), { recursive: true });
    this.refuseSymlink(host, vfs, field);
    writeFileSync(host, data);
    this.flush();
  }

  /** Deletes a file; false when it was not there (as in the Playground, not an error). */
  delete(vfs: string, field: string): boolean {
    const host = this.writable(vfs, field);
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (!st) return false;
    if (st.isDirectory())
      throw new UserError(`${field}: ${vfs} is a folder.`, 'Remove folders with rmdir.');
    rmSync(host);
    this.forget(vfs);
    return true;
  }

  mkdir(vfs: string, field: string): void {
    mkdirSync(this.writable(vfs, field), { recursive: true });
    this.flush();
  }

  rmdir(vfs: string, recursive: boolean, field: string): void {
    const host = this.writable(vfs, field);
    const st = lstatSync(host, { throwIfNoEntry: false });
    if (!st) throw new UserError(`${field}: ${vfs} does not exist.`);
    if (!st.isDirectory()) throw new UserError(`${field}: ${vfs} is not a directory.`);
    try {
      rmSync(host, { recursive, force: false });
      this.forget(vfs);
    } catch (e) {
      throw new UserError(
        `${field}: cannot remove ${vfs} (${code(e)}).`,
        code(e) === 'ENOTEMPTY'
          ? 'Set "recursive": true to remove a folder with its contents.'
          : undefined,
      );
    }
  }

  copy(from: string, to: string, field: string): void {
    const src = this.readable(from);
    if (!existsSync(src)) throw new UserError(`${field}: ${from} does not exist.`);
    const dest = this.writable(to, field);
    mkdirSync(path.dirname(dest), { recursive: true });
    this.refuseSymlink(dest, to, field);
    cpSync(src, dest, { recursive: true, dereference: false, verbatimSymlinks: true });
    this.flush();
  }

  move(from: string, to: string, field: string): void {
    const src = this.writable(from, field);
    if (!existsSync(src)) throw new UserError(`${field}: ${from} does not exist.`);
    const dest = this.writable(to, field);
    mkdirSync(path.dirname(dest), { recursive: true });
    this.refuseSymlink(dest, to, field);
    renameSync(src, dest);
    this.forget(from);
    this.flush();
  }

  /** Counts bytes the steps write against the run's quota, as PHP's own writes are counted. */
  charge(bytes: number, vfs: string, field: string): void {
    const quota = this.options.quotaBytes;
    if (quota !== undefined && this.written + bytes > quota)
      throw new UserError(
        `${field}: writing ${vfs} (${bytes} bytes) would pass the run's disk quota of ${quota} bytes.`,
        'A blueprint writes a few files; the quota (docs/limits.md) keeps a step from filling the disk.',
      );
    this.written += bytes;
  }

  private tmpDir(vfs: string, field = vfs): string {
    const dir = this.options.tmpDir;
    if (dir === undefined) throw new UserError(`${field}: /tmp is not available to this run.`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A removed or moved layer entry stops being shown (its mount source is gone). */
  private forget(vfs: string): void {
    if (!within(vfs, MOODLE_ROOT)) return;
    const r = rel(vfs, MOODLE_ROOT);
    if (!this.injected.has(r)) return;
    this.injected.get(r)?.();
    this.injected.delete(r);
    this.pending.delete(r);
  }

  /** Shows newly created layer entries to PHP. */
  flush(): void {
    for (const prefix of this.pending) {
      const host = path.join(this.options.layerDir, prefix);
      if (!existsSync(host)) continue;
      this.pending.delete(prefix);
      this.injected.set(prefix, this.options.inject(prefix, host));
    }
  }

  /** The injected layer entry a path is in, if any. */
  private layerOwner(r: string): string | undefined {
    return [...this.injected.keys()].find((i) => within(r, i));
  }

  private claim(prefix: string): void {
    if (this.injected.has(prefix)) return;
    this.injected.set(prefix, undefined);
    this.pending.add(prefix);
  }

  /** `root/rel`, refusing any way out through a symlink (a checkout's or one a PHP step made). */
  private inside(root: string, r: string): string {
    const host = path.join(root, r);
    if (!existsSync(root)) return host; // The layer folder is made on first write.
    realInside(root, r, r === '' ? root : r, 'the site');
    return host;
  }

  private refuseSymlink(host: string, vfs: string, field: string): void {
    if (lstatSync(host, { throwIfNoEntry: false })?.isSymbolicLink())
      throw new UserError(
        `${field}: ${vfs} is a symbolic link; blueprints do not write through links.`,
      );
  }
}

function rel(vfs: string, root: string): string {
  return vfs === root ? '' : vfs.slice(root.length + 1);
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}
