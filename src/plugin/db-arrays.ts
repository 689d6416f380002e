import {
  assignments,
  evaluate,
  isPhpArray,
  type PhpArray,
  type PhpNode,
  type PhpValue,
} from './php.js';
import type { Plugin } from './plugin.js';

export interface DeclaredArray {
  /** The evaluated array; entries whose values use unknown constants still carry their keys. */
  array: PhpArray;
  /** The `$name = [...]` statement, for positions when a key is missing. */
  statement: PhpNode;
}

/**
 * The first plain `$name = [...]` at file level of a `db/*.php` file (`$capabilities`,
 * `$messageproviders`, ...), the way Moodle's loaders and moodle-plugin-ci read them. Undefined when
 * the file is absent, does not parse, or does not assign an array literal to the variable.
 */
export function declaredArray(
  plugin: Plugin,
  rel: string,
  variable: string,
  constants: Readonly<Record<string, PhpValue>> = {},
): DeclaredArray | undefined {
  const ast = plugin.php(rel)?.ast;
  if (!ast) return undefined;
  const a = assignments(ast).find(
    (x) => x.variable === variable && x.target === undefined && !x.dynamicTarget,
  );
  if (!a) return undefined;
  const value = evaluate(a.value, constants);
  return isPhpArray(value) ? { array: value, statement: a.statement } : undefined;
}

/** The string keys of a declared array, with the node of each key for positions. */
export function stringKeys(decl: DeclaredArray): { key: string; node: PhpNode }[] {
  return decl.array.entries
    .filter((e): e is typeof e & { key: string } => typeof e.key === 'string')
    .map((e) => ({ key: e.key, node: e.keyNode ?? e.node }));
}
