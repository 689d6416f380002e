// Over 400 lines: one family, one check per plugin type (mod, filter, format, repository, …),
// read top to bottom; its rule table lives in requirements-rules.ts, its finders in requirements-find.ts.
import { declaredArray, stringKeys, type DeclaredArray } from '../plugin/db-arrays.js';
import { calls, classLikes, position } from '../plugin/php.js';
import type { Plugin } from '../plugin/plugin.js';
import {
  classWhere,
  featureFiles,
  findFunction,
  functionsIn,
  hasTopLevelCall,
  installXmlTables,
  tagsBeforeFeature,
} from './requirements-find.js';
import { REQUIREMENTS_RULES as RULES } from './requirements-rules.js';
import type { CheckContext, CheckFamily, Location } from './types.js';

const CI = 'moodle-plugin-ci validate';

type RuleId = (typeof RULES)[number]['id'];
type Report = (id: RuleId, where: Location, message: string, hint?: string) => void;

interface Ctx {
  plugin: Plugin;
  component: string;
  type: string;
  name: string;
  report: Report;
  /** Where "file X is missing" findings point: the component line of version.php. */
  anchor: Location;
}

export const requirementsFamily: CheckFamily = {
  family: 'requirements',
  rules: RULES,
  run(ctx: CheckContext) {
    const { plugin } = ctx;
    const { component, type, name } = plugin;
    if (!component || !type || !name) return; // The version family reports it.
    const comp = plugin.version.fields.component;
    const c: Ctx = {
      plugin,
      component,
      type,
      name,
      report: (id, where, message, hint) => {
        ctx.report(id, where, message, hint);
      },
      anchor: comp ? { file: 'version.php', line: comp.line, column: comp.column } : {},
    };
    switch (type) {
      case 'mod':
        checkMod(c);
        break;
      case 'auth':
        checkGeneric(c);
        if (requireFile(c, 'auth.php', 'Moodle loads the authentication class from it.')) {
          requireClass(c, 'auth.php', `auth_plugin_${name}`);
        }
        break;
      case 'block':
        checkGeneric(c);
        if (requireFile(c, `${component}.php`, 'Moodle loads the block class from it.')) {
          requireClass(c, `${component}.php`, component);
        }
        if (!plugin.has('db/access.php')) {
          c.report(
            'requirements/missing-addinstance-capability',
            c.anchor,
            `${component} has no db/access.php, so block/${name}:addinstance and block/${name}:myaddinstance are undefined and anyone who can edit a page may add the block; ${CI} requires the file.`,
            `Create db/access.php defining block/${name}:addinstance and block/${name}:myaddinstance.`,
          );
        }
        break;
      case 'filter':
        checkGeneric(c);
        checkFilter(c);
        break;
      case 'format':
        checkGeneric(c);
        requireFile(
          c,
          'format.php',
          'course/view.php includes it for every course in this format.',
        );
        checkFormatRenderer(c);
        break;
      case 'repository':
        checkGeneric(c);
        checkRepository(c);
        break;
      case 'theme':
        checkGeneric(c);
        requireFile(
          c,
          'config.php',
          'Moodle reads the theme definition from it; without it the theme cannot be selected.',
        );
        break;
      default:
        checkGeneric(c);
    }
  },
};

// ---- Per type ----------------------------------------------------------------------------------

function checkGeneric(c: Ctx): void {
  requireUpgradeFunction(c, `xmldb_${c.component}_upgrade`);
  const prefixes = c.type === 'qtype' ? ['qtype_', 'question_'] : [c.component];
  checkTablePrefixes(c, prefixes);
  checkBehatTags(c);
}

const WHEN = {
  add_instance: 'added',
  update_instance: 'updated',
  delete_instance: 'deleted',
} as const;

