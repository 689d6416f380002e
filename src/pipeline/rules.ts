// The catalogue of every rule the tool can report: the static families', the Moodle phases'
// (install, upgrade, schema, environment), the blueprint's and the tool's own. It sits in the
// pipeline because it gathers the tables of every layer below.
import { SMOKE_RULES } from './smoke-output.js';
import { BLUEPRINT_RULES } from '../blueprint/rules.js';
import { FAMILIES } from '../checks/index.js';
import { CRASH_RULE } from '../checks/run.js';
import { isDynamicRuleId, type RuleMeta } from '../core/rules.js';
import type { Severity } from '../core/finding.js';
import { PHPUNIT_RULES } from '../phpunit/results.js';
import {
  CS_RULES,
  csRule,
  LINTER_RULES,
  linterRule,
  MUSTACHE_RULES,
  PHPDOC_RULES,
} from '../style/rules.js';
import { ENVIRONMENT_EVAL_RULES } from './phases/environment-eval.js';
import { INSTALL_RULES } from './phases/install-output.js';
import { DEPENDENCY_RULES } from '../moodle/source/plugin-dependencies.js';
import { SCHEMA_RULES, UPGRADE_RULES } from './phases/upgrade-output.js';

/** Every rule: the static families', the install/* rules of the Moodle phases, and the tool's own. */
export const ALL_RULES: readonly RuleMeta[] = [
  ...FAMILIES.flatMap((f) => f.rules),
  ...Object.values(INSTALL_RULES),
  ...Object.values(ENVIRONMENT_EVAL_RULES),
  ...Object.values(UPGRADE_RULES),
  ...Object.values(SCHEMA_RULES),
  ...Object.values(BLUEPRINT_RULES),
  ...Object.values(PHPUNIT_RULES),
  ...Object.values(SMOKE_RULES),
  ...Object.values(DEPENDENCY_RULES),
  ...CS_RULES,
  ...Object.values(PHPDOC_RULES),
  ...Object.values(MUSTACHE_RULES),
  ...LINTER_RULES,
  CRASH_RULE,
];

export const RULE_IDS: ReadonlySet<string> = new Set(ALL_RULES.map((r) => r.id));

export function ruleMeta(id: string): RuleMeta | undefined {
  return ALL_RULES.find((r) => r.id === id);
}

/**
 * The catalogue plus a rule for each cs/, javascript/ and css/ id the report holds (their ids are
 * the tools' own), so
 * SARIF can describe every result.
 */
export function rulesFor(findings: readonly { ruleId: string; severity: Severity }[]): RuleMeta[] {
  const extra = new Map<string, RuleMeta>();
  for (const f of findings)
    if (!RULE_IDS.has(f.ruleId) && isDynamicRuleId(f.ruleId) && !extra.has(f.ruleId)) {
      const [family, name] = f.ruleId.split('/') as [string, string];
      extra.set(
        f.ruleId,
        family === 'cs'
          ? csRule(f.ruleId.slice(3), f.severity)
          : linterRule(family as 'javascript' | 'css', name, f.severity),
      );
    }
  return [...ALL_RULES, ...extra.values()];
}
