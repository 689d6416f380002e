// Official language packs, as Moodle's own installer fetches them (lib/componentlib.class.php:
// https://download.moodle.org/download.php/direct/langpack/<X.Y>/<code>.zip, checked against the
// md5 in languages.md5 beside it), cached per Moodle version and checksum. MPC_LANGPACK_BASE
// points at a mirror (tests use a local server).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { downloadFile } from '../../core/http.js';
import { cacheRoot } from '../../moodle/source/cache-dir.js';
import { branchName } from '../../plugin/branches.js';

export const LANGPACK_BASE = 'https://download.moodle.org/download.php/direct/langpack';

/** The pack's ZIP bytes for this Moodle branch: from the cache, else downloaded and checked. */
export async function languagePack(
  code: string,
  branch: number,
  where: string,
): Promise<Uint8Array> {
  const version = branchName(branch);
  const base = (process.env.MPC_LANGPACK_BASE ?? LANGPACK_BASE).replace(/\/$/, '');
  const dir = path.join(cacheRoot(), 'langpacks', version);
  mkdirSync(dir, { recursive: true });
  const cached = (): string | undefined =>
    readdirSync(dir).find((f) => f.startsWith(`${code}-`) && f.endsWith('.zip'));
  let md5: string;
  try {
    md5 = await expectedMd5(`${base}/${version}/languages.md5`, code, dir);
  } catch (e) {
    const hit = cached();
    if (hit) return readFileSync(path.join(dir, hit)); // offline: the pack checked last time
    throw e instanceof UserError
      ? e
      : new UserError(
          `${where}: the ${code} language pack for Moodle ${version} is not cached and could not be downloaded (${(e as Error).message}).`,
          'Run once with network access (it is then cached), or give the pack as "data" (a ZIP resource).',
        );
  }
  const file = path.join(dir, `${code}-${md5}.zip`);
  if (existsSync(file)) return readFileSync(file);
  const part = `${file}.${process.pid}.download`;
  await downloadFile(`${base}/${version}/${code}.zip`, part);
  const bytes = readFileSync(part);
  const got = createHash('md5').update(bytes).digest('hex');
  if (got !== md5) {
    rmSync(part, { force: true });
    throw new UserError(
      `${where}: the ${code} language pack downloaded from ${base} has md5 ${got}, but languages.md5 says ${md5}.`,
    );
  }
  // An older pack of this language (another md5) gives way; the checked one is renamed in after.
  for (const old of readdirSync(dir))
    if (old.startsWith(`${code}-`) && old.endsWith('.zip'))
      rmSync(path.join(dir, old), { force: true });
  renameSync(part, file);
  return bytes;
}

/** The md5 of `code` in languages.md5 (lines `code,md5,Name`). */
async function expectedMd5(url: string, code: string, dir: string): Promise<string> {
  const index = path.join(dir, `languages.md5.${process.pid}`);
  try {
    await downloadFile(url, index, { retries: 1 });
    for (const line of readFileSync(index, 'utf8').split('\n')) {
      const [c, md5] = line.trim().split(',');
      if (c === code && md5 && /^[0-9a-f]{32}$/.test(md5)) return md5;
    }
  } finally {
    rmSync(index, { force: true });
  }
  throw new UserError(
    `There is no "${code}" language pack at ${url.replace(/\/languages\.md5$/, '')} (not in languages.md5).`,
    'Use a code from https://download.moodle.org/langpack/ (es, fr, pt_br…).',
  );
}
