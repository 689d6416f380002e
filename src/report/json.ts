import type { CheckReport } from '../pipeline/report-model.js';

export function formatJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