function checkMod(c: Ctx): void {
  const { plugin, name, component } = c;
  requireFile(
    c,
    'lib.php',
    'Moodle includes it for every activity module and calls its functions.',
  );
  requireFile(
    c,
    'mod_form.php',
    'course/modedit.php loads the settings form from it when the activity is added or edited.',
  );
  requireFile(c, 'view.php', 'every link to an instance of the activity points to it.');
  requireFile(c, 'index.php', 'the course index of activities of this type links to it.');
  requireFile(c, 'db/install.xml', `Moodle needs the module's table ${name} for every instance.`);

  if (plugin.has('lib.php')) {
    const libFns = functionsIn(c.plugin, 'lib.php');
    if (libFns) {
      for (const fn of ['add_instance', 'update_instance', 'delete_instance'] as const) {
        const full = `${name}_${fn}`;
        const inCi = fn !== 'delete_instance';
        const where = findFunction(c.plugin, 'lib.php', full, libFns);
        if (where === 'top') continue;
        if (where !== 'none') {
          if (inCi) notTopLevel(c, 'lib.php', `function ${full}()`, where);
          continue;
        }
        c.report(
          'requirements/missing-function',
          { file: 'lib.php' },
          `lib.php does not declare ${full}(); Moodle calls it when an instance is ${WHEN[fn]}, which then fails with a fatal error.` +
            (inCi ? ` ${CI} fails too.` : ''),
          `Declare function ${full}() in lib.php.`,
        );
      }
    }
  }
  requireUpgradeFunction(c, `xmldb_${name}_upgrade`);

  if (!plugin.has('db/access.php')) {
    c.report(
      'requirements/missing-addinstance-capability',
      c.anchor,
      `${component} has no db/access.php, so mod/${name}:addinstance is undefined: every editing teacher can add the activity and nobody can restrict it; ${CI} requires the file.`,
      `Create db/access.php defining mod/${name}:addinstance.`,
    );
  } else {
    const caps = declaredArray(plugin, 'db/access.php', 'capabilities');
    if (caps && !hasKey(caps, `mod/${name}:addinstance`)) {
      c.report(
        'requirements/missing-addinstance-capability',
        { file: 'db/access.php', ...position(caps.statement) },
        `db/access.php does not define mod/${name}:addinstance: every editing teacher can add the activity and nobody can restrict it; ${CI} fails too.`,
        `Add 'mod/${name}:addinstance' to $capabilities, with 'clonepermissionsfrom' => 'moodle/course:manageactivities'.`,
      );
    }
  }

  const tables = installXmlTables(plugin);
  if (tables && !tables.names.some((t) => t.name.toLowerCase() === name)) {
    c.report(
      'requirements/missing-table',
      { file: 'db/install.xml', line: tables.tablesLine },
      `db/install.xml has no table named ${name}; Moodle stores the module's instances there.`,
      `Add a table named ${name} to db/install.xml.`,
    );
  }
  checkTablePrefixes(c, [name, component]);
  checkBehatTags(c);
}

function checkFilter(c: Ctx): void {
  const { plugin, name } = c;
  const branches = plugin.targetBranches().map((b) => b.branch);
  const old = branches.some((b) => b <= 404);
  const fresh = branches.length === 0 || branches.some((b) => b >= 405);
  const tf = 'classes/text_filter.php';
  const hasTf = plugin.has(tf);
  const hasLegacyFile = plugin.has('filter.php');
  const legacyAst = hasLegacyFile ? plugin.php('filter.php')?.ast : undefined;
  if (hasLegacyFile && !legacyAst) return; // Syntax error: the php family reports it.
  const tfAst = hasTf ? plugin.php(tf)?.ast : undefined;
  if (hasTf && !tfAst) return;

  const legacyClass = legacyAst ? classWhere(legacyAst, `filter_${name}`) : 'none';
  const anyAlias = legacyAst ? calls(legacyAst, ['class_alias']).length > 0 : false;
  const topAlias = legacyAst ? hasTopLevelCall(legacyAst, 'class_alias') : false;
  const legacyWorks = legacyClass !== 'none' || anyAlias;
  const newClass = tfAst ? classWhere(tfAst, `filter_${name}\\text_filter`) : 'none';

  const legacyMissing =
    old && !requireFile(c, 'filter.php', 'Moodle 4.4 and older load filters only from it.');
  if (old && !legacyMissing) {
    if (!legacyWorks) {
      c.report(
        'requirements/missing-class',
        { file: 'filter.php' },
        `filter.php neither declares filter_${name} nor aliases it with class_alias(); Moodle 4.4 and older, which this plugin supports, never run the filter.`,
        hasTf
          ? `Make filter.php: class_alias(\\filter_${name}\\text_filter::class, \\filter_${name}::class);`
          : `Declare class filter_${name} extends moodle_text_filter in filter.php.`,
      );
    } else if (!hasTf && legacyClass === 'nested') {
      notTopLevel(c, 'filter.php', `class filter_${name}`, 'nested');
    }
  }
  if (fresh) {
    if (!hasTf) {
      if (legacyWorks) {
        c.report(
          'requirements/filter-legacy-class',
          { file: 'filter.php' },
          `${c.component} has no ${tf}: Moodle 4.5 and later, which this plugin supports, load filter_${name} from filter.php only as a deprecated fallback; ${CI} on 4.5+ requires ${tf}.`,
          `Move the filter to class filter_${name}\\text_filter in ${tf} and keep filter.php as a class_alias().`,
        );
      } else {
        c.report(
          'requirements/missing-file',
          c.anchor,
          `${c.component} has no ${tf} (nor a legacy filter.php class); Moodle 4.5 and later, which this plugin supports, never run the filter.`,
          `Create ${tf} declaring class filter_${name}\\text_filter.`,
        );
      }
    }
  }
  if (hasTf && newClass !== 'top') {
    if (newClass === 'nested') notTopLevel(c, tf, `class filter_${name}\\text_filter`, 'nested');
    else if (fresh && !legacyWorks) {
      c.report(
        'requirements/missing-class',
        { file: tf },
        `${tf} does not declare filter_${name}\\text_filter (namespace filter_${name}; class text_filter); Moodle 4.5 and later never run the filter.`,
        `Declare namespace filter_${name}; class text_filter extends \\core_filters\\text_filter in ${tf}.`,
      );
    } else if (fresh) {
      c.report(
        'requirements/filter-legacy-class',
        { file: tf },
        `${tf} does not declare filter_${name}\\text_filter, so Moodle 4.5+ falls back to the deprecated class in filter.php; ${CI} fails too.`,
        `Declare namespace filter_${name}; class text_filter in ${tf}.`,
      );
    }
  }
  if (hasTf && hasLegacyFile && !topAlias && !(old && !legacyWorks)) {
    c.report(
      'requirements/filter-class-alias',
      { file: 'filter.php' },
      `filter.php has no file-level class_alias() call although ${tf} exists; ${CI} fails.`,
      `Replace the contents of filter.php with: class_alias(\\filter_${name}\\text_filter::class, \\filter_${name}::class);`,
    );
  }
}

