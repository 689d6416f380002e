import { APIS_SINCE, isAllowedLevel2 } from '../plugin/apis.js';
import { NEWEST_BRANCH } from '../plugin/branches.js';
import {
  calls,
  child,
  children,
  classLikes,
  evaluate,
  topLevelStatements,
  position,
  text,
  type ClassLike,
  type PhpNode,
} from '../plugin/php.js';
import type { Plugin } from '../plugin/plugin.js';
import type { CheckContext, CheckFamily, RuleMeta } from './types.js';

/**
 * Moodle's class autoloader (core_component::load_classes) maps every `classes/a/b/c.php` to the
 * class `<component>\a\b\c`, and a file directly in classes/ also to the legacy global name
 * `<component>_c`. A class declared under any other name in that file is never found.
 */
export const CLASSES_RULES: readonly RuleMeta[] = [
  {
    id: 'classes/namespace-mismatch',
    severity: 'error',
    title: 'Class namespace does not match its path under classes/',
    why: 'Moodle\'s autoloader finds `classes/foo/bar.php` only as `<component>\\foo\\bar` (and `classes/bar.php` as `<component>\\bar` or `<component>_bar`). A class in another namespace is never autoloaded: code that uses it fails with "Class not found".',
    fix: 'Declare the namespace that matches the folder (`namespace <component>\\foo;` for classes/foo/), or move the file to the folder that matches its namespace.',
  },
  {
    id: 'classes/name-mismatch',
    severity: 'error',
    title: 'Class name does not match its file name',
    why: "Moodle's autoloader derives the class name from the file name: `classes/foo/bar.php` is loaded only when `<component>\\foo\\bar` is requested. A class named otherwise is never autoloaded.",
    fix: 'Rename the class or the file so they match (the file is the class name plus `.php`).',
  },
  {
    id: 'classes/multiple-classes',
    severity: 'warning',
    title: 'More than one class in a file under classes/',
    why: 'The autoloader maps one class name to each file. The other classes, interfaces, traits or enums in the file exist only after something loads the first one, so using them first fails with "Class not found", depending on load order.',
    fix: 'Move each extra class, interface, trait or enum to its own file named after it.',
  },
  {
    id: 'classes/no-class',
    severity: 'warning',
    title: 'File under classes/ declares no class',
    why: 'Files under classes/ are only ever included by the autoloader when the class named after the file is requested. A file of functions or statements there is never loaded automatically.',
    fix: 'Move functions to lib.php or locallib.php (or make them static methods of a class named after the file).',
  },
  {
    id: 'classes/not-autoloadable',
    severity: 'warning',
    title: 'Class under classes/ that only works when required by hand',
    why: 'The class\'s namespace or name does not match its path, so Moodle\'s autoloader cannot find it; the plugin require()s the file explicitly, so it works today, but any code that uses the class without that require fails with "Class not found".',
    fix: 'Give the class the namespace and name its path implies (and drop the require), or move the file out of classes/.',
  },
  {
    id: 'classes/level2-namespace',
    severity: 'notice',
    title: 'Level-2 namespace is not an API Moodle allows there',
    why: "Moodle's coding style says the first namespace level after the component must be a core API listed in lib/apis.json with allowedlevel2 and allowedspread, or `local`. Nothing breaks at run time, but other names may later clash with new core APIs and reviewers ask for `local\\`.",
    fix: 'Move the classes under `classes/local/<name>/` (namespace `<component>\\local\\<name>`) or under the matching core API folder.',
  },
];

const FUNCTION_ONLY_KINDS = new Set(['class', 'interface', 'trait', 'enum']);

/**
 * Basenames of PHP files that some other file of the plugin names in a quoted path
 * (`require_once(__DIR__ . '/foo.php')`), with the files naming them; built once per plugin.
 */
