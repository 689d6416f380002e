import { mayNeedNewerPhp } from '../plugin/php-features.js';
import type { Plugin } from '../plugin/plugin.js';
import {
  child,
  children,
  nameOf,
  parsePhp,
  position,
  text,
  topLevelStatements,
  walk,
  type PhpNode,
} from '../plugin/php.js';
import type { CheckContext, CheckFamily, RuleMeta } from './types.js';

export const PHP_RULES: readonly RuleMeta[] = [
  {
    id: 'php/syntax',
    severity: 'error',
    title: 'PHP syntax error',
    why: 'PHP refuses to compile the file: any page, install step or autoloaded class that includes it dies with a parse error.',
    fix: 'Fix the syntax at the reported line (run `php -l` on the file).',
  },
  {
    id: 'php/syntax-version',
    severity: 'error',
    title: 'PHP syntax newer than the oldest PHP the plugin claims to support',
    why: 'The plugin declares support (version.php `supported`/`requires`) for a Moodle branch whose minimum PHP version cannot parse this file, so on such a site the file dies with a parse error.',
    fix: 'Rewrite the construct for the older PHP, or raise `$plugin->requires`/`$plugin->supported` to the first Moodle branch whose minimum PHP supports it.',
  },
  {
    id: 'php/syntax-version-tests',
    severity: 'warning',
    title: 'Test code uses PHP syntax newer than the oldest PHP the plugin claims to support',
    why: 'Files under tests/ are only loaded by PHPUnit and Behat, never by a production site, so the plugin itself still works there; but its tests cannot run on the oldest Moodle and PHP it claims to support.',
    fix: 'Rewrite the construct for the older PHP, or raise `$plugin->requires`/`$plugin->supported`.',
  },
  {
    id: 'php/moodle-internal',
    severity: 'warning',
    title: "Include-only file with side effects lacks `defined('MOODLE_INTERNAL') || die();`",
    why: "A file that is not an entry point (it does not require config.php) but runs code when included can also be requested directly from the web. Without the MOODLE_INTERNAL guard, that code runs outside Moodle (no $CFG, no login), which leaks paths in errors or worse. Moodle's coding style (moodle-cs MoodleInternal) requires the guard before any such code.",
    fix: "Add `defined('MOODLE_INTERNAL') || die();` after the file docblock (and any namespace/use statements), before the first statement that does something.",
  },
  {
    id: 'php/cli-script',
    severity: 'error',
    title: 'CLI script requires config.php without defining CLI_SCRIPT first',
    why: 'Moodle\'s lib/setup.php stops a command-line run with "Command line scripts must define CLI_SCRIPT before requiring config.php" (exit 1): the script cannot run at all.',
    fix: "Add `define('CLI_SCRIPT', true);` before the `require(__DIR__ . '/../../../config.php');` line.",
  },
  {
    id: 'php/closing-tag',
    severity: 'notice',
    title: 'File ends with a PHP closing tag',
    why: "Moodle's coding style omits the final `?>`: any whitespace after it is sent as output, which breaks headers, redirects, file downloads and JSON responses.",
    fix: 'Delete the final `?>` (and anything after it).',
  },
];

/**
 * Files that never need the guard: moodle-cs's dispensations (lang/, tests/behat/), classes/ (only
 * ever included by the autoloader), undeclared Composer `vendor/` code and test fixtures (not
 * Moodle code).
 */
const GUARD_EXEMPT = (rel: string): boolean =>
  /^(classes|lang)\//.test(rel) || /(^|\/)(lang|vendor|tests\/behat|tests\/fixtures)\//.test(rel);

/** The PHP range to judge, computed once per plugin. */
const ranges = new WeakMap<
  Plugin,
  { min: string; max: string; oldestBranch: string | undefined }
>();
function rangeOf(plugin: Plugin): { min: string; max: string; oldestBranch: string | undefined } {
  let r = ranges.get(plugin);
  if (!r) {
    const { min, max } = plugin.phpRange();
    r = { min, max, oldestBranch: plugin.targetBranches().find((b) => b.phpMin === min)?.name };
    ranges.set(plugin, r);
  }
  return r;
}

