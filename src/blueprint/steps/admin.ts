// The Moodle Playground's newer steps (its moodle-roles, -scales, -cohorts, -config-files,
// -restore, -language and pr-overlay steps), as Moodle API operations in php/blueprint/
// ops_admin.php. Resources (XML, files, backups) are resolved here and written under /tmp, the
// run's scratch space; PHP only ever gets their paths.
import { strFromU8 } from 'fflate';
import { UserError } from '../../core/errors.js';
import { unzipBounded } from '../../moodle/source/extract.js';
import { safeArchiveEntry, siteVfsPath } from '../paths.js';
import type { BlueprintStep, ResourceRef } from '../types.js';
import { languagePack } from './langpack.js';
import { list, str, type StepContext, type StepHandler } from './types.js';

let scratch = 0;

/** Writes resolved bytes to a fresh /tmp file and returns its VFS path. */
function toTmp(ctx: StepContext, bytes: Uint8Array, ext: string, field: string): string {
  const vfs = `/tmp/mpc-blueprint-${process.pid}-${++scratch}${ext}`;
  ctx.site.files.write(vfs, bytes, field);
  return vfs;
}

/**
 * A list field that may be inline, `"@name"`, a descriptor, or a JSON string — each resolving to
 * an array or to `{ <key>: [...] }` (the Playground's envelopes).
 */
async function listField(
  step: BlueprintStep,
  key: string,
  ctx: StepContext,
): Promise<Record<string, unknown>[]> {
  const field = `${ctx.where}.${key}`;
  const v = step[key];
  let data: unknown = v;
  if (typeof v === 'string' && !v.startsWith('@')) data = parseJson(v, field);
  else if (typeof v === 'string' || (v && typeof v === 'object' && !Array.isArray(v)))
    data = parseJson(strFromU8(await ctx.resolve(v as ResourceRef, field)), field);
  if (data && typeof data === 'object' && !Array.isArray(data))
    data = (data as Record<string, unknown>)[key];
  if (!Array.isArray(data) || data.length === 0)
    throw new UserError(`${field}: expected a non-empty list (or {"${key}": [...]}).`);
  return data.map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item))
      throw new UserError(`${field}/${i}: expected an object.`);
    return item as Record<string, unknown>;
  });
}

function parseJson(text: string, field: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError(`${field}: not JSON (${(e as Error).message}).`);
  }
}

function requireKeys(items: Record<string, unknown>[], keys: string[], field: string): void {
  for (const [i, item] of items.entries())
    for (const k of keys)
      if (item[k] === undefined || item[k] === '')
        throw new UserError(`${field}/${i}: missing required field "${k}".`);
}

const fieldsOf = (step: BlueprintStep, drop: string[]): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(step).filter(([k]) => !['step', 'critical', ...drop].includes(k)),
  );

const plural = (op: string, key: string, required: string[]): StepHandler => ({
  kind: 'ops',
  async build(step, ctx) {
    const items = await listField(step, key, ctx);
    requireKeys(items, required, `${ctx.where}.${key}`);
    return { op, args: { [key]: items } };
  },
});

const single = (op: string, key: string): StepHandler => ({
  kind: 'ops',
  build: (step) => Promise.resolve({ op, args: { [key]: [fieldsOf(step, [])] } }),
});

/** A role preset's XML: inline text, `"@name"`, a descriptor, or `{xml}` / `{resource}`. */
async function presetXml(item: unknown, ctx: StepContext, field: string): Promise<Uint8Array> {
  if (typeof item === 'string')
    return item.startsWith('@') ? ctx.resolve(item, field) : new TextEncoder().encode(item);
  const o = (item ?? {}) as Record<string, unknown>;
  if (typeof o.xml === 'string') return new TextEncoder().encode(o.xml);
  if (o.resource !== undefined) return ctx.resolve(o.resource as ResourceRef, `${field}.resource`);
  return ctx.resolve(o as ResourceRef, field);
}

async function configFiles(
  step: BlueprintStep,
  ctx: StepContext,
  files: Record<string, unknown>[],
): Promise<{ op: string; args: unknown }> {
  const staged = [];
  for (const [i, f] of files.entries()) {
    const field = `${ctx.where}${step.step === 'setConfigFiles' ? `.files/${i}` : ''}`;
    const bytes = await ctx.resolve(f.data as ResourceRef, `${field}.data`);
    staged.push({ ...f, data: undefined, source_path: toTmp(ctx, bytes, '.bin', field) });
  }
  return {
    op: 'setConfigFiles',
    args: { ...fieldsOf(step, ['files', 'data', 'filename']), files: staged },
  };
}

