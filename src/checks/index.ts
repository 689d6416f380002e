import type { CheckFamily, RuleMeta } from './types.js';
import { CRASH_RULE } from './run.js';
import { versionFamily } from './version.js';

/** Every static check family, in report order. */
export const FAMILIES: readonly CheckFamily[] = [versionFamily];

export const ALL_RULES: readonly RuleMeta[] = [...FAMILIES.flatMap((f) => f.rules), CRASH_RULE];

export const RULE_IDS: ReadonlySet<string> = new Set(ALL_RULES.map((r) => r.id));

export function ruleMeta(id: string): RuleMeta | undefined {
  return ALL_RULES.find((r) => r.id === id);
}
