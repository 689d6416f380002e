import { input } from '../../core/inputs.js';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { cacheRoot } from './cache-dir.js';
import { entryTreeDir, listEntries } from './cache.js';
import { downloadEntryProblem, ensureDownloaded, type DownloadOptions } from './download.js';
import { fingerprint, fingerprintChanges } from './fingerprint.js';
import { DownloadError } from '../../core/http.js';
import type { MoodleMeta } from './meta.js';
import {
  DOWNLOADABLE_BRANCHES,
  latestRelease,
  parseSpec,
  UNVERIFIED_BRANCHES,
} from './releases.js';
import { branchLabel, readMoodleTree, releaseLabel, type MoodleTree } from './tree.js';

export interface ResolveOptions {
  /** `--moodle`: a branch, a release or a folder; default: the newest branch the plugin targets. */
  spec?: string;
  /** The plugin's target branches (Plugin.targetBranches()), for the default. */
  targetBranches?: readonly { branch: number }[];
  /** Never download; use the newest matching tree in the cache. */
  offline?: boolean;
  cacheRoot?: string;
  download?: DownloadOptions;
}

export interface ResolvedMoodle {
  tree: MoodleTree;
  source: 'path' | 'import' | 'download';
  /** The cache entry, unless a folder was given. */
  id?: string;
  /** Something the user should know about the choice (offline, fallback, repair); print it. */
  note?: string;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(homedir(), p.slice(1)) : p;
}

/** The tree of an imported entry, or a UserError when it moved or changed since the import. */
export function checkImported(meta: MoodleMeta): MoodleTree {
  if (meta.source.kind !== 'import') throw new Error(`${meta.id} is not an import`);
  const dir = meta.source.path;
  const fix = `Re-run: moodle-plugin-check moodle import ${dir} (or moodle remove ${meta.id}).`;
  if (!existsSync(dir))
    throw new UserError(`Imported Moodle ${meta.id}: ${dir} no longer exists.`, fix);
  let tree: MoodleTree;
  try {
    tree = readMoodleTree(dir);
  } catch (e) {
    throw new UserError(`Imported Moodle ${meta.id} is stale: ${(e as Error).message}`, fix);
  }
  const changes = fingerprintChanges(meta.source.fingerprint, fingerprint(tree));
  if (changes.length > 0)
    throw new UserError(
      `Imported Moodle ${meta.id} (${dir}) is stale: ${changes.join(', ')} since it was imported.`,
      fix,
    );
  return tree;
}

interface Usable {
  meta: MoodleMeta;
  kind: 'import' | 'download';
}

/** Cache entries of a branch, newest first; damaged downloads are left out. */
function cachedOf(root: string, branch: number): Usable[] {
  const out: Usable[] = [];
  for (const entry of listEntries(root)) {
    const meta = entry.meta;
    if (!meta || meta.branch !== String(branch)) continue;
    if (meta.source.kind === 'download' && downloadEntryProblem(root, entry)) continue;
    out.push({ meta, kind: meta.source.kind });
  }
  return out.sort((a, b) => b.meta.version - a.meta.version);
}

function use(root: string, u: Usable, note?: string): ResolvedMoodle {
  const tree =
    u.kind === 'import' ? checkImported(u.meta) : readMoodleTree(entryTreeDir(root, u.meta));
  return { tree, source: u.kind, id: u.meta.id, ...(note ? { note } : {}) };
}

/** Newest first: the plugin's branches, else every branch we can download. */
function candidateBranches(targets: readonly { branch: number }[] | undefined): number[] {
  const list = targets && targets.length > 0 ? targets.map((t) => t.branch) : DOWNLOADABLE_BRANCHES;
  return [...new Set(list)].sort((a, b) => b - a);
}

function fromCache(
  root: string,
  branches: readonly number[],
  why: string,
  asked: string,
): ResolvedMoodle {
  for (const branch of branches) {
    const newest = cachedOf(root, branch)[0];
    if (newest)
      return use(
        root,
        newest,
        `${why}: using Moodle ${newest.meta.release} from the cache (${newest.meta.id}), the newest ${branchLabel(String(branch))} tree there; newer releases were not looked up.`,
      );
  }
  throw new UserError(
    `${why}, and the cache has no Moodle ${asked}.`,
    `Register a local tree with \`moodle-plugin-check moodle import <dir>\`, set ${input('moodle', '<dir>')}, or run online once.`,
  );
}

