import { declaredArray, stringKeys } from '../plugin/db-arrays.js';
import { child, children, evaluate, nameOf, position, text, type PhpNode } from '../plugin/php.js';
import type { Plugin } from '../plugin/plugin.js';
import type { CheckContext, CheckFamily, RuleMeta } from './types.js';

const RULES = [
  {
    id: 'lang/missing-file',
    severity: 'error',
    title: 'The English language file is missing',
    why: 'Moodle reads every string of a plugin from lang/en/<component>.php (lang/en/<name>.php for activity modules). Without it the plugin shows as [[pluginname]] everywhere, the Moodle Plugins directory refuses the upload, and moodle-plugin-ci validate fails.',
    fix: 'Create the file with at least the plugin name string, named exactly as Moodle expects.',
  },
  {
    id: 'lang/missing-string',
    severity: 'error',
    title: "The plugin's name string is missing",
    why: "Moodle takes a plugin's display name from one string: pluginname (filtername for filters, dataformat for data formats, modulename or pluginname for activities). Without it the admin pages show [[pluginname]], the Moodle Plugins directory refuses the plugin, and moodle-plugin-ci validate fails.",
    fix: "Add the string to the English language file, e.g. $string['pluginname'] = 'My plugin';.",
  },
  {
    id: 'lang/missing-module-string',
    severity: 'warning',
    title: 'An activity module string Moodle uses is missing',
    why: 'Moodle shows modulename in the activity chooser and the "Add an activity" menus, and modulenameplural in the course index of activities and the navigation. Without them users see [[modulename]].',
    fix: "Add $string['modulename'] and $string['modulenameplural'] to lang/en/<name>.php.",
  },
  {
    id: 'lang/missing-capability-string',
    severity: 'warning',
    title: 'A capability has no name string',
    why: 'Moodle names each capability with the string <name>:<capability> of its plugin on the role, permission and override pages. Without it those pages print [[name:cap]] and a debugging message; for an activity module moodle-plugin-ci validate also fails on <name>:addinstance.',
    fix: "Add $string['<name>:<capability>'] = '...'; for each capability in db/access.php.",
  },
  {
    id: 'lang/missing-messageprovider-string',
    severity: 'warning',
    title: 'A message provider has no name string',
    why: 'Moodle lists every message provider on the notification preferences page under the string messageprovider:<key>. Without it users see [[messageprovider:key]] where they choose how to be notified.',
    fix: "Add $string['messageprovider:<key>'] = '...'; for each provider in db/messages.php.",
  },
  {
    id: 'lang/dynamic-key',
    severity: 'warning',
    title: 'A string key is not a literal',
    why: 'AMOS, which imports plugin strings for translation, and moodle-plugin-ci read language files without running them; a key computed at run time is invisible to them, so it is never translated and required strings look missing.',
    fix: "Write every key as a quoted literal: $string['key'] = '...';.",
  },
  {
    id: 'lang/duplicate-key',
    severity: 'warning',
    title: 'A string is defined twice',
    why: 'PHP keeps the last assignment, so the first text is silently lost; translators on AMOS see only one of them.',
    fix: 'Remove one of the two definitions, or rename one string.',
  },
  {
    id: 'lang/unexpected-code',
    severity: 'warning',
    title: 'A language file contains code',
    why: "Moodle includes language files while building its string cache, and AMOS parses them as data: anything but $string['key'] = '...'; assignments runs at odd times (or prints output into pages and web service replies) and cannot be imported for translation.",
    fix: "Keep only $string['key'] = 'text'; lines (and comments) in the file; move logic into the plugin's code.",
  },
  {
    id: 'lang/non-static-value',
    severity: 'warning',
    title: 'A string value is not a constant text',
    why: 'Values must be literal text (concatenation of literals is fine) so AMOS can import and translate them. A variable, a function call or PHP interpolation such as "{$a}" in double quotes is evaluated when the file is included: the placeholder becomes an empty string and a PHP warning.',
    fix: "Use single quotes for placeholders ('Hello {$a}') and literal text only.",
  },
] as const satisfies readonly RuleMeta[];

type RuleId = (typeof RULES)[number]['id'];

/** Moodle's name for a plugin's English strings file (core_string_manager_standard::load_component_strings). */
export function langFilePath(plugin: Plugin): string | undefined {
  if (!plugin.component || !plugin.name) return undefined;
  return `lang/en/${plugin.type === 'mod' ? plugin.name : plugin.component}.php`;
}

interface LangStrings {
  keys: Map<string, PhpNode>;
  /** Strings may be defined in ways we cannot see (includes, computed keys): skip "missing" checks. */
  incomplete: boolean;
}

