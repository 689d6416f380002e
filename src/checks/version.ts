import path from 'node:path';
import {
  NEWEST_BRANCH,
  branchForRequires,
  branchName,
  isBranchShaped,
} from '../plugin/branches.js';
import { describe, isPhpArray, UNKNOWN, type PhpValue } from '../plugin/php.js';
import {
  COMPONENT_RE,
  isValidPluginName,
  pluginType,
  splitComponent,
  typeExistsIn,
} from '../plugin/plugintypes.js';
import { MATURITY, VERSION_FIELDS, type VersionField } from '../plugin/version-file.js';
import type { CheckContext, CheckFamily, RuleMeta } from './types.js';

const rule = (r: RuleMeta): RuleMeta => r;

const RULES = {
  legacyModule: rule({
    id: 'version/legacy-module-variable',
    severity: 'error',
    title: 'version.php uses $module instead of $plugin',
    why: 'Since Moodle 3.0 the installer refuses plugins whose version.php sets $module (“Unsupported $module syntax detected in version.php”).',
    fix: 'Replace every $module-> in version.php with $plugin->.',
  }),
  componentMissing: rule({
    id: 'version/component-missing',
    severity: 'error',
    title: '$plugin->component is not declared',
    why: 'Moodle and the Plugins directory identify the plugin by its component; without it the plugin cannot be validated or installed from a ZIP.',
    fix: "Add $plugin->component = '<type>_<name>'; to version.php.",
  }),
  componentInvalid: rule({
    id: 'version/component-invalid',
    severity: 'error',
    title: '$plugin->component is not a valid frankenstyle name',
    why: 'Moodle only accepts components of the form <type>_<name> in lower-case letters, digits and underscores; anything else is refused.',
    fix: "Use the frankenstyle name, e.g. 'mod_board' or 'local_myplugin'.",
  }),
  componentType: rule({
    id: 'version/component-unknown-type',
    severity: 'error',
    title: 'The plugin type is not one Moodle knows',
    why: 'Moodle installs plugins only into the folders of its plugin types; a component with an unknown type has no install path.',
    fix: 'Use a plugin type from lib/components.json (or, for a subplugin, one from the parent’s db/subplugins.json).',
  }),
  typeRemoved: rule({
    id: 'version/type-not-in-branch',
    severity: 'warning',
    title: 'The plugin type does not exist in some supported branches',
    why: 'The plugin claims support for Moodle branches that do not have its plugin type (added later or removed), so it cannot be installed there.',
    fix: 'Narrow $plugin->supported to the branches that have the type.',
  }),
  pluginName: rule({
    id: 'version/plugin-name',
    severity: 'error',
    title: 'The plugin name is not valid for its type',
    why: 'core_component::is_valid_plugin_name() rejects it: activity module names may not contain underscores, and no name may end in an underscore or contain two in a row.',
    fix: 'Rename the plugin (component, folder and lang file) to a valid name.',
  }),
  directory: rule({
    id: 'version/component-directory',
    severity: 'error',
    title: 'The folder name does not match the component',
    why: 'Moodle derives a plugin’s name from its folder; a subplugin in a folder that differs from its component is refused as misplaced.',
    fix: 'Rename the folder to the plugin name, or fix $plugin->component.',
  }),
  checkoutName: rule({
    id: 'version/checkout-name',
    severity: 'notice',
    title: 'The repository folder names another component',
    why: 'The checkout folder looks like a frankenstyle name that differs from $plugin->component; usually a copy-paste left over from another plugin.',
    fix: 'Check $plugin->component, or rename the folder (moodle-<component> is the usual repository name).',
  }),
  versionMissing: rule({
    id: 'version/version-missing',
    severity: 'error',
    title: '$plugin->version is not declared',
    why: 'Moodle refuses to install a plugin without a version number.',
    fix: 'Add $plugin->version = YYYYMMDDXX; (today’s date and a two-digit counter).',
  }),
  versionFormat: rule({
    id: 'version/version-format',
    severity: 'error',
    title: '$plugin->version is not a YYYYMMDDXX number',
    why: 'Upgrades compare versions numerically; the Plugins directory requires the YYYYMMDDXX form (optionally with decimals) so that every later release is larger.',
    fix: 'Use a number like 2026112300 (date plus a two-digit counter); decimals such as 2026112300.01 are allowed.',
  }),
  versionDate: rule({
    id: 'version/version-date',
    severity: 'warning',
    title: '$plugin->version does not start with a real date',
    why: 'The YYYYMMDD part is read as a date by humans and tools; an impossible date usually hides a typo that makes later versions sort wrongly.',
    fix: 'Use the release date, e.g. 2026112300.',
  }),
  versionFuture: rule({
    id: 'version/version-future',
    severity: 'warning',
    title: '$plugin->version is dated in the future',
    why: 'A version dated ahead forces every later release to be numbered above it; sites that installed it cannot take a correctly dated fix.',
    fix: 'Use today’s date (or the release date) with a counter.',
  }),
  requiresMissing: rule({
    id: 'version/requires-missing',
    severity: 'error',
    title: '$plugin->requires is not declared',
    why: 'The Plugins directory rejects plugins without a minimum Moodle version, and Moodle cannot refuse installation on a too-old site.',
    fix: 'Add $plugin->requires = <Moodle version>; e.g. 2024100700 for Moodle 4.5.',
  }),
  requiresFormat: rule({
    id: 'version/requires-format',
    severity: 'error',
    title: '$plugin->requires is not a Moodle version number',
    why: 'Moodle compares it with its own $version (YYYYMMDDXX); any other value makes the dependency check meaningless or fatal.',
    fix: 'Use the $version of the oldest Moodle release you support, e.g. 2022112800 for 4.1.',
  }),
  requiresAbove: rule({
    id: 'version/requires-above-version',
    severity: 'warning',
    title: '$plugin->requires is newer than the plugin’s own version',
    why: 'A plugin cannot require a Moodle released after the plugin itself; one of the two numbers is wrong.',
    fix: 'Check both numbers: requires is the Moodle $version, version is the plugin’s release date.',
  }),
  supportedFormat: rule({
    id: 'version/supported-format',
    severity: 'error',
    title: '$plugin->supported is not a [min, max] pair of branches',
    why: 'Moodle throws “Incorrect syntax in plugin supported declaration” for anything but an array of two branch numbers.',
    fix: 'Use $plugin->supported = [401, 405]; (branch numbers: 401 = 4.1, 500 = 5.0), min ≤ max.',
  }),
  supportedRequires: rule({
    id: 'version/supported-requires',
    severity: 'warning',
    title: '$plugin->supported disagrees with $plugin->requires',
    why: 'The plugin claims branches that $plugin->requires excludes (or the other way round), so the Plugins directory and sites show a wrong compatibility.',
    fix: 'Make supported[0] the branch of the Moodle version in $plugin->requires.',
  }),
  incompatibleFormat: rule({
    id: 'version/incompatible-format',
    severity: 'error',
    title: '$plugin->incompatible is not a branch number',
    why: 'Moodle throws “Incorrect syntax in plugin incompatible declaration” unless it is one branch number.',
    fix: 'Use $plugin->incompatible = 500; (the first branch the plugin does not work on).',
  }),
  incompatibleRange: rule({
    id: 'version/incompatible-range',
    severity: 'warning',
    title: '$plugin->incompatible excludes every supported branch',
    why: 'With incompatible at or below the oldest supported branch the plugin can be installed nowhere it claims to work.',
    fix: 'Set incompatible above supported[1], or remove it.',
  }),
  maturityMissing: rule({
    id: 'version/maturity-missing',
    severity: 'warning',
    title: '$plugin->maturity is not declared',
    why: 'Without it Moodle treats the plugin as of unknown maturity and admins get no stability signal; the Plugins directory expects it.',
    fix: 'Add $plugin->maturity = MATURITY_STABLE; (or ALPHA, BETA, RC).',
  }),
  maturityInvalid: rule({
    id: 'version/maturity-invalid',
    severity: 'error',
    title: '$plugin->maturity is not a MATURITY_* constant',
    why: 'An undefined constant is a fatal error in PHP 8, and other values are not maturity levels Moodle knows.',
    fix: 'Use MATURITY_ALPHA, MATURITY_BETA, MATURITY_RC or MATURITY_STABLE.',
  }),
  maturityLiteral: rule({
    id: 'version/maturity-literal',
    severity: 'notice',
    title: '$plugin->maturity is a bare number',
    why: 'The value works, but readers and tools expect the named constant.',
    fix: 'Use the MATURITY_* constant with that value.',
  }),
  releaseMissing: rule({
    id: 'version/release-missing',
    severity: 'warning',
    title: '$plugin->release is not declared',
    why: 'Admins and the Plugins directory show the human-readable release; without it they see only a number.',
    fix: "Add $plugin->release = '1.2.0'; (any human-readable string).",
  }),
  dependencies: rule({
    id: 'version/dependencies-invalid',
    severity: 'error',
    title: '$plugin->dependencies is malformed',
    why: 'Moodle reads it as component => version (or ANY_VERSION); other shapes break the dependency check during install.',
    fix: "Use $plugin->dependencies = ['mod_forum' => 2024100700, 'local_x' => ANY_VERSION];",
  }),
  unknownField: rule({
    id: 'version/unknown-field',
    severity: 'notice',
    title: 'version.php sets a field Moodle does not read',
    why: 'Moodle ignores it; it is usually a typo of a real field (e.g. $plugin->requiers), which then silently has no effect.',
    fix: 'Remove it, or correct the spelling.',
  }),
  deprecatedField: rule({
    id: 'version/deprecated-field',
    severity: 'warning',
    title: 'version.php sets a deprecated field',
    why: '$plugin->cron was replaced by scheduled tasks (db/tasks.php); Moodle ignores it and shows a debugging message.',
    fix: 'Remove it and declare a scheduled task in db/tasks.php.',
  }),
  duplicateField: rule({
    id: 'version/duplicate-field',
    severity: 'warning',
    title: 'A version.php field is set twice',
    why: 'Only the last assignment counts, so the first one is misleading and often stale.',
    fix: 'Keep one assignment per field.',
  }),
} as const;

