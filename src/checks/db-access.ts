// db/access.php and db/messages.php: definitions Moodle reads with require() during install and
// upgrade, so an undefined constant there is a fatal Error in PHP 8, not a quiet mistake.
import {
  assignments,
  evaluate,
  isPhpArray,
  position,
  text,
  walk,
  type PhpArray,
  type PhpNode,
  type PhpValue,
  UNKNOWN,
} from '../plugin/php.js';
import type { CheckContext, RuleMeta } from './types.js';

export const ACCESS_RULES: readonly RuleMeta[] = [
  {
    id: 'db/capability-name',
    severity: 'warning',
    title: 'Capability name does not follow <type>/<name>:<capability>',
    why: 'update_capabilities() prints "Invalid capability name" for other shapes, and get_capability_string() looks the name up in the component spelled by its prefix, so a wrong prefix shows [[...]] instead of the capability name on every permissions page.',
    fix: "Name capabilities '<type>/<pluginname>:<capability>' in lower case, e.g. 'mod/forum:addinstance'.",
  },
  {
    id: 'db/capability-missing-field',
    severity: 'error',
    title: 'Capability without captype or contextlevel',
    why: 'update_capabilities() inserts captype and contextlevel into NOT NULL columns of the capabilities table; a missing one makes the insert fail and the install stop.',
    fix: "Give every capability 'captype' => 'read' or 'write' and a 'contextlevel' => CONTEXT_... value.",
  },
  {
    id: 'db/capability-captype',
    severity: 'warning',
    title: "captype is not 'read' or 'write'",
    why: "Moodle only knows 'read' and 'write'; has_capability() refuses write capabilities to guests and not-logged-in users, so any other value silently lets them through.",
    fix: "Use 'captype' => 'write' for anything that changes data and 'read' otherwise.",
  },
  {
    id: 'db/capability-contextlevel',
    severity: 'error',
    title: 'contextlevel is not a context level',
    why: 'An undefined constant in db/access.php is a fatal Error on PHP 8 and stops the install; a number that is not a context level makes the capability appear nowhere.',
    fix: 'Use CONTEXT_SYSTEM, CONTEXT_USER, CONTEXT_COURSECAT, CONTEXT_COURSE, CONTEXT_MODULE or CONTEXT_BLOCK.',
  },
  {
    id: 'db/capability-archetype',
    severity: 'error',
    title: 'Unknown archetype or permission in archetypes',
    why: 'assign_legacy_capabilities() throws "invalidlegacy" for an archetype that does not exist, and an undefined CAP_ constant is a fatal Error; either stops the install.',
    fix: 'Use archetypes guest, user, frontpage, student, teacher, editingteacher, coursecreator, manager with CAP_ALLOW, CAP_PREVENT, CAP_PROHIBIT or CAP_INHERIT.',
  },
  {
    id: 'db/capability-riskbitmask',
    severity: 'error',
    title: 'Unknown RISK_ constant in riskbitmask',
    why: 'An undefined constant in db/access.php is a fatal Error on PHP 8, so the install or upgrade stops.',
    fix: 'Combine only RISK_MANAGETRUST, RISK_CONFIG, RISK_XSS, RISK_PERSONAL, RISK_SPAM and RISK_DATALOSS with |.',
  },
  {
    id: 'db/capability-clone',
    severity: 'warning',
    title: 'clonepermissionsfrom is not a capability name',
    why: 'update_capabilities() only clones from an existing capability; anything else is ignored without a message and the new capability falls back to its archetypes, so roles get different permissions than intended.',
    fix: "Set clonepermissionsfrom to an existing capability name such as 'moodle/course:manageactivities'.",
  },
  {
    id: 'db/message-constant',
    severity: 'error',
    title: 'Unknown MESSAGE_ constant in db/messages.php',
    why: 'An undefined constant is a fatal Error on PHP 8 when Moodle reads db/messages.php, so the install or upgrade stops.',
    fix: 'Use MESSAGE_PERMITTED, MESSAGE_FORCED, MESSAGE_DISALLOWED and MESSAGE_DEFAULT_ENABLED.',
  },
  {
    id: 'db/message-provider',
    severity: 'warning',
    title: 'Malformed message provider',
    why: 'Provider names become preference names and the lang string messageprovider:<name>; defaults that are not an array of processor => MESSAGE_* values are ignored, so users get different notification settings than intended.',
    fix: "Use lower-case provider names and 'defaults' => ['popup' => MESSAGE_PERMITTED | MESSAGE_DEFAULT_ENABLED, ...].",
  },
];

