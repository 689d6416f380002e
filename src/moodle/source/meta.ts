import type { Fingerprint } from './fingerprint.js';
import { releaseLabel, type MoodleLayout } from './tree.js';

export type MoodleSource =
  | { kind: 'import'; path: string; fingerprint: Fingerprint }
  | { kind: 'download'; url: string; sha256: string; bytes: number };

/** `moodle/<id>/meta.json`: one Moodle tree the cache knows. */
export interface MoodleMeta {
  id: string;
  /** `$release`, e.g. '4.5.7+ (Build: 20251024)'. */
  release: string;
  /** `$branch`, e.g. '405'. */
  branch: string;
  /** `$version`, e.g. 2024100707.03. */
  version: number;
  layout: MoodleLayout;
  source: MoodleSource;
  /** Files in the tree when it was imported or extracted. */
  files: number;
  importedAt: string;
}

/**
 * Ids name the point release, so importing the same release again replaces the entry. Imports
 * and downloads never share an id: removing one must not take the other with it.
 */
export function entryId(kind: MoodleSource['kind'], release: string): string {
  const label = releaseLabel(release).replace(/[^0-9A-Za-z.+_-]/g, '_');
  return kind === 'import' ? `local-${label}` : label;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isStamp = (v: unknown): boolean =>
  isObj(v) && typeof v.size === 'number' && typeof v.mtimeMs === 'number';

function isSource(v: unknown): v is MoodleSource {
  if (!isObj(v)) return false;
  if (v.kind === 'import') {
    const f = v.fingerprint;
    return (
      typeof v.path === 'string' &&
      isObj(f) &&
      isStamp(f.versionPhp) &&
      isStamp(f.componentsJson) &&
      typeof f.files === 'number'
    );
  }
  if (v.kind === 'download')
    return (
      typeof v.url === 'string' &&
      typeof v.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(v.sha256) &&
      typeof v.bytes === 'number'
    );
  return false;
}

/** The meta.json contents if they have the expected shape, else undefined (a damaged entry). */
export function parseMeta(text: string): MoodleMeta | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (
    !isObj(v) ||
    typeof v.id !== 'string' ||
    typeof v.release !== 'string' ||
    typeof v.branch !== 'string' ||
    typeof v.version !== 'number' ||
    (v.layout !== 'classic' && v.layout !== 'public') ||
    !isSource(v.source) ||
    typeof v.files !== 'number' ||
    typeof v.importedAt !== 'string'
  )
    return undefined;
  return v as unknown as MoodleMeta;
}
