import { isValidPluginName, pluginType } from '../plugin/plugintypes.js';
import { CORE_SUBSYSTEMS } from '../plugin/subsystems.js';
import { lineIndex } from '../plugin/position.js';
import type { CheckContext, CheckFamily, RuleMeta } from './types.js';

const FILE = 'db/subplugins.json';

/**
 * What core_component::fetch_subtypes does with db/subplugins.json: Moodle ≤ 4.5 reads only
 * `plugintypes` (paths from the Moodle root); 5.0+ reads `subplugintypes` (paths from the plugin)
 * and falls back to `plugintypes` with a deprecation message (MDL-83705). Each type name must match
 * `^[a-z][a-z0-9]*$`, must not be a core subsystem or an existing plugin type, and its folder must
 * exist; otherwise the type is skipped with only an error_log line.
 */
export const SUBPLUGINS_RULES: readonly RuleMeta[] = [
  {
    id: 'subplugins/malformed',
    severity: 'error',
    title: 'db/subplugins.json is not valid',
    why: 'Moodle logs "db/subplugins.json is invalid" (or "No plugintypes defined") and registers no subplugin type: none of the subplugins are installed and code that lists them finds nothing.',
    fix: 'Make it a JSON object with `subplugintypes` (type → folder inside the plugin) and, for Moodle 4.5 and older, `plugintypes` (type → path from the Moodle root).',
  },
  {
    id: 'subplugins/missing-plugintypes',
    severity: 'error',
    title: 'db/subplugins.json lacks `plugintypes` for Moodle 4.5 and older',
    why: 'Moodle 4.5 and older read only `plugintypes`; `subplugintypes` is new in 5.0. The plugin claims to support such a branch, where none of its subplugin types would be registered.',
    fix: 'Add `"plugintypes": {"<type>": "<plugintype path>/<name>/<folder>"}` next to `subplugintypes`, with the same keys.',
  },
  {
    id: 'subplugins/missing-subplugintypes',
    severity: 'warning',
    title: 'db/subplugins.json lacks `subplugintypes` for Moodle 5.0+',
    why: 'Moodle 5.0+ reads `subplugintypes` (paths relative to the plugin). It still falls back to the deprecated `plugintypes`, but logs "No subplugintypes defined ... Falling back to deprecated plugintypes value" every time it rebuilds its component cache, and the fallback will be removed.',
    fix: 'Add `"subplugintypes": {"<type>": "<folder>"}` with the same keys as `plugintypes`.',
  },
  {
    id: 'subplugins/inconsistent',
    severity: 'error',
    title: '`subplugintypes` and `plugintypes` disagree',
    why: 'The plugin supports Moodle branches that read different keys (≤ 4.5 `plugintypes`, 5.0+ `subplugintypes`). When their types or folders differ, the plugin has different subplugins depending on the Moodle version, and one side points at a folder that is not the one shipped.',
    fix: 'Use the same keys in both; each `plugintypes` path must be `<plugintype path>/<name>/` followed by the `subplugintypes` folder.',
  },
  {
    id: 'subplugins/type-name',
    severity: 'error',
    title: 'Invalid subplugin type name',
    why: 'Moodle skips a subplugin type whose name is not lower-case letters and digits (starting with a letter), or that duplicates a core subsystem or an existing plugin type: its subplugins are never installed.',
    fix: 'Rename the type to a unique name of lower-case letters and digits, e.g. `<pluginname><thing>`.',
  },
  {
    id: 'subplugins/missing-dir',
    severity: 'warning',
    title: 'Subplugin type folder does not exist',
    why: 'Moodle logs "Invalid subtype directory" and skips the type when its folder is missing, so subplugins added later on a site are not found. (Git does not keep empty folders.)',
    fix: 'Ship the folder (with a README if there are no subplugins yet) or correct the path.',
  },
  {
    id: 'subplugins/no-version',
    severity: 'warning',
    title: 'Folder in a subplugin type directory has no version.php',
    why: 'Moodle treats every validly named folder in a subplugin type directory as a subplugin; one without version.php is reported as defective or missing by the plugin manager and blocks a clean upgrade.',
    fix: 'Add version.php to the subplugin, or move the folder out of the subplugin type directory.',
  },
];

/** core_component::$ignoreddirs: folder names never taken as plugins. */
const IGNORED_DIRS = new Set([
  'CVS',
  '_vti_cnf',
  'simpletest',
  'db',
  'yui',
  'tests',
  'classes',
  'fonts',
]);