const pathMentions = new WeakMap<Plugin, Map<string, Set<string>>>();
function requiredByHand(plugin: Plugin, rel: string): boolean {
  let index = pathMentions.get(plugin);
  if (!index) {
    index = new Map();
    for (const f of plugin.files) {
      if (!f.endsWith('.php')) continue;
      for (const m of (plugin.text(f) ?? '').matchAll(/\/([^/'"\s]+\.php)['"]/g)) {
        const set = index.get(m[1]!) ?? new Set<string>();
        set.add(f);
        index.set(m[1]!, set);
      }
    }
    pathMentions.set(plugin, index);
  }
  const by = index.get(rel.slice(rel.lastIndexOf('/') + 1));
  return by !== undefined && [...by].some((f) => f !== rel);
}

export const classesFamily: CheckFamily = {
  family: 'classes',
  rules: CLASSES_RULES,
  run(ctx) {
    const component = ctx.plugin.component;
    if (!component) return;
    checkLevel2(ctx, component, ctx.plugin.filesUnder('classes', '.php'));
  },
  checkFile(ctx, rel) {
    const component = ctx.plugin.component;
    if (!component || !rel.startsWith('classes/') || !rel.endsWith('.php')) return;
    checkClassFile(ctx, component, rel);
  },
};

function checkClassFile(ctx: CheckContext, component: string, rel: string): void {
  const ast = ctx.plugin.php(rel)?.ast;
  if (!ast) return; // The php family reports syntax errors.
  const segments = rel.split('/').slice(1);
  const file = segments.pop()!;
  const base = file.slice(0, -'.php'.length);
  // A folder name that is not a PHP identifier cannot be a namespace: such files are not classes.
  if (!segments.every((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s))) return;
  const expectedNs = [component, ...segments].join('\\');
  const accepted = new Set([`${expectedNs}\\${base}`.toLowerCase()]);
  if (segments.length === 0) accepted.add(`${component}_${base}`.toLowerCase());

  // A class declared in both branches of an `if` (one per Moodle version) is still one class.
  const seenFqn = new Set<string>();
  const declared = classLikes(ast).filter((c) => {
    const key = c.fqn.toLowerCase();
    if (!FUNCTION_ONLY_KINDS.has(c.kind) || seenFqn.has(key)) return false;
    seenFqn.add(key);
    return true;
  });
  if (declared.length === 0) {
    // class_alias() shims (deprecated class names) are how Moodle itself keeps old names loadable;
    // a file the plugin requires by hand is loaded, just misplaced; `if (false) { class ... }`
    // files are deliberate stubs for IDEs, never meant to load.
    if (
      calls(ast, ['class_alias']).length > 0 ||
      requiredByHand(ctx.plugin, rel) ||
      hasDeadStubs(ast)
    )
      return;
    ctx.report(
      'classes/no-class',
      { file: rel, line: 1 },
      `${rel} declares no class, interface, trait or enum; the autoloader will never load it.`,
      `Declare ${expectedNs}\\${base} in it, or move its code out of classes/.`,
    );
    return;
  }
  const match = declared.find((c) => accepted.has(c.fqn.toLowerCase()));
  if (match) {
    for (const other of declared) {
      if (other === match) continue;
      ctx.report(
        'classes/multiple-classes',
        { file: rel, ...position(other.node) },
        `${rel} also declares ${other.kind} ${other.fqn}, which the autoloader cannot find (it only maps ${match.fqn} to this file).`,
        `Move ${other.name} to classes/${[...segments, other.name].join('/')}.php.`,
      );
    }
    return;
  }
  const first = declared[0]!;
  if (requiredByHand(ctx.plugin, rel)) {
    ctx.report(
      'classes/not-autoloadable',
      { file: rel, ...position(first.node) },
      `${rel} declares ${first.kind} ${first.fqn}, which the autoloader cannot find (it expects ${expectedNs}\\${base}${segments.length === 0 ? ` or ${component}_${base}` : ''}); it only works because the plugin requires the file explicitly.`,
      `Rename it to ${expectedNs}\\${base}, or move the file out of classes/.`,
    );
    return;
  }
  const inNs = declared.find((c) => c.namespace.toLowerCase() === expectedNs.toLowerCase());
  if (inNs) {
    ctx.report(
      'classes/name-mismatch',
      { file: rel, ...position(inNs.node) },
      `${rel} declares ${inNs.kind} ${inNs.name}, but the autoloader expects ${base} for this file, so ${inNs.fqn} is never autoloaded.`,
      `Rename the ${inNs.kind} to ${base}, or the file to ${inNs.name}.php.`,
    );
    return;
  }
  const nsNode = namespaceNode(ast, first);
  const wanted =
    segments.length === 0 ? `${expectedNs} (or the global name ${component}_${base})` : expectedNs;
  ctx.report(
    'classes/namespace-mismatch',
    { file: rel, ...position(nsNode ?? first.node) },
    `${rel} declares ${first.kind} ${first.fqn}${first.namespace ? '' : ' in the global namespace'}, but the autoloader only finds this file as ${segments.length === 0 ? `${expectedNs}\\${base} or ${component}_${base}` : `${expectedNs}\\${base}`}.`,
    `Use namespace ${wanted}; or move the file to the folder matching its namespace.`,
  );
}

/** `if (false) { ... }` at file level: code kept only for IDEs. */
function hasDeadStubs(ast: PhpNode): boolean {
  return topLevelStatements(ast).some(
    ({ node }) => node.kind === 'if' && evaluate(child(node, 'test')) === false,
  );
}

/** The `namespace` statement a class-like is declared in (php-parser wraps its statements). */
function namespaceNode(ast: PhpNode, c: ClassLike): PhpNode | undefined {
  if (!c.namespace) return undefined;
  return children(ast, 'children').find(
    (n) => n.kind === 'namespace' && text(n, 'name') === c.namespace,
  );
}

function checkLevel2(ctx: CheckContext, component: string, files: readonly string[]): void {
  const branches = ctx.plugin
    .targetBranches()
    .map((b) => b.branch)
    .filter((b) => b >= APIS_SINCE);
  const judged = branches.length > 0 ? branches : [NEWEST_BRANCH.branch];
  const seen = new Set<string>();
  for (const rel of files) {
    const parts = rel.split('/');
    if (parts.length < 3) continue; // classes/foo.php: the class itself is at level 2.
    const level2 = parts[1]!;
    if (seen.has(level2)) continue;
    seen.add(level2);
    if (judged.some((b) => isAllowedLevel2(level2, component, b))) continue;
    const ast = ctx.plugin.php(rel)?.ast;
    const ns = ast ? children(ast, 'children').find((n) => n.kind === 'namespace') : undefined;
    ctx.report(
      'classes/level2-namespace',
      { file: rel, ...(ns ? position(ns) : { line: 1 }) },
      `classes/${level2}/ gives the level-2 namespace ${component}\\${level2}, which is neither a core API allowed at level 2 nor local.`,
      `Move it to classes/local/${level2}/ (namespace ${component}\\local\\${level2}).`,
    );
  }
}