function checkFormatRenderer(c: Ctx): void {
  const { plugin, name } = c;
  if (!plugin.has('renderer.php')) return; // Optional for moodle-plugin-ci and for Moodle 4.0+.
  const ast = plugin.php('renderer.php')?.ast;
  if (!ast) return;
  const where = classWhere(ast, `format_${name}_renderer`);
  if (where === 'top') return;
  if (where === 'nested') {
    notTopLevel(c, 'renderer.php', `class format_${name}_renderer`, 'nested');
    return;
  }
  const namespaced = plugin.has('classes/output/renderer.php');
  c.report(
    'requirements/format-renderer',
    { file: 'renderer.php' },
    `renderer.php does not declare format_${name}_renderer; ` +
      (namespaced
        ? `Moodle uses classes/output/renderer.php, but ${CI} fails on renderer.php.`
        : 'Moodle falls back to a legacy renderer with a debugging message, and ' + `${CI} fails.`),
    namespaced
      ? 'Delete renderer.php or declare the class in it.'
      : `Declare class format_${name}_renderer in renderer.php.`,
  );
}

function checkRepository(c: Ctx): void {
  const { plugin, name, component } = c;
  if (requireFile(c, 'lib.php', 'Moodle loads the repository class from it.')) {
    const ast = plugin.php('lib.php')?.ast;
    if (ast) {
      const cls = classLikes(ast).find(
        (k) => k.kind === 'class' && k.fqn.toLowerCase() === component,
      );
      if (!cls) {
        c.report(
          'requirements/missing-class',
          { file: 'lib.php' },
          `lib.php does not declare class ${component}; Moodle cannot create the repository.`,
          `Declare class ${component} extends repository in lib.php.`,
        );
      } else if (!cls.extends) {
        c.report(
          'requirements/missing-class',
          { file: 'lib.php', ...position(cls.node) },
          `Class ${component} in lib.php does not extend repository; Moodle calls the repository API on it and fails.`,
          `Declare it as class ${component} extends repository.`,
        );
      } else if (classWhere(ast, component) === 'nested') {
        notTopLevel(c, 'lib.php', `class ${component}`, 'nested');
      }
    }
  }
  const cap = `repository/${name}:view`;
  if (!plugin.has('db/access.php')) {
    c.report(
      'requirements/missing-capability',
      c.anchor,
      `${component} has no db/access.php, so ${cap} is undefined and Moodle shows the repository to nobody.`,
      `Create db/access.php defining ${cap}.`,
    );
    return;
  }
  const caps = declaredArray(plugin, 'db/access.php', 'capabilities');
  if (caps && !hasKey(caps, cap)) {
    c.report(
      'requirements/missing-capability',
      { file: 'db/access.php', ...position(caps.statement) },
      `db/access.php does not define ${cap}; has_capability() is false for an undefined capability, so nobody can use the repository.`,
      `Add '${cap}' to $capabilities.`,
    );
  }
}

