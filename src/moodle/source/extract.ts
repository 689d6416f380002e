// Archives are untrusted input (a Moodle mirror, a plugin ZIP from a pull request or a
// blueprint): every extraction is bounded by total uncompressed size and entry count, checked
// before anything is inflated where the archive declares them, and enforced while inflating,
// because declared sizes can lie.
import { createReadStream, mkdirSync } from 'node:fs';
import { Transform } from 'node:stream';
import { createGunzip, inflateRawSync } from 'node:zlib';
import { extract, type ReadEntry } from 'tar';
import { UserError } from '../../core/errors.js';

/** Entry types an official source archive holds; devices, FIFOs and the like are refused. */
const ALLOWED = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
}

export interface ArchiveLimits {
  /** Total uncompressed bytes (for a .tar.gz: of the tar stream, headers included). */
  maxBytes: number;
  /** Entries of any kind: files, folders, links. */
  maxEntries: number;
}

const GiB = 1024 ** 3;
/** Moodle 5.2 is ~0.5 GB in ~72,000 entries; room for four times that. */
export const MOODLE_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxBytes: 2 * GiB,
  maxEntries: 250_000,
});
/** A plugin ZIP (`--upgrade-from`, blueprint `unzip` and `installMoodlePlugin`). */
export const PLUGIN_ZIP_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxBytes: 1 * GiB,
  maxEntries: 50_000,
});

/** An archive over one of its limits: bad input (exit 2), and retrying cannot help. */
export class ArchiveLimitError extends UserError {
  constructor(what: string, detail: string) {
    super(
      `${what}: ${detail}; the archive is refused.`,
      'A Moodle plugin or release archive is far smaller; check what the archive holds (a zip bomb?).',
    );
  }
}

const count = (n: number): string => n.toLocaleString('en');
const size = (n: number): string =>
  n >= GiB / 10 ? `${(n / GiB).toFixed(2)} GiB (${count(n)} bytes)` : `${count(n)} bytes`;

/**
 * Extracts a .tar.gz into `dest`, dropping the archive's top folder (`moodle-4.5.7/`). node-tar
 * already refuses absolute paths, `..` and links that escape `dest`; we turn each such refusal
 * into a failure, because an official Moodle archive has none, so it means a bad archive. The
 * gunzipped tar stream is counted, so neither a gzip bomb nor a flood of entries gets far.
 */
export async function extractTarGz(
  archive: string,
  dest: string,
  limits: ArchiveLimits = MOODLE_ARCHIVE_LIMITS,
): Promise<{ files: number }> {
  mkdirSync(dest, { recursive: true });
  const refused: string[] = [];
  let files = 0;
  let entries = 0;
  let bytes = 0;
  let overLimit: ArchiveLimitError | undefined;
  const unpack = extract({
    cwd: dest,
    strip: 1,
    preservePaths: false,
    // Trees are read by PHP and copied around; owner ids from the archive mean nothing here.
    preserveOwner: false,
    filter: (p, entry) => {
      if (++entries > limits.maxEntries) {
        overLimit ??= new ArchiveLimitError(
          archive,
          `over the limit of ${count(limits.maxEntries)} entries (stopped at entry ${count(entries)})`,
        );
        unpack.abort(overLimit);
        return false;
      }
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
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes <= limits.maxBytes) done(null, chunk);
      else
        done(
          (overLimit ??= new ArchiveLimitError(
            archive,
            `over the limit of ${size(limits.maxBytes)} uncompressed (stopped at ${size(bytes)})`,
          )),
        );
    },
  });
  const source = createReadStream(archive);
  const gunzip = createGunzip();
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error): void => {
        source.destroy();
        gunzip.destroy();
        counter.destroy();
        reject(e);
      };
      source.on('error', fail);
      gunzip.on('error', fail);
      counter.on('error', fail);
      unpack.on('error', fail);
      unpack.on('close', resolve);
      source.pipe(gunzip).pipe(counter).pipe(unpack);
    });
  } catch (e) {
    if (overLimit) throw overLimit;
    throw new ArchiveError(`${archive}: cannot extract it (${(e as Error).message})`);
  }
  if (overLimit) throw overLimit;
  if (refused.length > 0) {
    const shown = refused.slice(0, 3).join('; ');
    throw new ArchiveError(
      `${archive}: refused ${refused.length} unsafe or unexpected entr${refused.length === 1 ? 'y' : 'ies'} (${shown})`,
    );
  }
  return { files };
}

/** The ZIP could not be read (damaged, or not a ZIP); callers say which archive. */
export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

/** Where the central directory is and how many entries it says it has. */
function directory(buf: Buffer): { offset: number; entries: number } {
  const last = Math.max(0, buf.length - 22 - 0xffff);
  let e = buf.length - 22;
  while (e >= last && buf.readUInt32LE(e) !== EOCD) e--;
  if (e < last) throw new ZipFormatError('no end of central directory record');
  let entries = buf.readUInt16LE(e + 10);
  let offset = buf.readUInt32LE(e + 16);
  if (e >= 20 && buf.readUInt32LE(e - 20) === ZIP64_LOCATOR) {
    const z = Number(buf.readBigUInt64LE(e - 12));
    if (z + 56 > buf.length || buf.readUInt32LE(z) !== ZIP64_EOCD)
      throw new ZipFormatError('damaged ZIP64 end of central directory');
    entries = Number(buf.readBigUInt64LE(z + 32));
    offset = Number(buf.readBigUInt64LE(z + 48));
  }
  return { offset, entries };
}

