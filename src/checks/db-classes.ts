// Finds the file a class named in db/*.php would be autoloaded from, the way core_component's
// class map does: `\<component>\a\b` -> classes/a/b.php, legacy `<component>_a_b` -> classes/a_b.php.
import { children, classLikes, nameOf, type ClassLike } from '../plugin/php.js';
import type { Plugin } from '../plugin/plugin.js';

export type ClassLookup =
  /** Declared where the autoloader looks (or the file has a syntax error the php family reports). */
  | { status: 'found'; file: string; cls?: ClassLike }
  /** Belongs to this plugin, but no file the autoloader would load declares it. */
  | { status: 'missing'; file: string }
  /** Another component's class, or a shape we cannot map: not checked. */
  | { status: 'unchecked' };

export function normaliseClassName(name: string): string {
  return name.trim().replace(/^\\+/, '');
}

function declaredIn(plugin: Plugin, file: string, fqn: string): ClassLookup {
  const parsed = plugin.php(file);
  if (!parsed?.ast) return { status: 'found', file };
  const wanted = fqn.toLowerCase();
  const cls = classLikes(parsed.ast).find((c) => c.fqn.toLowerCase() === wanted);
  return cls ? { status: 'found', file, cls } : { status: 'missing', file };
}

export function lookupClass(plugin: Plugin, rawName: string): ClassLookup {
  const component = plugin.component;
  if (!component) return { status: 'unchecked' };
  const fqn = normaliseClassName(rawName);
  const parts = fqn.split('\\');
  if (parts.length >= 2) {
    if (parts[0]!.toLowerCase() !== component) return { status: 'unchecked' };
    const file = `classes/${parts.slice(1).join('/')}.php`;
    return plugin.has(file) ? declaredIn(plugin, file, fqn) : { status: 'missing', file };
  }
  if (fqn.toLowerCase().startsWith(`${component}_`)) {
    const file = `classes/${fqn.slice(component.length + 1)}.php`;
    if (plugin.has(file)) return declaredIn(plugin, file, fqn);
  }
  return { status: 'unchecked' };
}

/**
 * Whether a class declares a method; undefined when it may inherit one (it extends a class or
 * uses a trait), so absence proves nothing.
 */
export function declaresMethod(cls: ClassLike, method: string): boolean | undefined {
  const body = children(cls.node, 'body');
  const wanted = method.toLowerCase();
  let inherits = cls.extends !== undefined;
  for (const member of body) {
    if (member.kind === 'traituse') inherits = true;
    if (member.kind === 'method' && nameOf(member.name)?.toLowerCase() === wanted) return true;
  }
  return inherits ? undefined : false;
}

/** A path from the Moodle root (`/mod/foo/locallib.php`) as a path inside this plugin, if it is one. */
export function pluginRelative(plugin: Plugin, fromRoot: string): string | undefined {
  const info = plugin.typeInfo;
  if (!info || !plugin.name) return undefined;
  const own = `${info.path}/${plugin.name}/`;
  const p = fromRoot.trim().replace(/^\/+/, '');
  return p.startsWith(own) ? p.slice(own.length) : undefined;
}