export const langFamily: CheckFamily = {
  family: 'lang',
  rules: RULES,
  run(ctx) {
    const { plugin } = ctx;
    const file = langFilePath(plugin);
    if (!file) return;
    const report: Report = (id, where, msg, hint) => {
      ctx.report(id, where, msg, hint);
    };

    if (!plugin.has(file)) {
      const other =
        plugin.type === 'mod'
          ? `lang/en/${plugin.component ?? ''}.php`
          : `lang/en/${plugin.name ?? ''}.php`;
      const comp = plugin.version.fields.component;
      report(
        'lang/missing-file',
        comp ? { file: 'version.php', line: comp.line, column: comp.column } : {},
        `${plugin.component ?? ''} has no English language file ${file}.` +
          (plugin.has(other)
            ? ` ${other} exists, but Moodle does not read that name for a ${plugin.type ?? ''} plugin.`
            : ''),
        plugin.has(other)
          ? `Rename ${other} to ${file}.`
          : `Create ${file} with the plugin name string.`,
      );
      return;
    }
    const ast = plugin.php(file)?.ast;
    if (!ast) return; // The php family reports syntax errors.
    const strings = readStrings(ast, file, report);

    if (strings.incomplete) return;
    checkRequiredStrings(plugin, file, strings, report);
    checkCapabilityStrings(plugin, file, strings, report);
    checkMessageProviderStrings(plugin, file, strings, report);
  },
};

type Report = (
  id: RuleId,
  where: Parameters<CheckContext['report']>[1],
  msg: string,
  hint?: string,
) => void;

function readStrings(program: PhpNode, file: string, report: Report): LangStrings {
  const keys = new Map<string, PhpNode>();
  let incomplete = false;

  const visit = (list: PhpNode[]): void => {
    for (const s of list) {
      if (s.kind === 'declare') {
        visit(children(s, 'children'));
        continue;
      }
      if (s.kind === 'inline') {
        if ((text(s, 'raw') ?? '').trim() === '') continue;
        report(
          'lang/unexpected-code',
          { file, ...position(s) },
          `${file} prints text outside PHP tags; it ends up in every page and web service reply that loads these strings.`,
          'Remove the text and the closing ?> tag.',
        );
        continue;
      }
      if (isMoodleInternalGuard(s)) continue;
      const expr = s.kind === 'expressionstatement' ? child(s, 'expression') : undefined;
      if (expr && isStringAssign(expr)) {
        let assign: PhpNode | undefined = expr;
        let value: PhpNode | undefined;
        // `$string['a'] = $string['b'] = 'x';` defines both keys.
        while (assign && isStringAssign(assign)) {
          const left = child(assign, 'left');
          const keyNode = child(left, 'offset');
          const k = keyNode ? evaluate(keyNode) : undefined;
          if (typeof k === 'string' || typeof k === 'number') {
            const key = String(k);
            const first = keys.get(key);
            if (first) {
              report(
                'lang/duplicate-key',
                { file, ...position(left) },
                `$string['${key}'] is defined again in ${file}; it was first defined on line ${position(first).line}, and PHP keeps only this last value.`,
                'Remove one of the two definitions.',
              );
            } else keys.set(key, left ?? s);
          } else {
            incomplete = true;
            report(
              'lang/dynamic-key',
              { file, ...position(keyNode ?? left) },
              `${file} defines a string with a computed key; AMOS and moodle-plugin-ci cannot see it.`,
              "Write the key as a quoted literal: $string['key'] = '...';.",
            );
          }
          value = child(assign, 'right');
          assign = value;
        }
        if (value && !isStaticText(value)) {
          const interpolated = value.kind === 'encapsed';
          report(
            'lang/non-static-value',
            { file, ...position(value) },
            interpolated
              ? `A string in ${file} is in double quotes with PHP interpolation; PHP replaces the variable when the file is included, so Moodle never sees the placeholder.`
              : `A string in ${file} is not constant text (${describe(value)}); AMOS cannot import it and its value is computed whenever the file is included.`,
            interpolated
              ? "Use single quotes: 'Hello {$a}'."
              : 'Replace the expression with literal text (concatenating literals is fine).',
          );
        }
        continue;
      }
      if (s.kind === 'expressionstatement' && child(s, 'expression')?.kind === 'include')
        incomplete = true;
      if (expr?.kind === 'assign' && nameOf(child(expr, 'left')) === 'string') incomplete = true;
      report(
        'lang/unexpected-code',
        { file, ...position(s) },
        `${file} contains ${describe(expr ?? s)}; a language file should hold only $string['key'] = '...'; assignments.`,
        'Move the code out of the language file.',
      );
    }
  };
  visit(children(program, 'children'));
  return { keys, incomplete };
}

function isStringAssign(n: PhpNode): boolean {
  if (n.kind !== 'assign' || n.operator !== '=') return false;
  const left = child(n, 'left');
  const base = child(left, 'what');
  return (
    left?.kind === 'offsetlookup' && base?.kind === 'variable' && text(base, 'name') === 'string'
  );
}

/** `defined('MOODLE_INTERNAL') || die();`, `... or exit;` and the `if (!defined(...)) die;` form. */
function isMoodleInternalGuard(s: PhpNode): boolean {
  const test =
    s.kind === 'if'
      ? child(s, 'test')
      : s.kind === 'expressionstatement'
        ? child(s, 'expression')
        : undefined;
  if (!test) return false;
  let found = false;
  const scan = (n: PhpNode | undefined): void => {
    if (!n || found) return;
    if (
      n.kind === 'call' &&
      text(child(n, 'what'), 'name')?.replace(/^\\/, '').toLowerCase() === 'defined'
    ) {
      const arg = children(n, 'arguments')[0];
      found = evaluate(arg) === 'MOODLE_INTERNAL';
      return;
    }
    if (n.kind === 'bin' || n.kind === 'unary') {
      scan(child(n, 'left'));
      scan(child(n, 'what'));
    }
  };
  scan(test);
  return found;
}

