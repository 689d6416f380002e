import { mkdirSync, openSync, closeSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../core/errors.js';

export interface LockOptions {
  /** Give up waiting for another run after this long. */
  waitMs?: number;
  /** A lock older than this is taken over even when its owner cannot be checked. */
  staleMs?: number;
  pollMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof v.pid === 'number' && typeof v.host === 'string'
      ? { pid: v.pid, host: v.host }
      : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock left by a crashed run: its process is gone (same host), or it is too old. */
function isAbandoned(file: string, staleMs: number): boolean {
  let age: number;
  try {
    age = Date.now() - statSync(file).mtimeMs;
  } catch {
    return true; // released between our open and our stat
  }
  const owner = readOwner(file);
  if (owner && owner.host === hostname()) return !isAlive(owner.pid);
  // Unreadable owner (a half-written lock) or another host: only age tells.
  return age > staleMs;
}

function tryAcquire(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Runs `fn` holding an exclusive lock file, so that two runs sharing a cache do not download or
 * replace the same entry at once. The lock is an `O_EXCL` file: portable, and NFS-safe enough.
 */
export async function withLock<T>(
  file: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const waitMs = options.waitMs ?? 15 * 60_000;
  const staleMs = options.staleMs ?? 60 * 60_000;
  const pollMs = options.pollMs ?? 250;
  mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + waitMs;
  while (!tryAcquire(file)) {
    if (isAbandoned(file, staleMs)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new UserError(
        `${file}: another moodle-plugin-check run holds this lock and did not finish in time.`,
        'Wait for the other run, or delete the lock file if no other run is active.',
      );
    }
    await sleep(pollMs);
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
