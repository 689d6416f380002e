// Upgrade savepoints in db/upgrade.php, read from the AST: the rules local_ci's
// check_upgrade_savepoints enforces with regexes, plus the savepoint's function and component.
import {
  allFunctions,
  child,
  children,
  evaluate,
  position,
  text,
  walk,
  type PhpNode,
} from '../plugin/php.js';
import type { Plugin } from '../plugin/plugin.js';
import { findUpgradeFunction } from './db.js';
import type { CheckContext, CheckFamily, RuleMeta } from './types.js';

const FILE = 'db/upgrade.php';
const SAVEPOINTS = [
  'upgrade_main_savepoint',
  'upgrade_mod_savepoint',
  'upgrade_block_savepoint',
  'upgrade_plugin_savepoint',
];

const RULES: readonly RuleMeta[] = [
  {
    id: 'savepoints/missing',
    severity: 'error',
    title: 'Upgrade step without a savepoint',
    why: 'Without a savepoint the stored version is not advanced after the step; if a later step fails, the next upgrade re-runs this one (adding a field or table twice fails), and moodle-plugin-ci savepoints reports "missing corresponding savepoint call".',
    fix: 'End the if ($oldversion < N) block with the savepoint for N, e.g. upgrade_plugin_savepoint(true, N, type, name).',
  },
  {
    id: 'savepoints/mismatch',
    severity: 'error',
    title: 'Savepoint version differs from its upgrade step',
    why: "The savepoint records a version other than the step's; Moodle then re-runs or skips steps on the next upgrade, and throws downgrade_exception when the recorded version goes backwards.",
    fix: 'Use the same version number in the if ($oldversion < N) test and in its savepoint call.',
  },
  {
    id: 'savepoints/wrong-function',
    severity: 'error',
    title: 'Savepoint for another plugin or plugin type',
    why: "upgrade_*_savepoint() writes the version of the component named by its function and arguments; the wrong one advances another plugin's version (or core's) and leaves this plugin's unchanged, so steps re-run or Moodle throws downgrade_exception.",
    fix: "Use upgrade_mod_savepoint(true, N, '<name>') for activities, upgrade_block_savepoint(true, N, '<name>') for blocks, and upgrade_plugin_savepoint(true, N, '<type>', '<name>') for everything else.",
  },
  {
    id: 'savepoints/order',
    severity: 'error',
    title: 'Upgrade steps out of version order',
    why: 'Each savepoint must advance the stored version; a step with a lower version after a higher one throws downgrade_exception at its savepoint, or is skipped for sites already past it.',
    fix: 'Order the if ($oldversion < N) blocks by ascending N, appending new steps at the end.',
  },
  {
    id: 'savepoints/duplicate',
    severity: 'error',
    title: 'Two savepoints for the same version',
    why: 'The second savepoint for a version finds the stored version already equal to it and throws downgrade_exception, stopping the upgrade; moodle-plugin-ci reports "multiple savepoint calls".',
    fix: 'Give every upgrade step its own version and exactly one savepoint.',
  },
  {
    id: 'savepoints/too-high',
    severity: 'error',
    title: 'Upgrade step newer than version.php',
    why: 'A step above $plugin->version saves a version higher than the one Moodle installs, so Moodle reports a downgrade on the next visit and the step never runs on sites already at the declared version.',
    fix: 'Raise $plugin->version in version.php to at least the highest upgrade step.',
  },
  {
    id: 'savepoints/first-arg',
    severity: 'warning',
    title: 'Savepoint first argument is not true',
    why: 'Moodle throws upgrade_exception when the first argument is false, and moodle-plugin-ci savepoints only counts calls whose first argument is literally true, so it reports the step as missing its savepoint.',
    fix: 'Call the savepoint with true as its first argument after the step has run.',
  },
];

interface Version {
  raw: string;
  value: number;
}

function versionOf(n: PhpNode | undefined): Version | undefined {
  if (!n) return undefined;
  if (
    n.kind === 'number' ||
    (n.kind === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(text(n, 'value') ?? ''))
  ) {
    const raw = (text(n, 'value') ?? '').trim();
    const value = Number(raw.replace(/_/g, ''));
    return Number.isFinite(value) ? { raw, value } : undefined;
  }
  return undefined;
}

const isOldVersion = (n: PhpNode | undefined): boolean =>
  n?.kind === 'variable' && text(n, 'name') === 'oldversion';

/** N from `$oldversion < N`, `N > $oldversion`, or either as the left operand of `&&`. */
function stepVersion(test: PhpNode | undefined): Version | undefined {
  if (test?.kind !== 'bin') return undefined;
  if (test.type === '<' && isOldVersion(child(test, 'left')))
    return versionOf(child(test, 'right'));
  if (test.type === '>' && isOldVersion(child(test, 'right')))
    return versionOf(child(test, 'left'));
  if (test.type === '&&' || test.type === 'and') return stepVersion(child(test, 'left'));
  return undefined;
}

interface Step {
  version: Version;
  node: PhpNode;
  savepoints: PhpNode[];
}

function savepointCalls(root: PhpNode | undefined): PhpNode[] {
  const out: PhpNode[] = [];
  if (!root) return out;
  walk(root, (n) => {
    if (n.kind === 'function' || n.kind === 'closure' || n.kind === 'class') return n === root;
    if (n.kind !== 'call') return;
    const what = child(n, 'what');
    const name =
      what?.kind === 'name' ? text(what, 'name')?.replace(/^\\/, '').toLowerCase() : undefined;
    if (name && SAVEPOINTS.includes(name)) out.push(n);
  });
  return out;
}

