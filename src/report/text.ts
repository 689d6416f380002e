import { precheckRows } from './prechecks.js';
import pc from 'picocolors';
import type { Finding, Severity } from '../core/finding.js';
import type { CheckReport } from './model.js';
import { phpunitLine, smokeLine } from './markdown.js';

export interface TextOptions {
  color: boolean;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Human report: findings grouped by file, the phases, then a one-line verdict. */
export function formatText(report: CheckReport, options: TextOptions): string {
  const c = pc.createColors(options.color);
  const sev: Record<Severity, (s: string) => string> = {
    error: (s) => c.red(s),
    warning: (s) => c.yellow(s),
    notice: (s) => c.cyan(s),
  };
  const lines: string[] = [];
  const groups = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const key = f.file ?? '(plugin)';
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const [file, list] of groups) {
    lines.push(c.underline(file));
    for (const f of list) {
      const pos = f.line !== undefined ? `${f.line}:${f.column ?? 1}` : '';
      lines.push(
        `  ${c.dim(pos.padEnd(8))}${sev[f.severity](f.severity.padEnd(8))}${f.message}  ${c.dim(f.ruleId)}`,
      );
      if (f.hint) lines.push(`  ${' '.repeat(16)}${c.dim(`↳ ${f.hint.split('\n')[0] ?? ''}`)}`);
    }
    lines.push('');
  }
  for (const p of report.phases) {
    const status =
      p.status === 'passed'
        ? c.green('passed')
        : p.status === 'failed'
          ? c.red('failed')
          : c.dim('skipped');
    const time = p.status === 'skipped' ? '' : ` ${p.durationMs} ms`;
    lines.push(
      `${c.dim('phase')} ${p.name.padEnd(13)}${status}${time}${p.detail ? c.dim(` — ${p.detail}`) : ''}`,
    );
  }
  if (report.moodle) {
    const m = report.moodle;
    lines.push(
      `${c.dim('moodle')} ${m.release} (${m.layout} layout) on PHP ${m.php} in php-wasm, ${m.database?.engine ?? 'SQLite'} database`,
    );
    if (m.database?.note) lines.push(`${c.dim('  note')} ${m.database.note}`);
    for (const a of m.adjustments) lines.push(`${c.dim('  adjusted')} ${a.detail}`);
    const unit = phpunitLine(report.phpunit);
    if (unit) lines.push(`${c.dim('phpunit')} ${unit}`);
    const smoke = smokeLine(report.smoke);
    if (smoke) lines.push(`${c.dim('smoke')} ${smoke.replace(/^Smoke: /, '')}`);
    for (const p of report.smoke ?? [])
      if (p.findings.length > 0 || p.status === null || p.status >= 400)
        lines.push(
          `${c.dim('  page')} ${p.url} as ${p.as} → ${p.status ?? 'stopped'} in ${p.ms} ms: ${p.findings.length} finding(s)`,
        );
  }
  const lint = report.phases.find((p) => p.name === 'lint');
  if (lint && !lint.detail?.startsWith('a MoodleNet package')) {
    const rows = precheckRows(report, report.findings).filter((r) => r.notRun === undefined);
    lines.push(
      '',
      `${c.dim('prechecker')} ${rows.map((r) => `${r.name} ${r.errors}/${r.warnings}`).join(' · ')} ${c.dim('(errors/warnings as the Plugins directory groups them)')}`,
    );
  }
  const { errors, warnings, notices } = report.summary;
  const total = report.phases.reduce((n, p) => n + p.durationMs, 0);
  const name = report.plugin.component ?? 'plugin';
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${plural(notices, 'notice')}`;
  const time = `${(total / 1000).toFixed(2)} s`;
  const mark =
    errors > 0 ? c.red(c.bold('✖')) : warnings > 0 ? c.yellow(c.bold('!')) : c.green(c.bold('✔'));
  const skipped = report.phases.filter((p) => p.status === 'skipped').map((p) => p.name);
  const scope = report.moodle
    ? ` — on Moodle ${report.moodle.release.replace(/ \(Build.*$/, '')}, PHP ${report.moodle.php}${skipped.length > 0 ? ` (${skipped.join(', ')} skipped)` : ''}`
    : skipped.length > 0
      ? ` — static checks only (${skipped.join(', ')} skipped)`
      : '';
  lines.push('', `${mark} ${c.bold(name)}: ${counts} in ${time}${scope}`);
  return `${lines.join('\n')}\n`;
}