const TEN_DIGITS = /^\d{10}(\.\d+)?$/;

function numberText(v: PhpValue): string | undefined {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return v;
  return undefined;
}

function dateOf(version: number): Date | undefined {
  const s = String(Math.floor(version));
  const y = Number(s.slice(0, 4));
  const m = Number(s.slice(4, 6));
  const d = Number(s.slice(6, 8));
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
    ? date
    : undefined;
}

function at(f: VersionField): { file: string; line: number; column: number } {
  return { file: 'version.php', line: f.line, column: f.column };
}

function checkComponent(ctx: CheckContext): void {
  const { plugin } = ctx;
  const f = plugin.version.fields.component;
  if (!f) {
    ctx.report(
      RULES.componentMissing.id,
      { file: 'version.php' },
      'version.php does not set $plugin->component.',
    );
    return;
  }
  if (typeof f.value !== 'string' || !COMPONENT_RE.test(f.value)) {
    ctx.report(
      RULES.componentInvalid.id,
      at(f),
      `$plugin->component is ${f.source || 'not a string'}, which is not a frankenstyle <type>_<name> component.`,
    );
    return;
  }
  const split = splitComponent(f.value);
  if (!split) return;
  if (plugin.isSubplugin) {
    const expected = plugin.typeInfo?.type;
    if (expected !== undefined && split.type !== expected) {
      ctx.report(
        RULES.componentType.id,
        at(f),
        `$plugin->component '${f.value}' has type '${split.type}', but this folder holds '${expected}' subplugins (db/subplugins.json of ${plugin.parent?.component ?? 'the parent'}).`,
        `Use '${expected}_${path.basename(plugin.root)}'.`,
      );
    }
    const folder = path.basename(plugin.root);
    if (folder !== split.name) {
      ctx.report(
        RULES.directory.id,
        at(f),
        `$plugin->component '${f.value}' does not match its folder '${folder}'.`,
        `Moodle would install it as '${split.type}_${folder}'.`,
      );
    }
  } else {
    const info = pluginType(split.type);
    if (!info) {
      ctx.report(
        RULES.componentType.id,
        at(f),
        `'${split.type}' in $plugin->component '${f.value}' is not a Moodle plugin type.`,
        'Known types include mod, block, local, tool, auth, enrol, filter, format, qtype, report, theme, repository.',
      );
    } else {
      const missing = plugin.targetBranches().filter((b) => !typeExistsIn(info, b.branch));
      if (missing.length > 0) {
        ctx.report(
          RULES.typeRemoved.id,
          at(f),
          `Plugin type '${split.type}' does not exist in Moodle ${missing.map((b) => b.name).join(', ')}, which $plugin->supported includes.`,
        );
      }
    }
    const folder = path.basename(plugin.root).replace(/^moodle-/, '');
    if (COMPONENT_RE.test(folder) && pluginType(folder.split('_')[0] ?? '') && folder !== f.value) {
      ctx.report(
        RULES.checkoutName.id,
        at(f),
        `The folder '${path.basename(plugin.root)}' names '${folder}', but $plugin->component is '${f.value}'.`,
      );
    }
  }
  if (!isValidPluginName(split.type, split.name)) {
    ctx.report(
      RULES.pluginName.id,
      at(f),
      `'${split.name}' is not a valid ${split.type} plugin name${split.type === 'mod' ? ' (activity modules may not use underscores)' : ''}.`,
    );
  }
}