async function resolveVersion(
  root: string,
  version: string,
  branch: number,
  o: ResolveOptions,
): Promise<ResolvedMoodle> {
  const exact = cachedOf(root, branch).filter((u) => releaseLabel(u.meta.release) === version);
  const hit = exact.find((u) => u.kind === 'download') ?? exact[0];
  if (hit) return use(root, hit);
  if (o.offline)
    throw new UserError(
      `Offline, and the cache has no Moodle ${version}.`,
      'Run online once, or register a local tree with `moodle-plugin-check moodle import <dir>`.',
    );
  try {
    return fromDownload(await ensureDownloaded(version, root, o.download));
  } catch (e) {
    if (e instanceof DownloadError)
      throw new UserError(
        `Cannot download Moodle ${version}: ${e.message}.`,
        `Check the network, or use ${input('offline')} with a cached tree.`,
      );
    throw e;
  }
}

/** '4.5.7+' < '4.5.12'; '5.2.1+' (a weekly build after 5.2.1) is not older than '5.2.1'. */
export function isOlderRelease(label: string, than: string): boolean {
  const parts = (v: string): number[] => (/^[\d.]+/.exec(v)?.[0] ?? '').split('.').map(Number);
  const [a, b] = [parts(label), parts(than)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

function fromDownload(r: Awaited<ReturnType<typeof ensureDownloaded>>): ResolvedMoodle {
  const note = r.repaired ? `${r.repaired}; rebuilt it (${r.action}).` : undefined;
  return { tree: r.tree, source: 'download', id: r.meta.id, ...(note ? { note } : {}) };
}

/**
 * Finds the Moodle tree to check against. A folder is read in place. A branch uses an imported
 * tree of that branch when there is one (the user registered it on purpose), else the newest
 * release we know, downloaded once into the cache. Offline, or when the download fails for
 * network reasons, the newest matching tree in the cache is used and `note` says so.
 */
export async function resolveMoodle(o: ResolveOptions = {}): Promise<ResolvedMoodle> {
  const r = await resolveTree(o);
  if (!UNVERIFIED_BRANCHES.includes(Number(r.tree.branch))) return r;
  const verified = DOWNLOADABLE_BRANCHES.filter((b) => !UNVERIFIED_BRANCHES.includes(b));
  const fallback = branchLabel(String(Math.max(...verified)));
  const unverified = `Moodle ${branchLabel(r.tree.branch)} has not been run with moodle-plugin-check yet (no tree of it was available to test); if the site does not install, use ${input('moodle', fallback)} and tell us.`;
  return { ...r, note: r.note ? `${r.note} ${unverified}` : unverified };
}

async function resolveTree(o: ResolveOptions): Promise<ResolvedMoodle> {
  const root = o.cacheRoot ?? cacheRoot();
  const spec = o.spec !== undefined ? parseSpec(o.spec) : undefined;
  if (spec?.kind === 'path') return { tree: readMoodleTree(expandHome(spec.path)), source: 'path' };
  if (spec?.kind === 'version') return resolveVersion(root, spec.version, spec.branch, o);

  const branches = spec ? [spec.branch] : candidateBranches(o.targetBranches);
  const asked = spec ? spec.label : branches.map((b) => branchLabel(String(b))).join(' or ');
  if (o.offline) return fromCache(root, branches, 'Offline', asked);

  const branch = branches.find(
    (b) => latestRelease(b) !== undefined || cachedOf(root, b).some((u) => u.kind === 'import'),
  );
  if (branch === undefined)
    throw new UserError(
      `No Moodle ${asked} to download: we provision ${DOWNLOADABLE_BRANCHES.map((b) => branchLabel(String(b))).join(', ')}.`,
      `Register a local tree of that branch with \`moodle-plugin-check moodle import <dir>\`, or set ${input('moodle', '<dir>')}.`,
    );
  const latest = latestRelease(branch);
  const imported = cachedOf(root, branch).find((u) => u.kind === 'import');
  if (imported) {
    const older =
      latest !== undefined && isOlderRelease(releaseLabel(imported.meta.release), latest);
    return use(
      root,
      imported,
      older
        ? `Using imported Moodle ${imported.meta.release} (${imported.meta.id}); the newest ${branchLabel(String(branch))} release is ${latest}.`
        : undefined,
    );
  }
  try {
    return fromDownload(await ensureDownloaded(latest!, root, o.download));
  } catch (e) {
    if (!(e instanceof DownloadError)) throw e;
    // Without --moodle, any branch the plugin allows will do; the newest cached one is used.
    return fromCache(
      root,
      spec ? [branch] : branches.filter((b) => b <= branch),
      `Could not download Moodle ${latest!} (${e.message})`,
      asked,
    );
  }
}
