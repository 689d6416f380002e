// Filesystem steps. Paths go through siteVfsPath (no `..`, nothing outside /www/moodle and
// /persist); SiteFiles then refuses the read-only Moodle source. Archives are checked entry by
// entry (zip-slip) before anything is written.
import { UserError } from '../../core/errors.js';
import { unzipBounded } from '../../moodle/source/extract.js';
import { safeArchiveEntry, siteVfsPath } from '../paths.js';
import type { BlueprintStep, ResourceRef } from '../types.js';
import { list, str, type StepContext, type StepHandler } from './types.js';

/** The fields of each file step that name a site path (writeFiles: each `files[i].path`). */
export const FILE_STEP_PATHS: Readonly<Record<string, readonly string[]>> = {
  mkdir: ['path'],
  rmdir: ['path'],
  writeFile: ['path'],
  copyFile: ['from', 'to'],
  moveFile: ['from', 'to'],
  unzip: ['destination', 'path'],
  deleteFile: ['path'],
  restoreCourse: ['path'],
};

const vfs = (step: BlueprintStep, key: string, ctx: StepContext): string =>
  siteVfsPath(str(step, key) ?? '', `${ctx.where}.${key}`);

async function writeOne(
  path: string,
  data: unknown,
  field: string,
  ctx: StepContext,
): Promise<number> {
  const target = siteVfsPath(path, `${field}.path`);
  const bytes = await ctx.resolve(data as ResourceRef, `${field}.data`);
  ctx.site.files.write(target, bytes, `${field}.path`);
  return bytes.length;
}

/** Unzips `bytes` into `dest`, refusing unsafe entry names before writing anything. */
export function extractZip(
  bytes: Uint8Array,
  dest: string,
  field: string,
  ctx: StepContext,
): number {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipBounded(bytes, field);
  } catch (e) {
    if (e instanceof UserError) throw e; // over a size or entry limit
    throw new UserError(`${field}: not a readable ZIP archive (${(e as Error).message}).`);
  }
  const checked = Object.entries(entries).map(
    ([name, data]) => [name, safeArchiveEntry(name, field), data] as const,
  );
  let files = 0;
  for (const [name, rel, data] of checked) {
    const target = `${dest}/${rel}`;
    if (name.endsWith('/')) ctx.site.files.mkdir(target, field);
    else {
      ctx.site.files.write(target, data, field);
      files++;
    }
  }
  return files;
}

export const FILE_STEPS: Record<string, StepHandler> = {
  mkdir: {
    kind: 'run',
    run(step, ctx) {
      const p = vfs(step, 'path', ctx);
      ctx.site.files.mkdir(p, `${ctx.where}.path`);
      return Promise.resolve(`created ${p}`);
    },
  },
  rmdir: {
    kind: 'run',
    run(step, ctx) {
      const p = vfs(step, 'path', ctx);
      ctx.site.files.rmdir(p, step.recursive === true, `${ctx.where}.path`);
      return Promise.resolve(`removed ${p}`);
    },
  },
  writeFile: {
    kind: 'run',
    async run(step, ctx) {
      const n = await writeOne(str(step, 'path') ?? '', step.data, ctx.where, ctx);
      return `wrote ${str(step, 'path') ?? ''} (${n} bytes)`;
    },
  },
  writeFiles: {
    kind: 'run',
    async run(step, ctx) {
      const files = list(step, 'files');
      for (const [i, f] of files.entries())
        await writeOne(
          typeof f.path === 'string' ? f.path : '',
          f.data,
          `${ctx.where}.files/${i}`,
          ctx,
        );
      return `wrote ${files.length} file(s)`;
    },
  },
  copyFile: {
    kind: 'run',
    run(step, ctx) {
      const from = vfs(step, 'from', ctx);
      const to = vfs(step, 'to', ctx);
      ctx.site.files.copy(from, to, `${ctx.where}.to`);
      return Promise.resolve(`copied ${from} to ${to}`);
    },
  },
  moveFile: {
    kind: 'run',
    run(step, ctx) {
      const from = vfs(step, 'from', ctx);
      const to = vfs(step, 'to', ctx);
      ctx.site.files.move(from, to, `${ctx.where}.to`);
      return Promise.resolve(`moved ${from} to ${to}`);
    },
  },
  deleteFile: {
    kind: 'run',
    run(step, ctx) {
      const p = vfs(step, 'path', ctx);
      return Promise.resolve(
        ctx.site.files.delete(p, `${ctx.where}.path`) ? `deleted ${p}` : `${p} was not there`,
      );
    },
  },
  deleteFiles: {
    kind: 'run',
    run(step, ctx) {
      const entries = Array.isArray(step.files) ? (step.files as unknown[]) : [];
      let gone = 0;
      for (const [i, e] of entries.entries()) {
        const field = `${ctx.where}.files/${i}`;
        const given = typeof e === 'string' ? e : (e as { path?: unknown }).path;
        const p = siteVfsPath(typeof given === 'string' ? given : '', field);
        if (ctx.site.files.delete(p, field)) gone++;
      }
      return Promise.resolve(`deleted ${gone} of ${entries.length} file(s)`);
    },
  },
  unzip: {
    kind: 'run',
    async run(step, ctx) {
      const key = str(step, 'destination') !== undefined ? 'destination' : 'path';
      const dest = vfs(step, key, ctx);
      const bytes = await ctx.resolve(step.data as ResourceRef, `${ctx.where}.data`);
      const n = extractZip(bytes, dest, `${ctx.where}.data`, ctx);
      return `extracted ${n} file(s) into ${dest}`;
    },
  },
};
