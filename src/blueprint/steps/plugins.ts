// installMoodlePlugin / installTheme: a plugin ZIP (GitHub archive or any zip with the plugin
// in one folder) extracted into the run's layer at the plugin's path — never into the cached
// Moodle tree — then Moodle's own admin/cli/upgrade.php installs it.
import { strFromU8 } from 'fflate';
import { UserError } from '../../core/errors.js';
import { unzipBounded } from '../../moodle/source/extract.js';
import {
  pluginType,
  splitComponent,
  typeExistsIn,
  isValidPluginName,
} from '../../plugin/plugintypes.js';
import { safeArchiveEntry } from '../paths.js';
import type { BlueprintStep } from '../types.js';
import { str, type StepContext, type StepHandler } from './types.js';

/** `moodle-mod_board` from a GitHub archive URL → mod / board. */
function fromUrl(url: string): { type?: string; name?: string } {
  const repo = /\/([^/]+)\/archive\//.exec(new URL(url).pathname)?.[1];
  if (!repo) return {};
  const split = splitComponent(repo.replace(/^moodle-/i, '').toLowerCase());
  return split ?? {};
}

/** The component from the zip's version.php (`$plugin->component = 'mod_board';`). */
function fromVersionPhp(source: string): { type?: string; name?: string } {
  const m = /\$plugin->component\s*=\s*['"]([a-z0-9_]+)['"]/.exec(source);
  return (m?.[1] && splitComponent(m[1])) || {};
}

/** `type_name` when the plugin's folder already holds that component (core or the plugin under test). */
function present(ctx: StepContext, type: string | undefined, name: string | undefined): boolean {
  const info = type !== undefined ? pluginType(type) : undefined;
  if (!info || name === undefined) return false;
  const version = `${ctx.site.webRoot}/${info.path}/${name}/version.php`;
  if (!ctx.site.files.exists(version)) return false;
  const source = strFromU8(ctx.site.files.read(version, version));
  return fromVersionPhp(source).name === name && fromVersionPhp(source).type === type;
}

async function install(
  step: BlueprintStep,
  ctx: StepContext,
  forcedType?: string,
): Promise<string> {
  const url = str(step, 'url') ?? '';
  const field = `${ctx.where}.url`;
  // A Playground blueprint installs the plugin under review from GitHub; in a check it is already
  // installed from the checkout, which is what must be tested — not a download of another commit.
  const guessed = fromUrl(url);
  const guessType = forcedType ?? str(step, 'pluginType') ?? guessed.type;
  const guessName = str(step, 'pluginName') ?? guessed.name;
  if (present(ctx, guessType, guessName))
    return `${guessType ?? ''}_${guessName ?? ''} is already installed (the plugin under test or a standard plugin): not downloaded`;
  const bytes = await ctx.resolve({ url }, field);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipBounded(bytes, `${field}: ${url}`);
  } catch (e) {
    if (e instanceof UserError) throw e; // over a size or entry limit
    throw new UserError(
      `${field}: ${url} is not a readable ZIP archive (${(e as Error).message}).`,
    );
  }
  const files = Object.entries(entries).map(([name, data]) => ({
    name,
    rel: safeArchiveEntry(name, field),
    data,
  }));
  // The plugin root is the shallowest folder with a version.php (GitHub adds a top folder).
  const versions = files
    .filter(
      (f) => !f.name.endsWith('/') && (f.rel === 'version.php' || f.rel.endsWith('/version.php')),
    )
    .sort((a, b) => a.rel.split('/').length - b.rel.split('/').length);
  const root = versions[0];
  if (!root)
    throw new UserError(`${field}: the archive has no version.php, so it is not a Moodle plugin.`);
  const prefix = root.rel.slice(0, -'version.php'.length);
  const detected = { ...fromUrl(url), ...fromVersionPhp(strFromU8(root.data)) };
  const type = forcedType ?? str(step, 'pluginType') ?? detected.type;
  const name = str(step, 'pluginName') ?? detected.name;
  if (!type || !name)
    throw new UserError(
      `${ctx.where}: cannot tell the plugin's type and name from ${url} or its version.php.`,
      'Give "pluginType" and "pluginName".',
    );
  const info = pluginType(type);
  if (!info || !typeExistsIn(info, ctx.site.branch))
    throw new UserError(`${ctx.where}.pluginType: "${type}" is not a plugin type of this Moodle.`);
  if (!isValidPluginName(type, name))
    throw new UserError(`${ctx.where}.pluginName: "${name}" is not a valid ${type} plugin name.`);
  const target = `${ctx.site.webRoot}/${info.path}/${name}`;
  if (ctx.site.files.exists(target))
    throw new UserError(
      `${ctx.where}: ${type}_${name} is already present at ${target} (a standard plugin or the plugin under test); a blueprint cannot replace it.`,
    );
  let count = 0;
  for (const f of files) {
    if (!f.rel.startsWith(prefix) || f.rel === prefix.replace(/\/$/, '')) continue;
    const rel = f.rel.slice(prefix.length);
    if (rel === '') continue;
    if (f.name.endsWith('/')) ctx.site.files.mkdir(`${target}/${rel}`, field);
    else {
      ctx.site.files.write(`${target}/${rel}`, f.data, field);
      count++;
    }
  }
  const upgrade = await ctx.site.upgrade();
  if (!upgrade.ok)
    throw new Error(`admin/cli/upgrade.php failed for ${type}_${name}: ${upgrade.message}`);
  return `installed ${type}_${name} at ${target} (${count} files) with admin/cli/upgrade.php`;
}

export const PLUGIN_STEPS: Record<string, StepHandler> = {
  installMoodlePlugin: { kind: 'run', run: (step, ctx) => install(step, ctx) },
  installTheme: { kind: 'run', run: (step, ctx) => install(step, ctx, 'theme') },
};