/** Reads the central directory: names and declared sizes, nothing inflated. */
function* centralEntries(buf: Buffer, at: number, n: number): Generator<ZipEntry> {
  let o = at;
  for (let i = 0; i < n; i++) {
    if (o + 46 > buf.length || buf.readUInt32LE(o) !== CENTRAL)
      throw new ZipFormatError(`damaged central directory at entry ${i + 1}`);
    const flags = buf.readUInt16LE(o + 8);
    const nameLength = buf.readUInt16LE(o + 28);
    const extraLength = buf.readUInt16LE(o + 30);
    const commentLength = buf.readUInt16LE(o + 32);
    const nameBytes = buf.subarray(o + 46, o + 46 + nameLength);
    const entry: ZipEntry = {
      // Bit 11: the name is UTF-8; else it is CP437, of which ASCII is what real plugins use.
      name: nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1'),
      method: buf.readUInt16LE(o + 10),
      compressedSize: buf.readUInt32LE(o + 20),
      size: buf.readUInt32LE(o + 24),
      localOffset: buf.readUInt32LE(o + 42),
    };
    if (flags & 1) throw new ZipFormatError(`"${entry.name}" is encrypted`);
    zip64Sizes(buf.subarray(o + 46 + nameLength, o + 46 + nameLength + extraLength), entry);
    yield entry;
    o += 46 + nameLength + extraLength + commentLength;
  }
}

/** Sizes and offsets too big for 32 bits are in the ZIP64 extra field, in this order. */
function zip64Sizes(extra: Buffer, entry: ZipEntry): void {
  for (let p = 0; p + 4 <= extra.length;) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      const next = (): number => {
        if (q + 8 > p + 4 + length || q + 8 > extra.length)
          throw new ZipFormatError(`"${entry.name}": damaged ZIP64 extra field`);
        const v = Number(extra.readBigUInt64LE(q));
        q += 8;
        return v;
      };
      if (entry.size === MAX32) entry.size = next();
      if (entry.compressedSize === MAX32) entry.compressedSize = next();
      if (entry.localOffset === MAX32) entry.localOffset = next();
      return;
    }
    p += 4 + length;
  }
}

function inflateEntry(buf: Buffer, e: ZipEntry, what: string): Uint8Array {
  const o = e.localOffset;
  if (o + 30 > buf.length || buf.readUInt32LE(o) !== LOCAL)
    throw new ZipFormatError(`"${e.name}": no local header where the directory says`);
  const start = o + 30 + buf.readUInt16LE(o + 26) + buf.readUInt16LE(o + 28);
  if (start + e.compressedSize > buf.length)
    throw new ZipFormatError(`"${e.name}": its data runs past the end of the archive`);
  const data = buf.subarray(start, start + e.compressedSize);
  let out: Buffer;
  if (e.method === 0) out = data;
  else if (e.method === 8) {
    try {
      // Inflating stops as soon as the entry outgrows its declared size.
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new ArchiveLimitError(
          what,
          `"${e.name}" inflates to more than the ${count(e.size)} bytes its header declares`,
        );
      throw new ZipFormatError(`"${e.name}": ${(err as Error).message}`);
    }
  } else throw new ZipFormatError(`"${e.name}": unsupported compression method ${e.method}`);
  if (out.length !== e.size)
    throw new ZipFormatError(`"${e.name}": ${out.length} bytes, its header declares ${e.size}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Unzips `data` in memory like fflate's unzipSync (name → bytes; a folder's name ends in `/`),
 * within `limits`: the entry count and the sum of declared sizes are checked from the central
 * directory before anything is inflated, and no entry may inflate past its declared size.
 * `what` names the archive in errors. Throws ArchiveLimitError (a UserError) over a limit,
 * ZipFormatError when the archive cannot be read.
 */
export function unzipBounded(
  data: Uint8Array,
  what: string,
  limits: ArchiveLimits = PLUGIN_ZIP_LIMITS,
): Record<string, Uint8Array> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const dir = directory(buf);
  if (dir.entries > limits.maxEntries)
    throw new ArchiveLimitError(
      what,
      `${count(dir.entries)} entries, over the limit of ${count(limits.maxEntries)}`,
    );
  const entries = [...centralEntries(buf, dir.offset, dir.entries)];
  const declared = entries.reduce((sum, e) => sum + e.size, 0);
  if (declared > limits.maxBytes)
    throw new ArchiveLimitError(
      what,
      `${count(entries.length)} ${entries.length === 1 ? 'entry declares' : 'entries declare'} ${size(declared)} uncompressed, over the limit of ${size(limits.maxBytes)}`,
    );
  const files = Object.create(null) as Record<string, Uint8Array>;
  for (const e of entries) files[e.name] = inflateEntry(buf, e, what);
  return files;
}
