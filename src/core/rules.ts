// What every rule is, whatever reports it: the catalogue, the docs pages and SARIF's rule metadata
// are made from these. Lives at the bottom so every layer can declare its rules.
import type { Finding, Severity } from './finding.js';

/** A rule's documentation; the docs pages and SARIF rule metadata are generated from it. */
export interface RuleMeta {
  /** Stable `family/name`. Never renamed once released. */
  id: string;
  severity: Severity;
  /** One line, shown as the annotation title and SARIF short description. */
  title: string;
  /** Why it matters: what Moodle or the Plugins directory does when it is broken. */
  why: string;
  /** How to fix it. */
  fix: string;
}

/** Where a finding points: a file relative to the plugin root, and a line and column in it. */
export interface Where {
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
}

/**
 * The one way to make a finding: from its rule, so its id and severity are the rule's and can
 * never drift from what the docs and SARIF say.
 */
export function makeFinding(
  rule: RuleMeta,
  message: string,
  where: Where = {},
  hint?: string,
): Finding {
  return {
    ruleId: rule.id,
    severity: rule.severity,
    ...(where.file !== undefined ? { file: where.file } : {}),
    ...(where.line !== undefined ? { line: where.line } : {}),
    ...(where.column !== undefined ? { column: where.column } : {}),
    message,
    ...(hint !== undefined ? { hint } : {}),
  };
}

/** The family whose rule ids are PHP_CodeSniffer's sniff codes (src/style/rules.ts). */
export const CS_FAMILY = 'cs';

/** A sniff code as phpcs prints it: Standard.Category.Sniff.Code (Internal.* codes have three parts). */
const SNIFF_CODE = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+){2,3}$/;

/** Whether an id is a cs/* rule: `cs/` and a sniff code (so the config may name one). */
export function isCsRuleId(id: string): boolean {
  return id.startsWith(`${CS_FAMILY}/`) && SNIFF_CODE.test(id.slice(CS_FAMILY.length + 1));
}

/** Families whose rule ids are the linter's own: ESLint's (javascript/*) and stylelint's (css/*). */
export const LINTER_FAMILIES = ['javascript', 'css'] as const;

/**
 * Whether an id is one a third-party tool names: a sniff code (cs/*), an ESLint or stylelint rule
 * (`javascript/no-console`, `javascript/promise-always-return`, `css/color-hex-case`).
 */
export function isDynamicRuleId(id: string): boolean {
  if (isCsRuleId(id)) return true;
  const [family, name, ...rest] = id.split('/');
  return (
    rest.length === 0 &&
    (LINTER_FAMILIES as readonly string[]).includes(family ?? '') &&
    /^[a-z0-9][a-z0-9-]*$/.test(name ?? '')
  );
}
