import { input } from '../../core/inputs.js';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { downloadsDir } from './cache-dir.js';
import {
  commitEntry,
  entryTreeDir,
  lockEntry,
  readEntry,
  removeEntry,
  type CacheEntry,
} from './cache.js';
import {
  ArchiveError,
  extractTarGz,
  MOODLE_ARCHIVE_LIMITS,
  type ArchiveLimits,
} from './extract.js';
import { countFiles } from './fingerprint.js';
import { DownloadError, downloadFile, type HttpOptions } from '../../core/http.js';
import type { LockOptions } from './lock.js';
import { entryId, type MoodleMeta } from './meta.js';
import { readMoodleTree, releaseLabel, type MoodleTree } from './tree.js';

export const DEFAULT_ARCHIVE_BASE = 'https://github.com/moodle/moodle/archive/refs/tags';
/** A release archive (~100 MB) arrives within this long, retries included, or not at all. */
export const MOODLE_DOWNLOAD_DEADLINE_MS = 10 * 60_000;

export interface DownloadOptions extends HttpOptions {
  /** Where `v<version>.tar.gz` lives; default MPC_MOODLE_ARCHIVE_BASE, else GitHub. */
  baseUrl?: string;
  /** Keep the archive so a damaged tree is re-extracted without downloading (default true). */
  keepArchive?: boolean;
  lock?: LockOptions;
  log?: (message: string) => void;
  /** Bounds for extracting the archive (default MOODLE_ARCHIVE_LIMITS). */
  extractLimits?: ArchiveLimits;
}

export interface DownloadResult {
  meta: MoodleMeta;
  tree: MoodleTree;
  /** cached: used as is; extracted: from a kept archive; downloaded: fetched now. */
  action: 'cached' | 'extracted' | 'downloaded';
  /** Why the cached entry was thrown away, when it was. */
  repaired?: string;
}

export function archiveUrl(version: string, baseUrl?: string): string {
  const base = baseUrl ?? process.env.MPC_MOODLE_ARCHIVE_BASE ?? DEFAULT_ARCHIVE_BASE;
  return `${base.replace(/\/+$/, '')}/v${version}.tar.gz`;
}

export function archivePath(root: string, version: string): string {
  return path.join(downloadsDir(root), `moodle-${version}.tar.gz`);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Why a download entry cannot be used, or undefined when it can. Cheap: no hashing. */
export function downloadEntryProblem(root: string, entry: CacheEntry): string | undefined {
  if (entry.problem || !entry.meta) return entry.problem ?? 'meta.json is damaged';
  const meta = entry.meta;
  if (meta.source.kind !== 'download') return 'not a download entry';
  let tree: MoodleTree;
  try {
    tree = readMoodleTree(entryTreeDir(root, meta));
  } catch (e) {
    return `its tree is damaged (${(e as Error).message})`;
  }
  if (tree.release !== meta.release || tree.version !== meta.version)
    return `its tree holds ${tree.release}, meta.json says ${meta.release}`;
  return undefined;
}

/** Extracts `archive` into a new entry, checking it holds the release it should. */
async function extractEntry(
  root: string,
  id: string,
  version: string,
  archive: string,
  source: { url: string; sha256: string; bytes: number },
  limits: ArchiveLimits,
): Promise<MoodleMeta> {
  return commitEntry(root, id, async (temp) => {
    const treeDir = path.join(temp, 'tree');
    await extractTarGz(archive, treeDir, limits);
    let tree: MoodleTree;
    try {
      tree = readMoodleTree(treeDir);
    } catch (e) {
      throw new ArchiveError(`${source.url}: not a Moodle tree (${(e as Error).message})`);
    }
    const got = releaseLabel(tree.release);
    if (got !== version)
      throw new ArchiveError(`${source.url}: holds Moodle ${tree.release}, not ${version}`);
    return {
      id,
      release: tree.release,
      branch: tree.branch,
      version: tree.version,
      layout: tree.layout,
      source: { kind: 'download', ...source },
      files: countFiles(treeDir),
      importedAt: new Date().toISOString(),
    };
  });
}

function notFound(version: string, e: DownloadError): UserError {
  return new UserError(
    `Moodle ${version}: no release archive at ${e.url} (HTTP ${e.status ?? '?'}).`,
    `Check the release exists (https://github.com/moodle/moodle/tags), pick a branch such as 4.5, or set ${input('moodle', '<folder>')}.`,
  );
}

/**
 * The cached tree of Moodle `version` (e.g. '4.5.7'), downloading and extracting the official
 * archive when needed. A damaged entry is removed and rebuilt: from the kept archive when its
 * sha256 still matches meta.json, else from a fresh download.
 */
export async function ensureDownloaded(
  version: string,
  root: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const id = entryId('download', version);
  const url = archiveUrl(version, options.baseUrl);
  const log = options.log ?? ((): void => undefined);
  return lockEntry(
    root,
    id,
    async () => {
      const entry = readEntry(root, id);
      let repaired: string | undefined;
      let recorded: MoodleMeta['source'] | undefined;
      if (entry) {
        const problem = downloadEntryProblem(root, entry);
        if (!problem) {
          const meta = entry.meta!;
          return { meta, tree: readMoodleTree(entryTreeDir(root, meta)), action: 'cached' };
        }
        repaired = `cache entry ${id}: ${problem}`;
        log(`${repaired}; removing it and rebuilding`);
        recorded = entry.meta?.source;
        removeEntry(root, id);
      }

      const archive = archivePath(root, version);
      mkdirSync(path.dirname(archive), { recursive: true });
      let source: { url: string; sha256: string; bytes: number } | undefined;
      if (existsSync(archive)) {
        const sha = recorded?.kind === 'download' ? recorded.sha256 : undefined;
        if (sha && (await sha256File(archive)) === sha && recorded?.kind === 'download')
          source = { url: recorded.url, sha256: sha, bytes: recorded.bytes };
        else {
          log(`${archive}: sha256 unknown or mismatched; downloading again`);
          rmSync(archive, { force: true });
        }
      }

      let action: DownloadResult['action'] = 'extracted';
      let meta: MoodleMeta;
      try {
        if (!source) {
          action = 'downloaded';
          log(`Downloading Moodle ${version} from ${url}`);
          const deadlineMs = options.deadlineMs ?? MOODLE_DOWNLOAD_DEADLINE_MS;
          source = { url, ...(await downloadFile(url, archive, { ...options, deadlineMs })) };
        }
        const limits = options.extractLimits ?? MOODLE_ARCHIVE_LIMITS;
        meta = await extractEntry(root, id, version, archive, source, limits);
      } catch (e) {
        rmSync(archive, { force: true });
        if (e instanceof DownloadError && !e.retryable && e.status !== undefined)
          throw notFound(version, e);
        if (e instanceof ArchiveError)
          throw new UserError(e.message, 'The download was damaged or is not Moodle; run again.');
        throw e;
      }
      if (options.keepArchive === false) rmSync(archive, { force: true });
      const tree = readMoodleTree(entryTreeDir(root, meta));
      return repaired ? { meta, tree, action, repaired } : { meta, tree, action };
    },
    options.lock,
  );
}
