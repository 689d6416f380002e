// The Plugins directory prechecker's test types (docs.moodle.org/dev/Plugin_code_prechecks), and
// what this check holds for each: findings counted by the prechecker's grouping, so an author can
// hold them against what the directory will show. A type whose phase did not run says so.
import type { Finding } from '../core/finding.js';
import type { CheckReport } from './model.js';

export interface PrecheckCategory {
  /** As the prechecker names it. */
  name: string;
  /** Our rule families that stand for it. */
  families: readonly string[];
  /** Our rules of those families the prechecker does not run (our own additions), left out. */
  only?: (ruleId: string) => boolean;
  /** The phase whose run the type depends on; undefined: not checked by moodle-plugin-check. */
  phase?: string;
}

export const PRECHECK_CATEGORIES: readonly PrecheckCategory[] = [
  { name: 'PHP lint', families: ['php'], only: (id) => id.startsWith('php/syntax'), phase: 'lint' },
  { name: 'PHP coding style', families: ['cs'], phase: 'coding-style' },
  { name: 'Javascript coding style', families: ['javascript'], phase: 'javascript' },
  { name: 'CSS coding style', families: ['css'], phase: 'css' },
  { name: 'PHPdocs', families: ['phpdoc'], phase: 'phpdoc' },
  { name: 'Savepoints', families: ['savepoints'], phase: 'lint' },
  { name: 'Third party libraries', families: ['thirdpartylibs'], phase: 'lint' },
  { name: 'Grunt', families: ['amd'], phase: 'lint' },
  { name: 'Shifter (YUI)', families: [] },
  { name: 'Mustache templates', families: ['mustache'], phase: 'templates' },
];

export interface PrecheckRow {
  name: string;
  errors: number;
  warnings: number;
  /** undefined: it ran; otherwise why these counts are not the prechecker's. */
  notRun?: string;
}

export function precheckRows(
  report: Pick<CheckReport, 'phases'>,
  findings: readonly Finding[],
): PrecheckRow[] {
  return PRECHECK_CATEGORIES.map((c) => {
    const mine = findings.filter((f) => {
      const family = f.ruleId.split('/')[0] ?? '';
      return c.families.includes(family) && (c.only?.(f.ruleId) ?? true);
    });
    const row: PrecheckRow = {
      name: c.name,
      errors: mine.filter((f) => f.severity === 'error').length,
      warnings: mine.filter((f) => f.severity !== 'error').length,
    };
    if (c.phase === undefined) return { ...row, notRun: 'not checked by moodle-plugin-check' };
    const phase = report.phases.find((p) => p.name === c.phase);
    if (!phase) return { ...row, notRun: 'not part of this check' };
    if (phase.status === 'skipped') {
      // A family skipped because there is nothing of its kind to check did run, in effect.
      if (phase.detail?.startsWith('skipped: the plugin')) return row;
      return { ...row, notRun: phase.detail ?? 'skipped' };
    }
    if (phase.detail?.startsWith('not run:')) return { ...row, notRun: phase.detail };
    return row;
  });
}