export const phpFamily: CheckFamily = {
  family: 'php',
  rules: PHP_RULES,
  run() {
    // Every php/* rule is a per-file check.
  },
  checkFile(ctx, rel) {
    if (!rel.endsWith('.php')) return;
    const parsed = ctx.plugin.php(rel);
    if (!parsed) return;
    const { min: minPhp, max, oldestBranch } = rangeOf(ctx.plugin);
    if (parsed.error) {
      ctx.report(
        'php/syntax',
        { file: rel, line: parsed.error.line, column: parsed.error.column },
        `${rel}: ${parsed.error.message} (parsed as PHP ${max}).`,
        'Fix the syntax; `php -l` shows the same error.',
      );
      return;
    }
    const ast = parsed.ast;
    if (!ast) return;
    const code = ctx.plugin.text(rel) ?? '';
    if (Number(minPhp) < Number(max) && mayNeedNewerPhp(code, minPhp, max)) {
      const old = parsePhp(code, rel, minPhp);
      if (old.error) {
        ctx.report(
          /(^|\/)tests\//.test(rel) ? 'php/syntax-version-tests' : 'php/syntax-version',
          { file: rel, line: old.error.line, column: old.error.column },
          `${rel} does not parse on PHP ${minPhp} (${old.error.message}), the minimum PHP of Moodle ${oldestBranch ?? '?'} which this plugin claims to support.`,
          `Use syntax PHP ${minPhp} understands, or drop support for Moodle ${oldestBranch ?? 'branches'} whose minimum PHP is ${minPhp}.`,
        );
      }
    }
    const includes = configIncludes(ast);
    if (includes.length === 0 && !GUARD_EXEMPT(rel)) checkGuard(ctx, rel, ast);
    if (includes.length > 0 && (rel.startsWith('cli/') || rel.includes('/cli/'))) {
      checkCliScript(ctx, rel, ast, includes[0]!);
    }
    checkClosingTag(ctx, rel, ast);
  },
};

/** Statements outside functions and classes, in source order (the code that runs on include). */
function fileLevelWalk(ast: PhpNode, visit: (n: PhpNode) => void): void {
  walk(ast, (n) => {
    if (
      n.kind === 'function' ||
      n.kind === 'class' ||
      n.kind === 'closure' ||
      n.kind === 'arrowfunc'
    )
      return false;
    if (n.kind === 'interface' || n.kind === 'trait' || n.kind === 'enum') return false;
    visit(n);
  });
}

function offsetOf(n: PhpNode): number {
  return n.loc?.start.offset ?? 0;
}

/** `require`/`include` of config.php at file level: the file is an entry point. */
function configIncludes(ast: PhpNode): PhpNode[] {
  const out: PhpNode[] = [];
  fileLevelWalk(ast, (n) => {
    if (n.kind !== 'include') return;
    const strings: string[] = [];
    walk(child(n, 'target') ?? n, (s) => {
      if (s.kind === 'string') strings.push(text(s, 'value') ?? '');
    });
    if (strings.some((v) => /(^|\/)config\.php$/.test(v))) out.push(n);
  });
  return out.sort((a, b) => offsetOf(a) - offsetOf(b));
}

function isCall(n: PhpNode | undefined, names: readonly string[]): boolean {
  if (n?.kind !== 'call') return false;
  const name = nameOf(child(n, 'what'))?.replace(/^\\/, '').toLowerCase();
  return name !== undefined && names.includes(name);
}

function isDefinedInternal(n: PhpNode | undefined): boolean {
  if (!isCall(n, ['defined'])) return false;
  const arg = children(n, 'arguments')[0];
  return arg?.kind === 'string' && text(arg, 'value') === 'MOODLE_INTERNAL';
}

function isExit(n: PhpNode | undefined): boolean {
  return n?.kind === 'exit';
}

