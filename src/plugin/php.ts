import { Engine } from 'php-parser';

/**
 * A loose view of php-parser's AST: every node has a `kind` and (with positions on) a `loc`.
 * Checks read nodes through the helpers below rather than php-parser's class typings, which
 * describe shapes the parser does not always produce.
 */
export interface PhpNode {
  kind: string;
  loc?: { start: { line: number; column: number; offset: number } } | null;
  [key: string]: unknown;
}

export interface PhpSyntaxError {
  message: string;
  line: number;
  column: number;
}

export interface ParsedPhp {
  ast?: PhpNode;
  error?: PhpSyntaxError;
}

/** The newest PHP version php-parser understands; used when the plugin's range is unknown. */
export const PARSER_MAX_PHP = '8.4';

/**
 * php-parser 3.x rejects `clone` followed by `(` (`clone($x)`, `clone ($a ?? $b)`,
 * `clone (object) $a`), all valid PHP. The keyword becomes the same-length `@    `, a unary
 * operator that takes the same operand, so every line and column stays where it was. Method
 * names (`->clone(`, `::clone(`, `function clone(`) are left alone.
 */
function shimParserGaps(code: string): string {
  return code.replace(/(?<!(?:->|::|\bfunction)\s*)\bclone(?=\s*\()/g, '@    ');
}

export function parsePhp(
  code: string,
  file: string,
  phpVersion: string = PARSER_MAX_PHP,
): ParsedPhp {
  const engine = new Engine({
    parser: { php8: true, version: phpVersion, suppressErrors: false, extractDoc: false },
    ast: { withPositions: true },
    lexer: { short_tags: false },
  });
  try {
    return { ast: engine.parseCode(shimParserGaps(code), file) as unknown as PhpNode };
  } catch (e) {
    const err = e as { message?: string; lineNumber?: number; columnNumber?: number };
    const message = (err.message ?? String(e)).replace(/ on line \d+$/, '');
    return { error: { message, line: err.lineNumber ?? 1, column: (err.columnNumber ?? 0) + 1 } };
  }
}

// ---- Node access -------------------------------------------------------------------------------

export function isNode(v: unknown): v is PhpNode {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string';
}

export function child(n: PhpNode | undefined, key: string): PhpNode | undefined {
  const v = n?.[key];
  return isNode(v) ? v : undefined;
}

export function children(n: PhpNode | undefined, key: string): PhpNode[] {
  const v = n?.[key];
  return Array.isArray(v) ? v.filter(isNode) : [];
}

export function text(n: PhpNode | undefined, key: string): string | undefined {
  const v = n?.[key];
  return typeof v === 'string' ? v : undefined;
}

/** 1-based line and column of a node. */
export function position(n: PhpNode | undefined): { line: number; column: number } {
  const s = n?.loc?.start;
  return s ? { line: s.line, column: s.column + 1 } : { line: 1, column: 1 };
}

/** The name of an identifier-ish node (`name`, `identifier`, or a plain string). */
export function nameOf(n: unknown): string | undefined {
  if (typeof n === 'string') return n;
  if (!isNode(n)) return undefined;
  const v = n.name;
  if (typeof v === 'string') return v;
  return nameOf(v);
}

/** Depth-first walk over every node; return false from the visitor to skip a subtree. */
export function walk(root: PhpNode, visit: (n: PhpNode, parent?: PhpNode) => unknown): void {
  const stack: [PhpNode, PhpNode | undefined][] = [[root, undefined]];
  while (stack.length > 0) {
    const [n, parent] = stack.pop()!;
    if (visit(n, parent) === false) continue;
    const kids: PhpNode[] = [];
    for (const [key, v] of Object.entries(n)) {
      if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments') continue;
      if (Array.isArray(v)) {
        for (const item of v) if (isNode(item)) kids.push(item);
      } else if (isNode(v)) kids.push(v);
    }
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, n]);
  }
}

/**
 * Statements at file level, with those inside `namespace X { }` / `namespace X;` blocks and
 * `declare` blocks flattened in, each tagged with the namespace it is declared in.
 */
export function topLevelStatements(program: PhpNode): { node: PhpNode; namespace: string }[] {
  const out: { node: PhpNode; namespace: string }[] = [];
  const visit = (list: PhpNode[], ns: string): void => {
    for (const s of list) {
      if (s.kind === 'namespace') visit(children(s, 'children'), text(s, 'name') ?? '');
      else if (s.kind === 'declare') visit(children(s, 'children'), ns);
      else out.push({ node: s, namespace: ns });
    }
  };
  visit(children(program, 'children'), '');
  return out;
}

// ---- Static evaluation -------------------------------------------------------------------------