function checkVersionNumber(ctx: CheckContext, now: Date): void {
  const f = ctx.plugin.version.fields.version;
  if (!f) {
    ctx.report(
      RULES.versionMissing.id,
      { file: 'version.php' },
      'version.php does not set $plugin->version.',
    );
    return;
  }
  const txt = numberText(f.value);
  if (txt === undefined || !TEN_DIGITS.test(txt)) {
    ctx.report(
      RULES.versionFormat.id,
      at(f),
      `$plugin->version is ${f.source || describe(f.value)}, not a YYYYMMDDXX number.`,
      'Use e.g. 2026112300.',
    );
    return;
  }
  if (typeof f.value === 'string') {
    ctx.report(
      RULES.versionFormat.id,
      at(f),
      `$plugin->version is the string ${f.source}; write it as a number.`,
    );
  }
  const date = dateOf(Number(txt));
  if (!date) {
    ctx.report(
      RULES.versionDate.id,
      at(f),
      `$plugin->version ${txt} does not start with a valid YYYYMMDD date.`,
    );
  } else if (date.getTime() > now.getTime() + 86_400_000) {
    ctx.report(
      RULES.versionFuture.id,
      at(f),
      `$plugin->version ${txt} is dated ${date.toISOString().slice(0, 10)}, after today (${now.toISOString().slice(0, 10)}).`,
    );
  }
}