// ---- Building blocks ---------------------------------------------------------------------------

/** Reports a missing required file; returns whether it exists. */
function requireFile(c: Ctx, rel: string, why: string): boolean {
  if (c.plugin.has(rel) || c.plugin.hasDir(rel)) return true;
  c.report(
    'requirements/missing-file',
    c.anchor,
    `${c.component} has no ${rel}; ${why}`,
    `Create ${rel}.`,
  );
  return false;
}

/**
 * db/upgrade.php's function: a missing one is db/upgrade-function-missing (the db family); here
 * only the case Moodle accepts but moodle-plugin-ci validate does not see.
 */
function requireUpgradeFunction(c: Ctx, fn: string): void {
  const rel = 'db/upgrade.php';
  if (!c.plugin.has(rel)) return;
  const fns = functionsIn(c.plugin, rel);
  if (!fns) return;
  const where = findFunction(c.plugin, rel, fn, fns);
  if (where !== 'top' && where !== 'none') notTopLevel(c, rel, `function ${fn}()`, where);
}

function notTopLevel(
  c: Ctx,
  rel: string,
  what: string,
  where: 'nested' | { included: string },
): void {
  c.report(
    'requirements/not-top-level',
    { file: rel },
    where === 'nested'
      ? `${rel} declares ${what} inside a condition; Moodle finds it, but ${CI} only looks at file-level declarations and reports it missing.`
      : `${what} is declared in ${where.included}, which ${rel} includes; Moodle finds it, but ${CI} only looks in ${rel} and reports it missing.`,
    `Declare ${what} unconditionally at the top level of ${rel}.`,
  );
}

function requireClass(c: Ctx, rel: string, fqn: string): void {
  const ast = c.plugin.php(rel)?.ast;
  if (!ast) return;
  const where = classWhere(ast, fqn);
  if (where === 'top') return;
  if (where === 'nested') {
    notTopLevel(c, rel, `class ${fqn}`, 'nested');
    return;
  }
  c.report(
    'requirements/missing-class',
    { file: rel },
    `${rel} does not declare class ${fqn}; Moodle instantiates it by that name. ${CI} fails too.`,
    `Declare class ${fqn} (not namespaced) in ${rel}.`,
  );
}

function hasKey(decl: DeclaredArray, key: string): boolean {
  const wanted = key.toLowerCase();
  return stringKeys(decl).some((k) => k.key.toLowerCase() === wanted);
}

function checkTablePrefixes(c: Ctx, prefixes: string[]): void {
  const tables = installXmlTables(c.plugin);
  if (!tables) return;
  const lower = prefixes.map((p) => p.toLowerCase());
  for (const t of tables.names) {
    if (lower.some((p) => t.name.toLowerCase().startsWith(p))) continue;
    c.report(
      'requirements/table-prefix',
      { file: 'db/install.xml', line: t.line, column: t.column },
      `Table ${t.name} in db/install.xml does not start with ${prefixes.join(' or ')}.`,
      `Rename it to ${prefixes[0]!}${prefixes[0]!.endsWith('_') ? '' : '_'}${t.name}, or similar.`,
    );
  }
}

// ---- Behat -------------------------------------------------------------------------------------

/**
 * Feature files under tests/behat, as moodle-plugin-ci finds them: anywhere below the plugin
 * directory, subplugins included (their features run with the parent's tags), so only the top
 * plugin checks them.
 */
function checkBehatTags(c: Ctx): void {
  if (c.plugin.isSubplugin) return;
  const features = featureFiles(c.plugin);
  const wanted = [`@${c.type}`, `@${c.component}`];
  for (const { rel, read } of features) {
    const source = read();
    if (source === undefined) continue;
    const { tags, featureLine } = tagsBeforeFeature(source);
    const missing = wanted.filter((t) => !tags.has(t.toLowerCase()));
    if (missing.length === 0) continue;
    c.report(
      'requirements/behat-tags',
      { file: rel, line: featureLine },
      `${rel} lacks the tag${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} before Feature:; runs filtered by the plugin's tags skip it and ${CI} fails.`,
      `Add "${wanted.join(' ')}" on a line above Feature:.`,
    );
  }
}