type StringMap = Map<string, string>;

export const subpluginsFamily: CheckFamily = {
  family: 'subplugins',
  rules: SUBPLUGINS_RULES,
  run(ctx) {
    const raw = ctx.plugin.text(FILE);
    if (raw === undefined) return;
    const at = (needle: string): { file: string; line: number; column?: number } => {
      const i = raw.indexOf(needle);
      return i < 0 ? { file: FILE, line: 1 } : { file: FILE, ...lineIndex(raw)(i) };
    };
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      ctx.report(
        'subplugins/malformed',
        { file: FILE, ...(pos ? lineIndex(raw)(Number(pos[1])) : { line: 1 }) },
        `${FILE} is not valid JSON (${msg}); Moodle registers none of its subplugin types.`,
        'Fix the JSON syntax.',
      );
      return;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      ctx.report(
        'subplugins/malformed',
        { file: FILE, line: 1 },
        `${FILE} is not a JSON object.`,
        'Make it an object.',
      );
      return;
    }
    const obj = json as Record<string, unknown>;
    const maps: { subplugintypes?: StringMap; plugintypes?: StringMap } = {};
    for (const key of ['subplugintypes', 'plugintypes'] as const) {
      if (!(key in obj)) continue;
      const v = obj[key];
      const ok =
        typeof v === 'object' &&
        v !== null &&
        !Array.isArray(v) &&
        Object.values(v).every((x) => typeof x === 'string');
      if (!ok) {
        ctx.report(
          'subplugins/malformed',
          at(`"${key}"`),
          `${FILE}: "${key}" must be an object mapping each subplugin type to a path (string).`,
          `Write "${key}": {"<type>": "<path>"}.`,
        );
        return;
      }
      const m: StringMap = new Map(Object.entries(v as Record<string, string>));
      if (m.size > 0) maps[key] = m;
    }
    const { subplugintypes: sub, plugintypes: legacy } = maps;
    if (!sub && !legacy) {
      ctx.report(
        'subplugins/malformed',
        { file: FILE, line: 1 },
        `${FILE} declares no subplugin type (neither "subplugintypes" nor "plugintypes"), so Moodle registers none.`,
        'Declare the types, or delete the file if the plugin has no subplugins.',
      );
      return;
    }

    const branches = ctx.plugin.targetBranches().map((b) => b.branch);
    const old = branches.some((b) => b <= 405);
    const recent = branches.some((b) => b >= 500);
    if (old && !legacy) {
      ctx.report(
        'subplugins/missing-plugintypes',
        at('"subplugintypes"'),
        `${FILE} has no "plugintypes", which Moodle 4.5 and older read; the plugin claims to support ${branches.filter((b) => b <= 405).length > 1 ? 'such branches' : 'such a branch'}, where its subplugins would not exist.`,
        'Add "plugintypes" with the same keys (paths from the Moodle root).',
      );
    }
    if (recent && !sub) {
      ctx.report(
        'subplugins/missing-subplugintypes',
        at('"plugintypes"'),
        `${FILE} has no "subplugintypes"; Moodle 5.0+ falls back to the deprecated "plugintypes" and logs a deprecation message.`,
        'Add "subplugintypes" with the same keys (paths relative to the plugin).',
      );
    }

    const own = ownPath(ctx);
    const keyAt = (type: string): { file: string; line: number; column?: number } =>
      at(`"${type}"`);
    if (sub && legacy && old && recent) {
      for (const type of new Set([...sub.keys(), ...legacy.keys()])) {
        const s = sub.get(type);
        const l = legacy.get(type);
        if (s === undefined || l === undefined) {
          ctx.report(
            'subplugins/inconsistent',
            keyAt(type),
            `${FILE}: type "${type}" is only in "${s === undefined ? 'plugintypes' : 'subplugintypes'}", so it exists only on Moodle ${s === undefined ? '4.5 and older' : '5.0+'}.`,
            'Declare it in both objects.',
          );
          continue;
        }
        const expected = own !== undefined ? `${own}/${trim(s)}` : undefined;
        if (expected !== undefined && trim(l).replace(/^public\//, '') !== expected) {
          ctx.report(
            'subplugins/inconsistent',
            keyAt(type),
            `${FILE}: type "${type}" is in "${trim(s)}" for Moodle 5.0+ but "${l}" for Moodle 4.5 and older (expected "${expected}").`,
            `Set "plugintypes"."${type}" to "${expected}".`,
          );
        }
      }
    }

    const types = new Map<string, string | undefined>();
    for (const [type, dir] of sub ?? []) types.set(type, trim(dir));
    for (const [type, dir] of legacy ?? []) {
      if (types.has(type)) continue;
      const d = trim(dir).replace(/^public\//, '');
      types.set(
        type,
        own !== undefined && d.startsWith(`${own}/`) ? d.slice(own.length + 1) : undefined,
      );
    }
    for (const [type, dir] of types) {
      // Moodle skips a badly named type before it looks at its folder.
      if (!checkTypeName(ctx, type, keyAt(type))) continue;
      if (dir === undefined) {
        ctx.report(
          'subplugins/missing-dir',
          keyAt(type),
          `${FILE}: the path of type "${type}" (${legacy?.get(type) ?? ''}) is not inside this plugin (${own ?? 'unknown install path'}/).`,
          `Use "${own ?? '<plugintype path>/<name>'}/<folder>".`,
        );
        continue;
      }
      if (dir === '' || dir.split('/').includes('..')) continue;
      if (
        !ctx.plugin.hasDir(dir) &&
        !ctx.plugin.subplugins.some((s) => s.prefix.startsWith(`${ctx.plugin.prefix}${dir}/`))
      ) {
        ctx.report(
          'subplugins/missing-dir',
          keyAt(type),
          `${FILE}: the folder "${dir}" of subplugin type "${type}" does not exist; Moodle skips the type.`,
          `Create ${dir}/ (a README is enough) or correct the path.`,
        );
        continue;
      }
      checkSubpluginDirs(ctx, type, dir);
    }
  },
};

function trim(p: string): string {
  return p
    .trim()
    .replace(/^\.?\//, '')
    .replace(/\/+$/, '');
}

/** This plugin's install path from the Moodle root (classic layout), e.g. `mod/customcert`. */
function ownPath(ctx: CheckContext): string | undefined {
  const info = ctx.plugin.typeInfo;
  const name = ctx.plugin.name;
  return info && name ? `${info.path}/${name}` : undefined;
}

function checkTypeName(
  ctx: CheckContext,
  type: string,
  where: { file: string; line: number },
): boolean {
  let problem: string | undefined;
  if (!/^[a-z][a-z0-9]*$/.test(type))
    problem = 'must be lower-case letters and digits, starting with a letter';
  else if (CORE_SUBSYSTEMS.has(type)) problem = 'is the name of a core subsystem';
  else {
    const existing = pluginType(type);
    if (existing && existing.parent !== ctx.plugin.component) {
      problem = existing.parent
        ? `is already a subplugin type of ${existing.parent}`
        : 'is already a core plugin type';
    }
  }
  if (!problem) return true;
  ctx.report(
    'subplugins/type-name',
    where,
    `${FILE}: subplugin type "${type}" ${problem}; Moodle skips it.`,
    `Rename the type (e.g. "${(ctx.plugin.name ?? 'plugin').replace(/[^a-z0-9]/g, '')}${type.toLowerCase().replace(/[^a-z0-9]/g, '')}").`,
  );
  return false;
}

/** Folders in a type directory that Moodle would take as subplugins but that have no version.php. */
function checkSubpluginDirs(ctx: CheckContext, type: string, dir: string): void {
  // Loaded subplugins (folders with version.php) are already removed from allFiles.
  const names = new Map<string, string>();
  for (const f of ctx.plugin.allFiles) {
    if (!f.startsWith(`${dir}/`)) continue;
    const rest = f.slice(dir.length + 1).split('/');
    if (rest.length >= 2 && !names.has(rest[0]!)) names.set(rest[0]!, f);
  }
  for (const [name, first] of [...names].sort()) {
    if (IGNORED_DIRS.has(name) || !isValidPluginName(type, name)) continue;
    if (ctx.plugin.has(`${dir}/${name}/version.php`)) continue;
    ctx.report(
      'subplugins/no-version',
      { file: first },
      `${dir}/${name}/ is in the "${type}" subplugin folder but has no version.php; Moodle takes it for a broken ${type}_${name} subplugin.`,
      `Add ${dir}/${name}/version.php or move the folder elsewhere.`,
    );
  }
}