function checkRequiresAndBranches(ctx: CheckContext): void {
  const { fields } = ctx.plugin.version;
  const requires = fields.requires;
  let requiresBranch: number | undefined;
  if (!requires) {
    if (!ctx.plugin.isSubplugin) {
      ctx.report(
        RULES.requiresMissing.id,
        { file: 'version.php' },
        'version.php does not set $plugin->requires.',
      );
    }
  } else {
    const txt = numberText(requires.value);
    if (txt === undefined || !TEN_DIGITS.test(txt)) {
      ctx.report(
        RULES.requiresFormat.id,
        at(requires),
        `$plugin->requires is ${requires.source || describe(requires.value)}, not a Moodle version number (YYYYMMDDXX).`,
      );
    } else {
      const b = branchForRequires(Number(txt));
      requiresBranch = b?.branch ?? NEWEST_BRANCH.branch + 1;
      const version = numberText(fields.version?.value ?? UNKNOWN);
      if (version !== undefined && TEN_DIGITS.test(version) && Number(txt) > Number(version)) {
        ctx.report(
          RULES.requiresAbove.id,
          at(requires),
          `$plugin->requires ${txt} is newer than $plugin->version ${version}.`,
        );
      }
    }
  }

  const supported = fields.supported;
  let range: [number, number] | undefined;
  if (supported) {
    const v = supported.value;
    const pair = isPhpArray(v) ? v.entries.map((e) => e.value) : [];
    const [min, max] = pair;
    const ok =
      pair.length === 2 &&
      typeof min === 'number' &&
      typeof max === 'number' &&
      isBranchShaped(min) &&
      (max === -1 || isBranchShaped(max));
    if (!ok) {
      ctx.report(
        RULES.supportedFormat.id,
        at(supported),
        `$plugin->supported is ${supported.source || 'not an array'}; it must be [minbranch, maxbranch], e.g. [401, 405].`,
      );
    } else if (max !== -1 && min > max) {
      ctx.report(
        RULES.supportedFormat.id,
        at(supported),
        `$plugin->supported [${min}, ${max}] has min above max.`,
      );
    } else {
      range = [min, max];
    }
  }
  if (range && requiresBranch !== undefined) {
    const [min, max] = range;
    if (min < requiresBranch) {
      ctx.report(
        RULES.supportedRequires.id,
        at(supported!),
        `$plugin->supported starts at ${branchName(min)}, but $plugin->requires ${requires ? describe(requires.value) : ''} needs Moodle ${requiresBranch > NEWEST_BRANCH.branch ? `newer than ${NEWEST_BRANCH.name}` : branchName(requiresBranch)} or later.`,
        `Use supported [${requiresBranch}, ${max}] or lower requires.`,
      );
    } else if (max !== -1 && max < requiresBranch) {
      ctx.report(
        RULES.supportedRequires.id,
        at(supported!),
        `$plugin->supported ends at ${branchName(max)}, older than the Moodle $plugin->requires asks for.`,
      );
    }
  }

  const incompatible = fields.incompatible;
  if (incompatible) {
    const v = incompatible.value;
    if (typeof v !== 'number' || !isBranchShaped(v)) {
      ctx.report(
        RULES.incompatibleFormat.id,
        at(incompatible),
        `$plugin->incompatible is ${incompatible.source || describe(v)}; it must be one branch number such as 500.`,
      );
    } else {
      const floor = range?.[0] ?? requiresBranch;
      if (floor !== undefined && v <= floor) {
        ctx.report(
          RULES.incompatibleRange.id,
          at(incompatible),
          `$plugin->incompatible ${v} is at or below the oldest branch the plugin supports (${branchName(floor)}).`,
        );
      }
    }
  }
}

