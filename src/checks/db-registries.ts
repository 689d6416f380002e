// db/services.php, db/tasks.php and db/events.php: registries that name classes. Moodle stores
// them at install without loading the classes, so a wrong name surfaces only when the web service,
// task or observer runs; these rules are warnings for that reason.
import { classLikes, isPhpArray, position, type PhpArray, type PhpNode } from '../plugin/php.js';
import { declaresMethod, lookupClass, pluginRelative } from './db-classes.js';
import { definitionArray, entry } from './db-access.js';
import type { CheckContext, RuleMeta } from './types.js';

export const REGISTRY_RULES: readonly RuleMeta[] = [
  {
    id: 'db/service-function-name',
    severity: 'warning',
    title: 'External function name does not start with the component',
    why: 'External function names share one site-wide namespace; Moodle requires them to start with <component>_ so two plugins cannot register the same name, and the Plugins directory review rejects other names.',
    fix: "Rename the function to '<component>_<verb>_<noun>', e.g. 'mod_forum_get_discussions'.",
  },
  {
    id: 'db/service-class-missing',
    severity: 'warning',
    title: 'External function class not found',
    why: 'Moodle registers the function at install without loading its class; every call (web services, the mobile app, AJAX) then fails with "Cannot find file with external function implementation" or a missing class.',
    fix: 'Put the class where the autoloader finds it (\\<component>\\external\\foo in classes/external/foo.php), or fix classname/classpath.',
  },
  {
    id: 'db/service-type',
    severity: 'warning',
    title: "External function type is not 'read' or 'write'",
    why: "Moodle uses the type to decide which functions read-only tokens and sessions may call; any other value is treated as neither and the function's access checks behave unexpectedly.",
    fix: "Set 'type' => 'read' for functions that only read data, 'write' otherwise.",
  },
  {
    id: 'db/task-class-missing',
    severity: 'warning',
    title: 'Scheduled task class not found',
    why: 'core\\task\\manager skips a task whose class does not load ("Failed to load task"), so the task is listed nowhere and never runs.',
    fix: 'Create the class under classes/ matching its namespace (\\<component>\\task\\foo in classes/task/foo.php), or fix the classname.',
  },
  {
    id: 'db/task-cron-field',
    severity: 'warning',
    title: 'Invalid cron field in a scheduled task',
    why: "Moodle evaluates minute/hour/day/month/dayofweek with its own cron parser; values outside the field's range or unsupported syntax give a schedule other than the one written, or none.",
    fix: 'Use *, R, numbers in range, a-b ranges, */n or a-b/n steps and comma lists (minute 0-59, hour 0-23, day 1-31, month 1-12, dayofweek 0-7).',
  },
  {
    id: 'db/observer-invalid',
    severity: 'warning',
    title: 'Invalid event observer',
    why: 'core\\event\\manager drops observers without an eventname or callback, or with a missing includefile, and a callback whose class or method does not exist is never called; the plugin silently misses the events it relies on.',
    fix: "Give each observer 'eventname' => '\\core\\event\\...' and 'callback' => '\\<component>\\observer::method' pointing at an existing static method.",
  },
];

type At = (n: PhpNode) => { file: string; line: number; column: number };
const atIn =
  (file: string): At =>
  (n) => ({ file, ...position(n) });

export function checkServices(ctx: CheckContext): void {
  const file = 'db/services.php';
  const ast = ctx.plugin.php(file)?.ast;
  const component = ctx.plugin.component;
  if (!ast || !component) return;
  const functions = definitionArray(ast, 'functions');
  if (!functions) return;
  const at = atIn(file);
  for (const fn of functions.value.entries) {
    if (typeof fn.key !== 'string') continue;
    const where = at(fn.keyNode ?? fn.node);
    if (!fn.key.toLowerCase().startsWith(`${component}_`)) {
      ctx.report(
        'db/service-function-name',
        where,
        `External function '${fn.key}' does not start with '${component}_'.`,
      );
    }
    if (!isPhpArray(fn.value)) continue;
    const type = entry(fn.value, 'type');
    if (type && typeof type.value === 'string' && type.value !== 'read' && type.value !== 'write') {
      ctx.report(
        'db/service-type',
        at(type.node),
        `External function '${fn.key}' has type '${type.value}'; use 'read' or 'write'.`,
      );
    }
    checkServiceClass(ctx, fn.key, fn.value, where, at);
  }
}

function checkServiceClass(
  ctx: CheckContext,
  fname: string,
  def: PhpArray,
  where: ReturnType<At>,
  at: At,
): void {
  const classname = entry(def, 'classname');
  if (!classname) {
    ctx.report(
      'db/service-class-missing',
      where,
      `External function '${fname}' has no 'classname'.`,
    );
    return;
  }
  if (typeof classname.value !== 'string') return;
  const found = lookupClass(ctx.plugin, classname.value);
  if (found.status === 'found') return;
  // Legacy functions live in 'classpath', by default the plugin's externallib.php.
  const classpath = entry(def, 'classpath');
  const cp = typeof classpath?.value === 'string' ? classpath.value : '';
  const explicit = cp !== '';
  const legacyFile = explicit ? pluginRelative(ctx.plugin, cp) : 'externallib.php';
  if (legacyFile === undefined) return;
  if (ctx.plugin.has(legacyFile)) {
    const legacyAst = ctx.plugin.php(legacyFile)?.ast;
    const wanted = classname.value.replace(/^\\+/, '').toLowerCase();
    if (!legacyAst || classLikes(legacyAst).some((c) => c.fqn.toLowerCase() === wanted)) return;
  }
  if (found.status === 'unchecked' && !explicit) return;
  const where2 = found.status === 'missing' ? found.file : legacyFile;
  ctx.report(
    'db/service-class-missing',
    at(classname.node),
    `External function '${fname}': class '${classname.value}' is not declared in ${where2}.`,
  );
}

