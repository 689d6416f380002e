import {
  assignments,
  evaluate,
  position,
  type Assignment,
  type PhpNode,
  type PhpValue,
  type PhpSyntaxError,
} from './php.js';

export const MATURITY: Readonly<Record<string, number>> = {
  MATURITY_ALPHA: 50,
  MATURITY_BETA: 100,
  MATURITY_RC: 150,
  MATURITY_STABLE: 200,
};

export const VERSION_CONSTANTS: Readonly<Record<string, PhpValue>> = {
  ...MATURITY,
  ANY_VERSION: 'any',
};

export const VERSION_FIELDS = [
  'component',
  'version',
  'requires',
  'supported',
  'incompatible',
  'maturity',
  'release',
  'dependencies',
] as const;
export type VersionFieldName = (typeof VERSION_FIELDS)[number];

export interface VersionField {
  value: PhpValue;
  /** Source text of the expression, e.g. `MATURITY_STABLE`, for messages. */
  source: string;
  line: number;
  column: number;
  node: PhpNode;
}

/** What `version.php` declares, as written. Checks judge the values; this only reads them. */
export interface VersionFile {
  /** `plugin` normally; `module` in legacy activity modules. */
  variable: 'plugin' | 'module' | undefined;
  fields: Partial<Record<VersionFieldName, VersionField>>;
  /** Every `$plugin->x =` / `$module->x =`, in order, for checks on unknown or repeated fields. */
  assignments: Assignment[];
  syntaxError?: PhpSyntaxError;
}

export function readVersionFile(
  code: string,
  ast: PhpNode | undefined,
  syntaxError?: PhpSyntaxError,
): VersionFile {
  if (!ast)
    return {
      variable: undefined,
      fields: {},
      assignments: [],
      ...(syntaxError ? { syntaxError } : {}),
    };
  const all = assignments(ast).filter(
    (a) => (a.variable === 'plugin' || a.variable === 'module') && typeof a.target === 'string',
  );
  const variable = all.some((a) => a.variable === 'plugin')
    ? 'plugin'
    : all.length > 0
      ? 'module'
      : undefined;
  const fields: VersionFile['fields'] = {};
  for (const a of all) {
    if (a.variable !== variable) continue;
    const name = a.target as VersionFieldName;
    if (!(VERSION_FIELDS as readonly string[]).includes(name)) continue;
    // Moodle keeps the last assignment; so do we.
    const start = a.value.loc?.start.offset;
    const end = (a.value.loc as { end?: { offset: number } } | null | undefined)?.end?.offset;
    fields[name] = {
      value: evaluate(a.value, VERSION_CONSTANTS),
      source: start !== undefined && end !== undefined ? code.slice(start, end) : '',
      ...position(a.value),
      node: a.value,
    };
  }
  return { variable, fields, assignments: all };
}
