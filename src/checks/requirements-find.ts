// Finders for the requirements family: where moodle-plugin-ci validate looks, and where Moodle
// itself would find the same declaration.
import path from 'node:path';
import {
  allFunctions,
  child,
  children,
  classLikes,
  nameOf,
  text,
  topLevelFunctions,
  topLevelStatements,
  type PhpNode,
} from '../plugin/php.js';
import type { Plugin } from '../plugin/plugin.js';
import { childrenNamed } from '../plugin/xml.js';

// ---- PHP -----------------------------------------------------------------------------------------

export interface FileFunctions {
  top: Map<string, PhpNode>;
  all: Map<string, PhpNode>;
  ast: PhpNode;
}

export function functionsIn(plugin: Plugin, rel: string): FileFunctions | undefined {
  const ast = plugin.php(rel)?.ast;
  if (!ast) return undefined;
  return { top: topLevelFunctions(ast), all: allFunctions(ast), ast };
}

/** 'top' as validate sees it; 'nested' inside an if; a file name when an included file declares it. */
export function findFunction(
  plugin: Plugin,
  rel: string,
  fn: string,
  fns: FileFunctions,
): 'top' | 'nested' | 'none' | { included: string } {
  const lower = fn.toLowerCase();
  if (fns.top.has(lower)) return 'top';
  if (fns.all.has(lower)) return 'nested';
  for (const inc of includedFiles(plugin, rel, fns.ast)) {
    if (inc === rel) continue;
    const ast = plugin.php(inc)?.ast;
    if (ast && allFunctions(ast).has(lower)) return { included: inc };
  }
  return 'none';
}

/** Plugin files a PHP file includes at file level, when the path is static (__DIR__, $CFG->dirroot). */
function includedFiles(plugin: Plugin, from: string, ast: PhpNode): string[] {
  const own = `${plugin.typeInfo?.path ?? ''}/${plugin.name ?? ''}/`;
  const out: string[] = [];
  for (const { node } of topLevelStatements(ast)) {
    const inc = node.kind === 'expressionstatement' ? child(node, 'expression') : undefined;
    if (inc?.kind !== 'include') continue;
    const p = staticPath(child(inc, 'target'));
    if (p === undefined) continue;
    let rel: string | undefined;
    if (p.startsWith('$ROOT/') && p.slice(5).startsWith(`/${own}`)) rel = p.slice(6 + own.length);
    else if (p.startsWith('$ROOT/public/') && p.slice(12).startsWith(`/${own}`))
      rel = p.slice(13 + own.length);
    else if (p.startsWith('$DIR/'))
      rel = path.posix.normalize(path.posix.join(path.posix.dirname(from), p.slice(5)));
    if (rel !== undefined && plugin.has(rel)) out.push(rel);
  }
  return out;
}

function staticPath(n: PhpNode | undefined): string | undefined {
  if (!n) return undefined;
  if (n.kind === 'string') return text(n, 'value');
  if (n.kind === 'magic' && n.value === '__DIR__') return '$DIR';
  if (n.kind === 'call' && nameOf(child(n, 'what'))?.toLowerCase() === 'dirname') {
    const arg = children(n, 'arguments')[0];
    return arg?.kind === 'magic' && arg.value === '__FILE__' ? '$DIR' : undefined;
  }
  if (
    n.kind === 'propertylookup' &&
    text(child(n, 'what'), 'name') === 'CFG' &&
    nameOf(child(n, 'offset')) === 'dirroot'
  ) {
    return '$ROOT';
  }
  if (n.kind === 'bin' && n.type === '.') {
    const l = staticPath(child(n, 'left'));
    const r = staticPath(child(n, 'right'));
    return l === undefined || r === undefined ? undefined : l + r;
  }
  return undefined;
}

/** Where a class (not interface/trait) with this fully qualified name is declared, case-insensitively. */
export function classWhere(ast: PhpNode, fqn: string): 'top' | 'nested' | 'none' {
  const wanted = fqn.toLowerCase();
  const found = classLikes(ast).filter((k) => k.kind === 'class' && k.fqn.toLowerCase() === wanted);
  if (found.length === 0) return 'none';
  const top = new Set(topLevelStatements(ast).map((s) => s.node));
  return found.some((k) => top.has(k.node)) ? 'top' : 'nested';
}

export function hasTopLevelCall(ast: PhpNode, fn: string): boolean {
  return topLevelStatements(ast).some(({ node }) => {
    const call = node.kind === 'expressionstatement' ? child(node, 'expression') : undefined;
    return (
      call?.kind === 'call' &&
      text(child(call, 'what'), 'name')?.replace(/^\\/, '').toLowerCase() === fn
    );
  });
}

// ---- db/install.xml ----------------------------------------------------------------------------

export interface InstallTables {
  names: { name: string; line: number; column: number }[];
  tablesLine: number;
}

/** Table names of db/install.xml with their lines; undefined when absent or malformed (the db family reports that). */
export function installXmlTables(plugin: Plugin): InstallTables | undefined {
  const xml = plugin.xml('db/install.xml');
  if (!xml || !('root' in xml) || xml.root.name !== 'XMLDB') return undefined;
  const tables = childrenNamed(xml.root, 'TABLES')[0];
  const names: InstallTables['names'] = [];
  for (const t of childrenNamed(tables, 'TABLE')) {
    const name = t.attrs.get('NAME');
    if (name) names.push({ name: name.value, line: name.line, column: name.column });
  }
  return { names, tablesLine: tables?.line ?? xml.root.line };
}

// ---- Behat -------------------------------------------------------------------------------------

/**
 * Feature files under tests/behat, as moodle-plugin-ci finds them: anywhere below the plugin
 * directory, subplugins included, with paths relative to the plugin given.
 */
export function featureFiles(top: Plugin): { rel: string; read: () => string | undefined }[] {
  const out: { rel: string; read: () => string | undefined }[] = [];
  const collect = (p: Plugin, prefix: string): void => {
    for (const f of p.files) {
      if (f.endsWith('.feature') && `/${f}`.includes('/tests/behat/')) {
        out.push({ rel: prefix + f, read: () => p.text(f) });
      }
    }
    for (const sub of p.subplugins) collect(sub, sub.prefix.slice(top.prefix.length));
  };
  collect(top, '');
  return out;
}

/** Tags (lower-cased) on the lines before the first line containing Feature:, as validate reads them. */
export function tagsBeforeFeature(source: string): { tags: Set<string>; featureLine: number } {
  const tags = new Set<string>();
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes('Feature:')) return { tags, featureLine: i + 1 };
    for (const m of line.matchAll(/@\w+/g)) tags.add(m[0].toLowerCase());
  }
  return { tags, featureLine: 1 };
}