const CONTEXT_LEVELS: Readonly<Record<string, number>> = {
  CONTEXT_SYSTEM: 10,
  CONTEXT_USER: 30,
  CONTEXT_COURSECAT: 40,
  CONTEXT_COURSE: 50,
  CONTEXT_MODULE: 70,
  CONTEXT_BLOCK: 80,
};
const PERMISSIONS: Readonly<Record<string, number>> = {
  CAP_INHERIT: 0,
  CAP_ALLOW: 1,
  CAP_PREVENT: -1,
  CAP_PROHIBIT: -1000,
};
const RISKS: Readonly<Record<string, number>> = {
  RISK_MANAGETRUST: 0x1,
  RISK_CONFIG: 0x2,
  RISK_XSS: 0x4,
  RISK_PERSONAL: 0x8,
  RISK_SPAM: 0x10,
  RISK_DATALOSS: 0x20,
};
const MESSAGE_CONSTANTS: Readonly<Record<string, number | string>> = {
  MESSAGE_DEFAULT_ENABLED: 0x1,
  MESSAGE_DEFAULT_LOGGEDIN: 0x1,
  MESSAGE_DEFAULT_LOGGEDOFF: 0x2,
  MESSAGE_DISALLOWED: 0x4,
  MESSAGE_PERMITTED: 0x8,
  MESSAGE_FORCED: 0xc,
  MESSAGE_PERMITTED_MASK: 0xc,
  MESSAGE_DEFAULT_PERMITTED: 'permitted',
};
const CONSTANTS: Readonly<Record<string, PhpValue>> = {
  ...CONTEXT_LEVELS,
  ...PERMISSIONS,
  ...RISKS,
  ...MESSAGE_CONSTANTS,
};
const ARCHETYPES = new Set([
  'guest',
  'user',
  'frontpage',
  'student',
  'teacher',
  'editingteacher',
  'coursecreator',
  'manager',
  'admin',
]);
const CAPABILITY_RE = /^[a-z]+\/[a-z_0-9]+:[a-z_0-9]+$/;

/** The array last assigned to `$variable` at file level, evaluated, with its node. */
export function definitionArray(
  ast: PhpNode,
  variable: string,
  constants: Readonly<Record<string, PhpValue>> = CONSTANTS,
): { value: PhpArray; node: PhpNode } | undefined {
  const found = assignments(ast).filter(
    (a) => a.variable === variable && a.target === undefined && !a.dynamicTarget,
  );
  const last = found.at(-1);
  if (!last) return undefined;
  const value = evaluate(last.value, constants);
  return isPhpArray(value) ? { value, node: last.value } : undefined;
}

export function entry(arr: PhpArray, key: string): PhpArray['entries'][number] | undefined {
  return arr.entries.find((e) => e.key === key);
}

/** Bare constant names under a node that start with one of the prefixes and are not known. */
function unknownConstants(
  node: PhpNode,
  prefix: RegExp,
  known: Readonly<Record<string, unknown>>,
): PhpNode[] {
  const out: PhpNode[] = [];
  walk(node, (n) => {
    if (n.kind !== 'name') return;
    const name = (text(n, 'name') ?? '').replace(/^\\/, '');
    if (prefix.test(name) && !(name in known)) out.push(n);
  });
  return out;
}

const nameText = (n: PhpNode): string => (text(n, 'name') ?? '').replace(/^\\/, '');