/** Literal text: strings, numbers, heredocs without interpolation, and concatenations of those. */
function isStaticText(n: PhpNode): boolean {
  if (n.kind === 'encapsed') {
    return children(n, 'value').every((part) => child(part, 'expression')?.kind === 'string');
  }
  if (n.kind === 'bin' && n.type === '.') {
    const l = child(n, 'left');
    const r = child(n, 'right');
    return !!l && !!r && isStaticText(l) && isStaticText(r);
  }
  const v = evaluate(n);
  return typeof v === 'string' || typeof v === 'number';
}

function describe(n: PhpNode): string {
  switch (n.kind) {
    case 'call':
      return `a call to ${nameOf(child(n, 'what')) ?? 'a function'}()`;
    case 'variable':
      return `the variable $${text(n, 'name') ?? ''}`;
    case 'name':
      return `the constant ${text(n, 'name') ?? ''}`;
    case 'assign':
      return `an assignment to $${nameOf(child(n, 'left')) ?? '...'}`;
    case 'include':
      return 'an include of another file';
    case 'echo':
    case 'print':
      return 'output (echo/print)';
    case 'function':
      return 'a function declaration';
    case 'class':
      return 'a class declaration';
    default:
      return `a ${n.kind} statement`;
  }
}

function checkRequiredStrings(
  plugin: Plugin,
  file: string,
  strings: LangStrings,
  report: Report,
): void {
  const has = (k: string): boolean => strings.keys.has(k);
  const missing = (key: string, why: string): void => {
    report(
      'lang/missing-string',
      { file },
      `${file} does not define $string['${key}']; ${why}`,
      `Add $string['${key}'] = '...'; to ${file}.`,
    );
  };
  switch (plugin.type) {
    case 'mod':
      if (!has('modulename') && !has('pluginname')) {
        missing(
          'modulename',
          'Moodle names an activity module by modulename (or pluginname), so it would show as [[modulename]].',
        );
      }
      for (const key of ['modulename', 'modulenameplural']) {
        if (has(key) || (key === 'modulename' && !has('pluginname'))) continue;
        report(
          'lang/missing-module-string',
          { file },
          `${file} does not define $string['${key}']; Moodle shows it in the ${key === 'modulename' ? 'activity chooser' : 'course index of activities and the navigation'}.`,
          `Add $string['${key}'] = '...'; to ${file}.`,
        );
      }
      break;
    case 'filter':
      if (!has('filtername'))
        missing(
          'filtername',
          `Moodle names filters by filtername, not pluginname, so the filter would show as [filtername,${plugin.component ?? ''}].`,
        );
      break;
    case 'dataformat':
      if (!has('dataformat'))
        missing(
          'dataformat',
          `Moodle names data formats by the dataformat string, so the download menus would show [dataformat,${plugin.component ?? ''}].`,
        );
      break;
    default:
      if (!has('pluginname'))
        missing(
          'pluginname',
          'Moodle shows it as the name of the plugin everywhere, and the Moodle Plugins directory requires it.',
        );
  }
}

/** get_capability_string(): 'type/name:cap' is named by the string 'name:cap' of component type_name. */
function checkCapabilityStrings(
  plugin: Plugin,
  file: string,
  strings: LangStrings,
  report: Report,
): void {
  const decl = declaredArray(plugin, 'db/access.php', 'capabilities');
  if (!decl) return;
  for (const { key, node } of stringKeys(decl)) {
    const m = /^([a-z0-9_]+)\/([a-z0-9_]+):(.+)$/.exec(key);
    if (!m || `${m[1]!}_${m[2]!}` !== plugin.component) continue;
    const stringName = `${m[2]!}:${m[3]!}`;
    if (strings.keys.has(stringName)) continue;
    report(
      'lang/missing-capability-string',
      { file: 'db/access.php', ...position(node) },
      `Capability ${key} has no name string: ${file} does not define $string['${stringName}'].`,
      `Add $string['${stringName}'] = '...'; to ${file}.`,
    );
  }
}

function checkMessageProviderStrings(
  plugin: Plugin,
  file: string,
  strings: LangStrings,
  report: Report,
): void {
  const decl = declaredArray(plugin, 'db/messages.php', 'messageproviders');
  if (!decl) return;
  for (const { key, node } of stringKeys(decl)) {
    const stringName = `messageprovider:${key}`;
    if (strings.keys.has(stringName)) continue;
    report(
      'lang/missing-messageprovider-string',
      { file: 'db/messages.php', ...position(node) },
      `Message provider '${key}' has no name string: ${file} does not define $string['${stringName}'].`,
      `Add $string['${stringName}'] = '...'; to ${file}.`,
    );
  }
}