const CRON_FIELDS: readonly [string, number, number][] = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day', 1, 31],
  ['month', 1, 12],
  ['dayofweek', 0, 7],
];

/** Moodle's cron grammar: list of (*|n|a-b)(/step)?, or R for a random value. */
export function validCronField(value: string, min: number, max: number): boolean {
  const v = value.trim();
  if (v === 'R' || v === '*') return true;
  const inRange = (s: string): boolean => /^\d+$/.test(s) && Number(s) >= min && Number(s) <= max;
  return v.split(',').every((part) => {
    const m = /^(\*|\d+|\d+-\d+)(?:\/(\d+))?$/.exec(part.trim());
    if (!m) return false;
    const [, range, step] = m;
    if (step !== undefined && Number(step) < 1) return false;
    if (range === '*') return true;
    const [a, b] = range!.split('-');
    if (!inRange(a!)) return false;
    return b === undefined || (inRange(b) && Number(b) >= Number(a));
  });
}

export function checkTasks(ctx: CheckContext): void {
  const file = 'db/tasks.php';
  const ast = ctx.plugin.php(file)?.ast;
  if (!ast) return;
  const tasks = definitionArray(ast, 'tasks');
  if (!tasks) return;
  const at = atIn(file);
  for (const task of tasks.value.entries) {
    if (!isPhpArray(task.value)) continue;
    const classname = entry(task.value, 'classname');
    if (!classname) {
      ctx.report('db/task-class-missing', at(task.node), 'A scheduled task has no classname.');
    } else if (typeof classname.value === 'string') {
      const found = lookupClass(ctx.plugin, classname.value);
      if (found.status === 'missing') {
        ctx.report(
          'db/task-class-missing',
          at(classname.node),
          `Task class '${classname.value}' is not declared in ${found.file}.`,
        );
      }
    }
    for (const [field, min, max] of CRON_FIELDS) {
      const e = entry(task.value, field);
      if (!e || (typeof e.value !== 'string' && typeof e.value !== 'number')) continue;
      if (!validCronField(String(e.value), min, max)) {
        ctx.report(
          'db/task-cron-field',
          at(e.node),
          `Task ${typeof classname?.value === 'string' ? `'${classname.value}' ` : ''}has ${field} '${String(e.value)}', which is not valid cron syntax for ${min}-${max}.`,
        );
      }
    }
  }
}

export function checkEvents(ctx: CheckContext): void {
  const file = 'db/events.php';
  const ast = ctx.plugin.php(file)?.ast;
  if (!ast) return;
  const observers = definitionArray(ast, 'observers');
  if (!observers) return;
  const at = atIn(file);
  for (const o of observers.value.entries) {
    if (!isPhpArray(o.value)) continue;
    const eventname = entry(o.value, 'eventname');
    if (!eventname)
      ctx.report(
        'db/observer-invalid',
        at(o.node),
        "An observer has no 'eventname'; Moodle ignores it.",
      );
    else if (typeof eventname.value === 'string' && eventname.value.trim() === '') {
      ctx.report(
        'db/observer-invalid',
        at(eventname.node),
        "An observer has an empty 'eventname'; Moodle ignores it.",
      );
    }
    const callback = entry(o.value, 'callback');
    if (!callback) {
      ctx.report(
        'db/observer-invalid',
        at(o.node),
        "An observer has no 'callback'; Moodle ignores it.",
      );
      continue;
    }
    const includefile = entry(o.value, 'includefile');
    if (includefile && typeof includefile.value === 'string' && includefile.value !== '') {
      const rel = pluginRelative(ctx.plugin, includefile.value);
      if (rel !== undefined && !ctx.plugin.has(rel)) {
        ctx.report(
          'db/observer-invalid',
          at(includefile.node),
          `Observer includefile '${includefile.value}' does not exist; Moodle ignores the observer.`,
        );
      }
    }
    const target = callbackTarget(callback.value);
    if (!target) continue;
    const found = lookupClass(ctx.plugin, target.cls);
    if (found.status === 'missing') {
      ctx.report(
        'db/observer-invalid',
        at(callback.node),
        `Observer callback class '${target.cls}' is not declared in ${found.file}.`,
      );
    } else if (
      found.status === 'found' &&
      found.cls &&
      declaresMethod(found.cls, target.method) === false
    ) {
      ctx.report(
        'db/observer-invalid',
        at(callback.node),
        `Observer callback '${target.cls}::${target.method}' names a method the class does not declare.`,
      );
    }
  }
}

function callbackTarget(v: unknown): { cls: string; method: string } | undefined {
  if (typeof v === 'string') {
    const m = /^\s*\\?([\w\\]+)::(\w+)\s*$/.exec(v);
    return m ? { cls: m[1]!, method: m[2]! } : undefined;
  }
  if (typeof v === 'object' && v !== null && isPhpArray(v as PhpArray)) {
    const [c, m] = (v as PhpArray).entries.map((e) => e.value);
    return typeof c === 'string' && typeof m === 'string' ? { cls: c, method: m } : undefined;
  }
  return undefined;
}
