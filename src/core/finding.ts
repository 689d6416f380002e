export type Severity = 'error' | 'warning' | 'notice';

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'notice'];

/** The one currency between checks and reports. Paths are relative to the plugin root, posix. */
export interface Finding {
  ruleId: string;
  severity: Severity;
  file?: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}

export function severityRank(s: Severity): number {
  return s === 'error' ? 3 : s === 'warning' ? 2 : 1;
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0) ||
    severityRank(b.severity) - severityRank(a.severity) ||
    a.ruleId.localeCompare(b.ruleId)
  );
}
