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
import type { CheckContext, CheckFamily } from './types.js';
import { VERSION_RULES as RULES } from './version-rules.js';

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
