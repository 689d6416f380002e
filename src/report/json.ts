import type { CheckReport } from './model.js';

/**
 * The JSON contract (docs/json-report.md): every finding has all seven keys, with null where a
 * field does not apply, so consumers never need to probe for a key.
 */
export function toJson(report: CheckReport): object {
  return {
    ...report,
    findings: report.findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      file: f.file ?? null,
      line: f.line ?? null,
      column: f.column ?? null,
      message: f.message,
      hint: f.hint ?? null,
    })),
  };
}

export function formatJson(report: CheckReport): string {
  return `${JSON.stringify(toJson(report), null, 2)}\n`;
}