export const ADMIN_STEPS: Record<string, StepHandler> = {
  setTheme: {
    kind: 'ops',
    build: (step) => Promise.resolve({ op: 'setTheme', args: { name: str(step, 'name') ?? '' } }),
  },
  createRole: single('createRoles', 'roles'),
  createRoles: plural('createRoles', 'roles', ['shortname']),
  createScale: single('createScales', 'scales'),
  createScales: plural('createScales', 'scales', ['name', 'items']),
  createCohort: single('createCohorts', 'cohorts'),
  createCohorts: plural('createCohorts', 'cohorts', ['name']),
  importRolePreset: {
    kind: 'ops',
    async build(step, ctx) {
      if (step.xml === undefined && step.resource === undefined)
        throw new UserError(`${ctx.where}: give the preset as "xml" or "resource".`);
      const xml = await presetXml(step.xml ?? { resource: step.resource }, ctx, ctx.where);
      return { op: 'importRoles', args: { files: [toTmp(ctx, xml, '.xml', ctx.where)] } };
    },
  },
  importRoles: {
    kind: 'ops',
    async build(step, ctx) {
      const files = [];
      for (const [i, item] of (Array.isArray(step.roles) ? step.roles : []).entries()) {
        const field = `${ctx.where}.roles/${i}`;
        files.push(toTmp(ctx, await presetXml(item, ctx, field), '.xml', field));
      }
      if (files.length === 0) throw new UserError(`${ctx.where}.roles: give at least one preset.`);
      return { op: 'importRoles', args: { files } };
    },
  },
  setConfigFile: {
    kind: 'ops',
    build: (step, ctx) => configFiles(step, ctx, [{ filename: step.filename, data: step.data }]),
  },
  setConfigFiles: {
    kind: 'ops',
    build: (step, ctx) => configFiles(step, ctx, list(step, 'files')),
  },
  purgeMoodleCaches: {
    kind: 'ops',
    build: () => Promise.resolve({ op: 'purgeMoodleCaches', args: {} }),
  },
  restoreCourse: {
    kind: 'ops',
    async build(step, ctx) {
      const url = str(step, 'url');
      const given = str(step, 'path');
      let file: string;
      if (url !== undefined) {
        if (!/^https?:\/\//i.test(url))
          throw new UserError(`${ctx.where}.url: "${url}" is not an http(s) URL.`);
        file = toTmp(ctx, await ctx.resolve({ url }, `${ctx.where}.url`), '.mbz', ctx.where);
      } else if (given !== undefined) {
        file = siteVfsPath(given, `${ctx.where}.path`);
        if (!ctx.site.files.exists(file))
          throw new UserError(`${ctx.where}.path: ${file} does not exist.`);
      } else if (step.data !== undefined) {
        const bytes = await ctx.resolve(step.data as ResourceRef, `${ctx.where}.data`);
        file = toTmp(ctx, bytes, '.mbz', ctx.where);
      } else throw new UserError(`${ctx.where}: give the backup as "url", "path" or "data".`);
      return { op: 'restoreCourse', args: { ...fieldsOf(step, ['url', 'path', 'data']), file } };
    },
  },
  installLanguagePack: {
    kind: 'ops',
    async build(step, ctx) {
      const codes = languageCodes(step, ctx.where);
      const packs: Uint8Array[] = [];
      if (step.data !== undefined) {
        if (codes.length !== 1)
          throw new UserError(`${ctx.where}: a pack given as "data" is one language; name it.`);
        packs.push(await ctx.resolve(step.data as ResourceRef, `${ctx.where}.data`));
      } else
        for (const code of codes) packs.push(await languagePack(code, ctx.site.branch, ctx.where));
      const installed = [...codes];
      for (const [i, zip] of packs.entries()) {
        let parent = unpackLanguage(zip, codes[i]!, ctx, `${ctx.where}.data`);
        // Moodle's lang_installer queues a pack's parent (pt_br needs pt); so does this step.
        while (parent && parent !== 'en' && !installed.includes(parent)) {
          if (ctx.site.files.exists(`/persist/moodledata/lang/${parent}/langconfig.php`)) break;
          installed.push(parent);
          const next = await languagePack(
            parent,
            ctx.site.branch,
            `${ctx.where} (parent of ${codes[i]!})`,
          );
          parent = unpackLanguage(next, parent, ctx, `${ctx.where}.data`);
        }
      }
      return {
        op: 'installLanguagePack',
        args: { languages: installed, setDefault: step.setDefault === true },
      };
    },
  },
  applyPrOverlay: {
    kind: 'run',
    run(_step, ctx) {
      return Promise.reject(
        new UserError(
          `${ctx.where}: applyPrOverlay is not supported here: it overlays a core pull request's files onto Moodle, and a check tests a plugin on a released Moodle tree (read-only and shared between runs).`,
          'To test a core change, import a Moodle tree with it applied (`moodle-plugin-check moodle import <dir>`) and check against that.',
        ),
      );
    },
  },
};

/** `language`, `languages` or `lang`: a code, a comma-separated list, or an array. */
function languageCodes(step: BlueprintStep, where: string): string[] {
  const raw = step.language ?? step.languages ?? step.lang;
  const given = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [];
  const codes = [...new Set(given.map((c) => String(c).trim()).filter((c) => c !== ''))];
  if (codes.length === 0)
    throw new UserError(`${where}: name the language, e.g. "language": "es".`);
  for (const c of codes)
    if (!/^[a-z][a-z0-9_]*$/.test(c))
      throw new UserError(`${where}: "${c}" is not a language code (e.g. es, pt_br).`);
  return codes;
}

/**
 * A language pack ZIP (one folder named after the code) into moodledata/lang/<code>; returns the
 * pack's parent language from its langconfig.php ('' when it has none).
 */
function unpackLanguage(zip: Uint8Array, code: string, ctx: StepContext, field: string): string {
  const entries = unzipBounded(zip, `${field}: the ${code} language pack`);
  const names = Object.keys(entries);
  if (!names.some((n) => n === `${code}/langconfig.php`))
    throw new UserError(
      `${field}: the ZIP has no ${code}/langconfig.php, so it is not the ${code} language pack.`,
    );
  for (const [name, data] of Object.entries(entries)) {
    const rel = safeArchiveEntry(name, `the ${code} language pack`);
    if (!rel.startsWith(`${code}/`) || name.endsWith('/')) continue;
    ctx.site.files.write(`/persist/moodledata/lang/${rel}`, data, field);
  }
  const config = strFromU8(entries[`${code}/langconfig.php`]!);
  const parent =
    /\$string\[\s*'parentlanguage'\s*\]\s*=\s*'([a-z][a-z0-9_]*)'/.exec(config)?.[1] ?? '';
  return parent === code ? '' : parent;
}