function checkMaturityReleaseDeps(ctx: CheckContext): void {
  const { fields } = ctx.plugin.version;
  const maturity = fields.maturity;
  if (!maturity) {
    if (!ctx.plugin.isSubplugin) {
      ctx.report(
        RULES.maturityMissing.id,
        { file: 'version.php' },
        'version.php does not set $plugin->maturity.',
      );
    }
  } else {
    const values = Object.values(MATURITY);
    const src = maturity.source.trim().replace(/^\\/, '');
    if (typeof maturity.value !== 'number' || !values.includes(maturity.value)) {
      ctx.report(
        RULES.maturityInvalid.id,
        at(maturity),
        `$plugin->maturity is ${maturity.source}, not one of ${Object.keys(MATURITY).join(', ')}.`,
      );
    } else if (!(src in MATURITY)) {
      const name = Object.entries(MATURITY).find(([, n]) => n === maturity.value)?.[0] ?? '';
      ctx.report(
        RULES.maturityLiteral.id,
        at(maturity),
        `$plugin->maturity is ${src}; write ${name}.`,
      );
    }
  }
  if (!fields.release && !ctx.plugin.isSubplugin) {
    ctx.report(
      RULES.releaseMissing.id,
      { file: 'version.php' },
      'version.php does not set $plugin->release.',
    );
  }
  const deps = fields.dependencies;
  if (deps) {
    if (!isPhpArray(deps.value)) {
      ctx.report(
        RULES.dependencies.id,
        at(deps),
        `$plugin->dependencies is ${deps.source}, not an array.`,
      );
      return;
    }
    for (const e of deps.value.entries) {
      const where = {
        file: 'version.php',
        line: (e.keyNode ?? e.node).loc?.start.line ?? deps.line,
      };
      if (typeof e.key !== 'string' || !COMPONENT_RE.test(e.key)) {
        ctx.report(
          RULES.dependencies.id,
          where,
          `Dependency key ${JSON.stringify(e.key)} is not a frankenstyle component.`,
          "Keys are components such as 'mod_forum'.",
        );
        continue;
      }
      if (e.key === ctx.plugin.component) {
        ctx.report(
          RULES.dependencies.id,
          where,
          `The plugin lists itself (${e.key}) as a dependency.`,
        );
      }
      const val = e.value;
      const ok = val === 'any' || (typeof val === 'number' && TEN_DIGITS.test(String(val)));
      if (!ok && val !== UNKNOWN) {
        ctx.report(
          RULES.dependencies.id,
          where,
          `Dependency ${e.key} requires version ${describe(val)}; use a YYYYMMDDXX version or ANY_VERSION.`,
        );
      }
    }
  }
}