/** Outermost `if ($oldversion < N)` blocks, in source order. */
function upgradeSteps(fn: PhpNode): Step[] {
  const steps: Step[] = [];
  const body = child(fn, 'body');
  if (!body) return steps;
  walk(body, (n) => {
    if (n.kind === 'function' || n.kind === 'closure' || n.kind === 'class') return false;
    if (n.kind !== 'if') return;
    const version = stepVersion(child(n, 'test'));
    if (!version) return;
    steps.push({ version, node: n, savepoints: savepointCalls(child(n, 'body')) });
    return false;
  });
  return steps;
}

function expectedCall(plugin: Plugin): { fn: string; args: string[] } | undefined {
  const { type, name } = plugin;
  if (!type || !name) return undefined;
  if (type === 'mod') return { fn: 'upgrade_mod_savepoint', args: [name] };
  if (type === 'block') return { fn: 'upgrade_block_savepoint', args: [name] };
  return { fn: 'upgrade_plugin_savepoint', args: [type, name] };
}

function checkCall(
  ctx: CheckContext,
  call: PhpNode,
  expected: ReturnType<typeof expectedCall>,
): void {
  const where = { file: FILE, ...position(call) };
  const name = (text(child(call, 'what'), 'name') ?? '').replace(/^\\/, '').toLowerCase();
  const args = children(call, 'arguments');
  const first = args[0];
  if (!first || evaluate(first) !== true) {
    ctx.report(
      'savepoints/first-arg',
      where,
      `${name}() is called without true as its first argument.`,
    );
  }
  if (!expected) return;
  const { type, name: pname } = ctx.plugin;
  // upgrade_plugin_savepoint(true, N, type, name) is equivalent for activities and blocks.
  const actual = args.slice(2).map((a) => evaluate(a));
  const wanted = `${expected.fn}(true, N, ${expected.args.map((a) => `'${a}'`).join(', ')})`;
  let ok: boolean;
  if (name === expected.fn) {
    ok = expected.args.every((a, i) => typeof actual[i] !== 'string' || actual[i] === a);
  } else if (name === 'upgrade_plugin_savepoint') {
    ok = [type, pname].every((a, i) => typeof actual[i] !== 'string' || actual[i] === a);
  } else ok = false;
  if (!ok) {
    const shown = args
      .slice(2)
      .map((a) => {
        const v = evaluate(a);
        return typeof v === 'string' ? `'${v}'` : '…';
      })
      .join(', ');
    ctx.report(
      'savepoints/wrong-function',
      where,
      `${name}(…${shown ? `, ${shown}` : ''}) saves another component's version; ${ctx.plugin.component ?? 'this plugin'} needs ${wanted}.`,
    );
  }
}

export const savepointsFamily: CheckFamily = {
  family: 'savepoints',
  rules: RULES,
  run(ctx) {
    const ast = ctx.plugin.php(FILE)?.ast;
    if (!ast) return;
    // A misnamed function is db/upgrade-function-missing's finding; its steps are still checked here.
    const fn =
      findUpgradeFunction(ctx.plugin, ast) ??
      [...allFunctions(ast).entries()].find(([n]) => /^xmldb_\w+_upgrade$/.test(n))?.[1];
    if (!fn) return;
    const expected = expectedCall(ctx.plugin);
    const steps = upgradeSteps(fn);
    const declared = ctx.plugin.version.fields.version?.value;

    let previous: Step | undefined;
    for (const step of steps) {
      const at = { file: FILE, ...position(step.node) };
      const v = step.version.raw;
      if (step.savepoints.length === 0) {
        ctx.report('savepoints/missing', at, `The upgrade step for ${v} has no savepoint call.`);
      }
      for (const sp of step.savepoints) {
        const spv = versionOf(children(sp, 'arguments')[1]);
        if (spv && spv.value !== step.version.value) {
          ctx.report(
            'savepoints/mismatch',
            { file: FILE, ...position(sp) },
            `The upgrade step for ${v} saves version ${spv.raw}.`,
          );
        }
      }
      if (previous && step.version.value < previous.version.value) {
        ctx.report(
          'savepoints/order',
          at,
          `The upgrade step for ${v} comes after the step for ${previous.version.raw}.`,
        );
      }
      if (typeof declared === 'number' && step.version.value > declared) {
        ctx.report(
          'savepoints/too-high',
          at,
          `The upgrade step for ${v} is above $plugin->version (${declared}) in version.php.`,
        );
      }
      previous = step;
    }

    const seen = new Map<number, PhpNode>();
    for (const call of savepointCalls(fn)) {
      checkCall(ctx, call, expected);
      const spv = versionOf(children(call, 'arguments')[1]);
      if (!spv) continue;
      const first = seen.get(spv.value);
      if (first) {
        ctx.report(
          'savepoints/duplicate',
          { file: FILE, ...position(call) },
          `Version ${spv.raw} already has a savepoint on line ${position(first).line}.`,
        );
      } else seen.set(spv.value, call);
    }
  },
};

/**
 * The `if ($oldversion < N)` steps of a plugin's db/upgrade.php with their lines and the
 * versions their savepoints save: the upgrade-path phase checks at run time which ran.
 */
export function upgradeStepsOf(
  plugin: Plugin,
): { version: number; line: number; savepoints: number[] }[] {
  const ast = plugin.php(FILE)?.ast;
  if (!ast) return [];
  const fn =
    findUpgradeFunction(plugin, ast) ??
    [...allFunctions(ast).entries()].find(([n]) => /^xmldb_\w+_upgrade$/.test(n))?.[1];
  if (!fn) return [];
  return upgradeSteps(fn).map((s) => ({
    version: s.version.value,
    line: position(s.node).line,
    savepoints: s.savepoints
      .map((sp) => versionOf(children(sp, 'arguments')[1])?.value)
      .filter((v): v is number => v !== undefined),
  }));
}