/** `defined('MOODLE_INTERNAL') || die();` or the old `if (!defined('MOODLE_INTERNAL')) { die(); }`. */
function isGuard(s: PhpNode): boolean {
  if (s.kind === 'expressionstatement') {
    const e = child(s, 'expression');
    return (
      e?.kind === 'bin' &&
      (e.type === '||' || e.type === 'or') &&
      isDefinedInternal(child(e, 'left')) &&
      isExit(child(e, 'right'))
    );
  }
  if (s.kind === 'if') {
    const test = child(s, 'test');
    if (test?.kind !== 'unary' || test.type !== '!' || !isDefinedInternal(child(test, 'what')))
      return false;
    const body = child(s, 'body');
    const first = body?.kind === 'block' ? children(body, 'children')[0] : body;
    return first?.kind === 'expressionstatement' && isExit(child(first, 'expression'));
  }
  return false;
}

const DECLARATIONS = new Set([
  'class',
  'interface',
  'trait',
  'enum',
  'function',
  'usegroup',
  'constantstatement',
  'noop',
]);

/** The first statement that changes global state, per moodle-cs's MoodleInternal sniff. */
function firstSideEffect(list: readonly PhpNode[]): PhpNode | undefined {
  for (const s of list) {
    if (DECLARATIONS.has(s.kind)) continue;
    if (s.kind === 'inline') {
      if ((text(s, 'raw') ?? text(s, 'value') ?? '').trim() === '') continue;
      return s;
    }
    if (
      s.kind === 'expressionstatement' &&
      isCall(child(s, 'expression'), ['define', 'class_alias'])
    )
      continue;
    if (s.kind === 'if' || s.kind === 'block') {
      // Conditional declarations (`if (!function_exists(...)) { function ... }`) are not side effects.
      const branches: PhpNode[] = [];
      const body = child(s, 'body');
      if (body) branches.push(...(body.kind === 'block' ? children(body, 'children') : [body]));
      branches.push(...children(s, 'children'));
      const alt = child(s, 'alternate');
      if (alt) branches.push(alt);
      if (firstSideEffect(branches)) return s;
      continue;
    }
    return s;
  }
  return undefined;
}

function checkGuard(ctx: CheckContext, rel: string, ast: PhpNode): void {
  const statements = topLevelStatements(ast).map((t) => t.node);
  const guard = statements.findIndex(isGuard);
  const effect = firstSideEffect(guard >= 0 ? statements.slice(0, guard) : statements);
  if (!effect) return;
  ctx.report(
    'php/moodle-internal',
    { file: rel, ...position(effect) },
    guard >= 0
      ? `${rel} runs code at line ${position(effect).line} before its MOODLE_INTERNAL check, so that code also runs when the file is requested directly.`
      : `${rel} runs code when included (line ${position(effect).line}) but neither requires config.php nor has a MOODLE_INTERNAL check.`,
    "Put `defined('MOODLE_INTERNAL') || die();` before the first statement that does something.",
  );
}

function checkCliScript(ctx: CheckContext, rel: string, ast: PhpNode, include: PhpNode): void {
  const defines: PhpNode[] = [];
  fileLevelWalk(ast, (n) => {
    if (!isCall(n, ['define']) || offsetOf(n) > offsetOf(include)) return;
    const arg = children(n, 'arguments')[0];
    if (arg?.kind === 'string' && text(arg, 'value') === 'CLI_SCRIPT') defines.push(n);
  });
  if (defines.length > 0) return;
  ctx.report(
    'php/cli-script',
    { file: rel, ...position(include) },
    `${rel} requires config.php without defining CLI_SCRIPT first; Moodle stops it with "Command line scripts must define CLI_SCRIPT before requiring config.php".`,
    "Add `define('CLI_SCRIPT', true);` before the require.",
  );
}

function checkClosingTag(ctx: CheckContext, rel: string, ast: PhpNode): void {
  const code = ctx.plugin.text(rel) ?? '';
  const m = /\?>\s*$/.exec(code);
  if (!m) return;
  // Templates that mix HTML and PHP legitimately end in `?>`; only pure PHP files are flagged.
  const html = topLevelStatements(ast).some(
    (t) => t.node.kind === 'inline' && (text(t.node, 'raw') ?? '').trim() !== '',
  );
  if (html) return;
  const before = code.slice(0, m.index);
  const line = before.split('\n').length;
  ctx.report(
    'php/closing-tag',
    { file: rel, line, column: m.index - before.lastIndexOf('\n') },
    `${rel} ends with a closing \`?>\` tag.`,
    'Delete the final `?>`.',
  );
}