export function checkAccess(ctx: CheckContext): void {
  const file = 'db/access.php';
  const ast = ctx.plugin.php(file)?.ast;
  if (!ast) return;
  const caps = definitionArray(ast, 'capabilities');
  if (!caps) return;
  const at = (n: PhpNode): { file: string; line: number; column: number } => ({
    file,
    ...position(n),
  });
  const { type, name } = ctx.plugin;
  const prefix = type && name ? `${type}/${name}:` : undefined;

  for (const cap of caps.value.entries) {
    if (typeof cap.key !== 'string') continue;
    const capname = cap.key;
    const keyAt = at(cap.keyNode ?? cap.node);
    if (!CAPABILITY_RE.test(capname)) {
      ctx.report(
        'db/capability-name',
        keyAt,
        `Capability '${capname}' is not of the form <type>/<name>:<capability> in lower case.`,
      );
    } else if (prefix && !capname.startsWith(prefix)) {
      ctx.report(
        'db/capability-name',
        keyAt,
        `Capability '${capname}' does not start with '${prefix}', so its name string is looked up in another component.`,
      );
    }
    if (!isPhpArray(cap.value)) continue;
    const def = cap.value;

    const captype = entry(def, 'captype');
    if (!captype) {
      ctx.report('db/capability-missing-field', keyAt, `Capability '${capname}' has no 'captype'.`);
    } else if (
      captype.value !== 'read' &&
      captype.value !== 'write' &&
      typeof captype.value === 'string'
    ) {
      ctx.report(
        'db/capability-captype',
        at(captype.node),
        `Capability '${capname}' has captype '${captype.value}'; use 'read' or 'write'.`,
      );
    }

    const level = entry(def, 'contextlevel');
    if (!level) {
      ctx.report(
        'db/capability-missing-field',
        keyAt,
        `Capability '${capname}' has no 'contextlevel'.`,
      );
    } else {
      const bad = unknownConstants(level.node, /^CONTEXT_/, CONTEXT_LEVELS)[0];
      if (bad) {
        ctx.report(
          'db/capability-contextlevel',
          at(bad),
          `Capability '${capname}': ${nameText(bad)} is not a Moodle context level constant.`,
        );
      } else if (
        typeof level.value === 'number' &&
        !Object.values(CONTEXT_LEVELS).includes(level.value)
      ) {
        ctx.report(
          'db/capability-contextlevel',
          at(level.node),
          `Capability '${capname}': contextlevel ${level.value} is not a context level.`,
        );
      }
    }

    const risk = entry(def, 'riskbitmask');
    if (risk) {
      for (const bad of unknownConstants(risk.node, /^RISK_/, RISKS)) {
        ctx.report(
          'db/capability-riskbitmask',
          at(bad),
          `Capability '${capname}': ${nameText(bad)} is not a Moodle RISK_ constant.`,
        );
      }
    }

    const archetypes = entry(def, 'archetypes');
    if (archetypes && isPhpArray(archetypes.value)) {
      for (const a of archetypes.value.entries) {
        if (typeof a.key === 'string' && !ARCHETYPES.has(a.key)) {
          ctx.report(
            'db/capability-archetype',
            at(a.keyNode ?? a.node),
            `Capability '${capname}': '${a.key}' is not a role archetype.`,
          );
        }
        const bad = unknownConstants(a.node, /^CAP_/, PERMISSIONS)[0];
        if (bad) {
          ctx.report(
            'db/capability-archetype',
            at(bad),
            `Capability '${capname}': ${nameText(bad)} is not a permission constant.`,
          );
        } else if (typeof a.value === 'number' && !Object.values(PERMISSIONS).includes(a.value)) {
          ctx.report(
            'db/capability-archetype',
            at(a.node),
            `Capability '${capname}': ${a.value} is not a permission value.`,
          );
        }
      }
    }

    const clone = entry(def, 'clonepermissionsfrom');
    if (clone && typeof clone.value === 'string' && !CAPABILITY_RE.test(clone.value)) {
      ctx.report(
        'db/capability-clone',
        at(clone.node),
        `Capability '${capname}': clonepermissionsfrom '${clone.value}' is not a capability name.`,
      );
    }
  }
}

export function checkMessages(ctx: CheckContext): void {
  const file = 'db/messages.php';
  const ast = ctx.plugin.php(file)?.ast;
  if (!ast) return;
  const providers = definitionArray(ast, 'messageproviders');
  if (!providers) return;
  const at = (n: PhpNode): { file: string; line: number; column: number } => ({
    file,
    ...position(n),
  });
  for (const bad of unknownConstants(providers.node, /^MESSAGE_/, MESSAGE_CONSTANTS)) {
    ctx.report(
      'db/message-constant',
      at(bad),
      `${nameText(bad)} is not a Moodle MESSAGE_ constant.`,
    );
  }
  for (const p of providers.value.entries) {
    const where = at(p.keyNode ?? p.node);
    if (typeof p.key !== 'string' || !/^[a-z][a-z0-9_]*$/.test(p.key)) {
      ctx.report(
        'db/message-provider',
        where,
        `Message provider name '${String(p.key)}' should be lower-case letters, digits and underscores.`,
      );
    }
    if (!isPhpArray(p.value)) {
      if (p.value !== UNKNOWN)
        ctx.report(
          'db/message-provider',
          where,
          `Message provider '${String(p.key)}' must be an array.`,
        );
      continue;
    }
    const defaults = entry(p.value, 'defaults');
    if (defaults && !isPhpArray(defaults.value) && typeof defaults.value !== 'symbol') {
      ctx.report(
        'db/message-provider',
        at(defaults.node),
        `Message provider '${String(p.key)}': 'defaults' must be an array of processor => MESSAGE_* values.`,
      );
    } else if (defaults && isPhpArray(defaults.value)) {
      for (const d of defaults.value.entries) {
        if (
          typeof d.key !== 'string' ||
          (typeof d.value !== 'number' && typeof d.value !== 'symbol')
        ) {
          ctx.report(
            'db/message-provider',
            at(d.node),
            `Message provider '${String(p.key)}': default for '${String(d.key)}' should be a processor name mapped to MESSAGE_* flags.`,
          );
        }
      }
    }
  }
}
