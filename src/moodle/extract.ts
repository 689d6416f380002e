import { mkdirSync } from 'node:fs';
import { extract, type ReadEntry } from 'tar';

/** Entry types an official source archive holds; devices, FIFOs and the like are refused. */
const ALLOWED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
}

/**
 * Extracts a .tar.gz into `dest`, dropping the archive's top folder (`moodle-4.5.7/`). node-tar
 * already refuses absolute paths, `..` and links that escape `dest`; we turn each such refusal
 * into a failure, because an official Moodle archive has none, so it means a bad archive.
 */
export async function extractTarGz(archive: string, dest: string): Promise<{ files: number }> {
  mkdirSync(dest, { recursive: true });
  const refused: string[] = [];
  let files = 0;
  try {
    await extract({
      file: archive,
      cwd: dest,
      strip: 1,
      preservePaths: false,
      // Trees are read by PHP and copied around; owner ids from the archive mean nothing here.
      preserveOwner: false,
      filter: (p, entry) => {
        const type = (entry as ReadEntry).type;
        if (!ALLOWED.has(type)) {
          refused.push(`${p} (${type})`);
          return false;
        }
        if (type !== 'Directory') files++;
        return true;
      },
      onwarn: (code, message, data) => {
        if (code === 'TAR_ENTRY_ERROR' || code === 'TAR_BAD_ARCHIVE') {
          const p = (data as { path?: unknown }).path;
          refused.push(`${typeof p === 'string' ? p : '?'}: ${message}`);
        }
      },
    });
  } catch (e) {
    throw new ArchiveError(`${archive}: cannot extract it (${(e as Error).message})`);
  }
  if (refused.length > 0) {
    const shown = refused.slice(0, 3).join('; ');
    throw new ArchiveError(
      `${archive}: refused ${refused.length} unsafe or unexpected entr${refused.length === 1 ? 'y' : 'ies'} (${shown})`,
    );
  }
  return { files };
}