/** A value we could not work out statically (a function call, a variable, ...). */
export const UNKNOWN: unique symbol = Symbol('unknown');
export type PhpValue = string | number | boolean | null | PhpArray | typeof UNKNOWN;
export interface PhpArray {
  kind: 'array';
  entries: { key: string | number; value: PhpValue; node: PhpNode; keyNode?: PhpNode }[];
}

export function isPhpArray(v: PhpValue): v is PhpArray {
  return typeof v === 'object' && v !== null;
}

/** A value as PHP source would show it, for messages. */
export function describe(v: PhpValue): string {
  if (v === UNKNOWN) return '(not a constant expression)';
  if (isPhpArray(v)) return `[${v.entries.map((e) => describe(e.value)).join(', ')}]`;
  if (typeof v === 'string') return `'${v}'`;
  return v === null ? 'null' : String(v);
}

/**
 * Evaluates a constant expression: literals, arrays, unary minus, concatenation, and the named
 * constants given (MATURITY_STABLE, CAP_ALLOW, ...). Anything else is UNKNOWN.
 */
export function evaluate(
  n: PhpNode | undefined,
  constants: Readonly<Record<string, PhpValue>> = {},
): PhpValue {
  if (!n) return UNKNOWN;
  switch (n.kind) {
    case 'number': {
      const raw = (text(n, 'value') ?? '').replace(/_/g, '');
      const v = /^0x/i.test(raw) ? parseInt(raw, 16) : Number(raw);
      return Number.isNaN(v) ? UNKNOWN : v;
    }
    case 'string':
      return text(n, 'value') ?? UNKNOWN;
    case 'nowdoc':
      return text(n, 'value') ?? UNKNOWN;
    case 'boolean':
      return n.value === true;
    case 'nullkeyword':
      return null;
    case 'name': {
      const name = text(n, 'name') ?? '';
      const bare = name.replace(/^\\/, '');
      const lower = bare.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      if (lower === 'null') return null;
      return bare in constants ? constants[bare]! : UNKNOWN;
    }
    case 'unary': {
      const v = evaluate(child(n, 'what'), constants);
      if (typeof v !== 'number') return UNKNOWN;
      return n.type === '-' ? -v : n.type === '+' ? v : UNKNOWN;
    }
    case 'bin': {
      const l = evaluate(child(n, 'left'), constants);
      const r = evaluate(child(n, 'right'), constants);
      if (l === UNKNOWN || r === UNKNOWN || isPhpArray(l) || isPhpArray(r)) return UNKNOWN;
      if (n.type === '.') return `${String(l)}${String(r)}`;
      if (n.type === '|' && typeof l === 'number' && typeof r === 'number') return l | r;
      if (n.type === '+' && typeof l === 'number' && typeof r === 'number') return l + r;
      return UNKNOWN;
    }
    case 'cast': {
      const v = evaluate(child(n, 'expr'), constants);
      if (typeof v === 'string' && (n.type === 'int' || n.type === 'float')) return Number(v);
      return v;
    }
    case 'array': {
      const entries: PhpArray['entries'] = [];
      let next = 0;
      for (const item of children(n, 'items')) {
        const isEntry = item.kind === 'entry';
        const valueNode = isEntry ? child(item, 'value') : item;
        const keyNode = isEntry ? child(item, 'key') : undefined;
        if (isEntry && item.unpack === true) return UNKNOWN;
        let key: string | number;
        if (keyNode) {
          const k = evaluate(keyNode, constants);
          if (typeof k !== 'string' && typeof k !== 'number') return UNKNOWN;
          key = typeof k === 'string' && /^(0|-?[1-9][0-9]*)$/.test(k) ? Number(k) : k;
        } else key = next;
        if (typeof key === 'number' && key >= next) next = key + 1;
        const entry: PhpArray['entries'][number] = {
          key,
          value: evaluate(valueNode, constants),
          node: valueNode ?? item,
        };
        if (keyNode) entry.keyNode = keyNode;
        entries.push(entry);
      }
      return { kind: 'array', entries };
    }
    default:
      return UNKNOWN;
  }
}

/** `$var->prop = value;` and `$var['key'] = value;` statements anywhere at file level. */
export interface Assignment {
  variable: string;
  /** Property name for `->`, array key for `[...]`, undefined for a plain `$var = ...`. */
  target?: string | number;
  /** The target key could not be evaluated (e.g. `$string[$key] = ...`). */
  dynamicTarget: boolean;
  value: PhpNode;
  statement: PhpNode;
  left: PhpNode;
}