function checkAssignments(ctx: CheckContext): void {
  const { version } = ctx.plugin;
  const seen = new Map<string, number>();
  for (const a of version.assignments) {
    const line = a.statement.loc?.start.line ?? 1;
    if (a.variable !== version.variable) continue;
    const name = String(a.target);
    if (name === 'cron') {
      ctx.report(
        RULES.deprecatedField.id,
        { file: 'version.php', line },
        '$plugin->cron is deprecated and ignored.',
      );
    } else if (!(VERSION_FIELDS as readonly string[]).includes(name)) {
      ctx.report(
        RULES.unknownField.id,
        { file: 'version.php', line },
        `$plugin->${name} is not a field Moodle reads.`,
      );
    }
    const first = seen.get(name);
    if (first !== undefined) {
      ctx.report(
        RULES.duplicateField.id,
        { file: 'version.php', line },
        `$plugin->${name} is set again (first on line ${first}); only this last value counts.`,
      );
    } else seen.set(name, line);
  }
}

export function makeVersionFamily(now: () => Date = () => new Date()): CheckFamily {
  return {
    family: 'version',
    rules: Object.values(RULES),
    run(ctx) {
      const { plugin } = ctx;
      // A top-level plugin without version.php is bad input (exit 2); subplugin folders without
      // one are reported by the subplugins family. A syntax error is the php family's.
      if (!plugin.has('version.php') || plugin.version.syntaxError) return;
      if (plugin.version.variable === 'module') {
        const first = plugin.version.assignments[0];
        ctx.report(
          RULES.legacyModule.id,
          { file: 'version.php', line: first?.statement.loc?.start.line ?? 1 },
          'version.php sets $module->...; Moodle 3.0+ refuses this.',
        );
      }
      checkComponent(ctx);
      checkVersionNumber(ctx, now());
      checkRequiresAndBranches(ctx);
      checkMaturityReleaseDeps(ctx);
      checkAssignments(ctx);
    },
  };
}

export const versionFamily = makeVersionFamily();
