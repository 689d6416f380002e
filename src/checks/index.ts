import { BLUEPRINT_RULES } from '../blueprint/rules.js';
import { ENVIRONMENT_EVAL_RULES } from '../moodle/environment-eval.js';
import { INSTALL_RULES } from '../moodle/install-output.js';
import { SCHEMA_RULES, UPGRADE_RULES } from '../moodle/upgrade-output.js';
import { classesFamily } from './classes.js';
import { dbFamily } from './db.js';
import { environmentFamily } from './environment.js';
import { filesFamily } from './files.js';
import { langFamily } from './lang.js';
import { phpFamily } from './php.js';
import { requirementsFamily } from './requirements.js';
import { CRASH_RULE } from './run.js';
import { savepointsFamily } from './savepoints.js';
import { subpluginsFamily } from './subplugins.js';
import { thirdpartylibsFamily } from './thirdpartylibs.js';
import type { CheckFamily, RuleMeta } from './types.js';
import { versionFamily } from './version.js';

/** Every static check family, in report order. */
export const FAMILIES: readonly CheckFamily[] = [
  versionFamily,
  phpFamily,
  langFamily,
  requirementsFamily,
  dbFamily,
  savepointsFamily,
  subpluginsFamily,
  classesFamily,
  thirdpartylibsFamily,
  environmentFamily,
  filesFamily,
];

/** Every rule: the static families', the install/* rules of the Moodle phases, and the tool's own. */
export const ALL_RULES: readonly RuleMeta[] = [
  ...FAMILIES.flatMap((f) => f.rules),
  ...Object.values(INSTALL_RULES),
  ...Object.values(ENVIRONMENT_EVAL_RULES),
  ...Object.values(UPGRADE_RULES),
  ...Object.values(SCHEMA_RULES),
  ...Object.values(BLUEPRINT_RULES),
  CRASH_RULE,
];

export const RULE_IDS: ReadonlySet<string> = new Set(ALL_RULES.map((r) => r.id));

export function ruleMeta(id: string): RuleMeta | undefined {
  return ALL_RULES.find((r) => r.id === id);
}