export function assignments(program: PhpNode): Assignment[] {
  const out: Assignment[] = [];
  for (const { node } of topLevelStatements(program)) {
    if (node.kind !== 'expressionstatement') continue;
    const expr = child(node, 'expression');
    if (expr?.kind !== 'assign' || expr.operator !== '=') continue;
    const left = child(expr, 'left');
    const right = child(expr, 'right');
    if (!left || !right) continue;
    if (left.kind === 'variable') {
      const variable = text(left, 'name');
      if (variable)
        out.push({ variable, dynamicTarget: false, value: right, statement: node, left });
      continue;
    }
    const base = child(left, 'what');
    const variable = base?.kind === 'variable' ? text(base, 'name') : undefined;
    if (!variable) continue;
    if (left.kind === 'propertylookup') {
      const prop = nameOf(child(left, 'offset'));
      out.push({
        variable,
        ...(prop !== undefined ? { target: prop } : {}),
        dynamicTarget: prop === undefined,
        value: right,
        statement: node,
        left,
      });
    } else if (left.kind === 'offsetlookup') {
      const k = evaluate(child(left, 'offset'));
      const ok = typeof k === 'string' || typeof k === 'number';
      out.push({
        variable,
        ...(ok ? { target: k } : {}),
        dynamicTarget: !ok,
        value: right,
        statement: node,
        left,
      });
    }
  }
  return out;
}

/** Named functions declared at file level (not methods, not inside `if`). Lower-case names. */
export function topLevelFunctions(program: PhpNode): Map<string, PhpNode> {
  const out = new Map<string, PhpNode>();
  for (const { node, namespace } of topLevelStatements(program)) {
    if (node.kind !== 'function') continue;
    const name = nameOf(node.name);
    if (name) out.set((namespace ? `${namespace}\\${name}` : name).toLowerCase(), node);
  }
  return out;
}

/** Functions declared anywhere (including inside `if (!function_exists())`), lower-case names. */
export function allFunctions(program: PhpNode): Map<string, PhpNode> {
  const out = new Map<string, PhpNode>();
  walk(program, (n) => {
    if (n.kind === 'function') {
      const name = nameOf(n.name);
      if (name && !out.has(name.toLowerCase())) out.set(name.toLowerCase(), n);
    }
    return n.kind !== 'class' && n.kind !== 'closure';
  });
  return out;
}

export interface ClassLike {
  kind: 'class' | 'interface' | 'trait' | 'enum';
  name: string;
  namespace: string;
  /** Fully qualified without a leading backslash. */
  fqn: string;
  extends?: string;
  node: PhpNode;
}

/** Classes, interfaces, traits and enums declared at file level (including inside `if`). */
export function classLikes(program: PhpNode): ClassLike[] {
  const out: ClassLike[] = [];
  const visit = (list: PhpNode[], ns: string): void => {
    for (const s of list) {
      if (s.kind === 'namespace') {
        visit(children(s, 'children'), text(s, 'name') ?? '');
      } else if (
        s.kind === 'class' ||
        s.kind === 'interface' ||
        s.kind === 'trait' ||
        s.kind === 'enum'
      ) {
        const name = nameOf(s.name);
        if (!name) continue;
        const ext = s.kind === 'class' ? nameOf(s.extends) : undefined;
        out.push({
          kind: s.kind,
          name,
          namespace: ns,
          fqn: ns ? `${ns}\\${name}` : name,
          ...(ext ? { extends: ext.replace(/^\\/, '') } : {}),
          node: s,
        });
      } else if (s.kind === 'if' || s.kind === 'block' || s.kind === 'declare') {
        // `if (false) { class x {} }` never declares anything (IDE stubs do this).
        const deadBody = s.kind === 'if' && evaluate(child(s, 'test')) === false;
        const body = deadBody ? undefined : child(s, 'body');
        visit(body ? (body.kind === 'block' ? children(body, 'children') : [body]) : [], ns);
        visit(children(s, 'children'), ns);
        const alt = child(s, 'alternate');
        if (alt) visit(alt.kind === 'block' ? children(alt, 'children') : [alt], ns);
      }
    }
  };
  visit(children(program, 'children'), '');
  return out;
}

/** Function calls anywhere in the tree, by lower-case function name. */
export function calls(
  program: PhpNode,
  names: readonly string[],
): { name: string; node: PhpNode }[] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: { name: string; node: PhpNode }[] = [];
  walk(program, (n) => {
    if (n.kind === 'call') {
      const what = child(n, 'what');
      const name =
        what?.kind === 'name' ? text(what, 'name')?.replace(/^\\/, '').toLowerCase() : undefined;
      if (name && wanted.has(name)) out.push({ name, node: n });
    }
  });
  return out;
}
