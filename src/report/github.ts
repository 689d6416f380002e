import type { Finding } from '../core/finding.js';
import { neutralise } from '../core/log-safety.js';
import type { CheckReport } from './model.js';

// Workflow-command escaping, as @actions/core does it.
const escapeData = (s: string): string =>
  s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string): string =>
  escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

const COMMAND = { error: 'error', warning: 'warning', notice: 'notice' } as const;

export function annotation(f: Finding, pathPrefix = ''): string {
  const props: string[] = [];
  if (f.file !== undefined) props.push(`file=${escapeProperty(neutralise(pathPrefix + f.file))}`);
  if (f.line !== undefined) props.push(`line=${f.line}`);
  if (f.column !== undefined) props.push(`col=${f.column}`);
  props.push(`title=${escapeProperty(f.ruleId)}`);
  const message = neutralise(f.hint ? `${f.message}\n${f.hint}` : f.message);
  return `::${COMMAND[f.severity]} ${props.join(',')}::${escapeData(message)}`;
}

/** GitHub Actions workflow commands: one annotation per finding, then a plain verdict line. */
export function formatGithub(report: CheckReport, pathPrefix = ''): string {
  const lines = report.findings.map((f) => annotation(f, pathPrefix));
  const { errors, warnings, notices } = report.summary;
  // The component comes from the plugin's version.php: this line is not a command of ours.
  lines.push(
    neutralise(
      `${report.plugin.component ?? 'plugin'}: ${errors} errors, ${warnings} warnings, ${notices} notices`,
    ),
  );
  return `${lines.join('\n')}\n`;
}
