// Shared by the integration tests: which real Moodle trees are registered in the tool's cache,
// and fixture plugins packed the way GitHub serves them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { fixture } from '../src/checks/testing.js';
import { listEntries } from '../src/moodle/source/cache.js';
import { cacheRoot } from '../src/moodle/source/cache-dir.js';

/** Branch number → the `--moodle` label of every tree the integration tests know. */
export const LABEL: Readonly<Record<string, string>> = {
  '401': '4.1',
  '405': '4.5',
  '500': '5.0',
  '501': '5.1',
  '502': '5.2',
};

const entries = listEntries(cacheRoot()).flatMap((e) => (e.meta ? [e.meta] : []));

/** The branches of LABEL (or of `among`) with a registered tree, oldest first. */
export function registeredBranches(among: readonly string[] = Object.keys(LABEL)): string[] {
  const have = new Set(entries.map((m) => m.branch));
  return among.filter((b) => have.has(b)).sort();
}

/**
 * The branches a per-branch test runs on: the oldest registered, 4.5 and the newest (the two ends
 * and the LTS most sites run); every registered branch with MPC_TEST_FULL=1 (the long suite).
 */
export function testedBranches(): string[] {
  const all = registeredBranches();
  if (process.env.MPC_TEST_FULL === '1') return all;
  return all.filter((b, i) => i === 0 || i === all.length - 1 || b === '405');
}

/** Branches whose registered tree has the 5.1+ `public/` layout, oldest first. */
export function registeredPublicBranches(): string[] {
  const have = new Set(entries.filter((m) => m.layout === 'public').map((m) => m.branch));
  return Object.keys(LABEL)
    .filter((b) => have.has(b))
    .sort();
}

/**
 * A GitHub-style archive (one top folder) of a fixture plugin (a name under fixtures/plugins, or
 * a folder's absolute path). Dated 2026-01-01: the same bytes, and checksum, every run.
 */
export function pluginZip(name: string, top: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir)) {
      const full = path.join(dir, e);
      if (statSync(full).isDirectory()) walk(full, `${rel}${e}/`);
      else files[`${top}/${rel}${e}`] = readFileSync(full);
    }
  };
  walk(path.isAbsolute(name) ? name : fixture(name), '');
  return zipSync(files, { mtime: new Date('2026-01-01T00:00:00Z') });
}
