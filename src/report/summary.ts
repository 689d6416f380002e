// The job summary (GITHUB_STEP_SUMMARY) as Markdown. Pure: reports in, text out.
import {
  code,
  escapeMd,
  location,
  previewButton,
  runTitle,
  seconds,
  severityIcon,
  smokeLine,
  totals,
  uniqueFindings,
  verdict,
  worstFirst,
  type FailOn,
  type ReportRun,
  type SourceLink,
} from './markdown.js';
import { precheckRows } from './prechecks.js';

export interface SummaryOptions {
  failOn: FailOn;
  previewUrl?: string;
  link?: SourceLink;
  /** Findings listed before "…and N more". */
  maxFindings?: number;
}

const PHASE_ICON = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;

export function renderSummary(runs: readonly ReportRun[], options: SummaryOptions): string {
  const max = options.maxFindings ?? 50;
  const first = runs[0]?.report;
  const name = escapeMd(first?.plugin.component ?? 'plugin');
  const out: string[] = [];
  out.push(`## moodle-plugin-check: ${name}`, '');
  out.push(`**${verdict(totals(runs), options.failOn)}**`, '');
  const button = previewButton(options.previewUrl);
  if (button) out.push(button, '');

  for (const run of runs) {
    const r = run.report;
    const total = r.phases.reduce((n, p) => n + p.durationMs, 0);
    out.push(`### ${runTitle(run)} — ${seconds(total)}`, '');
    out.push('| Phase | Status | Time | Detail |', '| --- | --- | --- | --- |');
    for (const p of r.phases) {
      const time = p.status === 'skipped' ? '—' : seconds(p.durationMs);
      out.push(
        `| ${escapeMd(p.name)} | ${PHASE_ICON[p.status]} ${p.status} | ${time} | ${escapeMd(p.detail ?? '')} |`,
      );
    }
    out.push('');
    const database = r.moodle?.database;
    if (database) {
      out.push(
        `Database: ${escapeMd(database.engine)}${database.note ? ` — ⚠️ ${escapeMd(database.note)}` : ''}`,
        '',
      );
    }
    const pages = r.smoke ?? [];
    if (pages.length > 0) {
      out.push(
        `<details><summary>${escapeMd(smokeLine(pages) ?? '')}</summary>`,
        '',
        '| Page | As | Status | Time | Findings |',
        '| --- | --- | --- | --- | --- |',
      );
      for (const p of pages)
        out.push(
          `| ${code(p.url)} | ${p.as} | ${p.status ?? 'stopped'} | ${seconds(p.ms)} | ${p.note ? escapeMd(p.note) : p.findings.length === 0 ? '—' : p.findings.map((f) => code(f.ruleId)).join(', ')} |`,
        );
      out.push('', '</details>', '');
    }
    const adjustments = r.moodle?.adjustments ?? [];
    if (adjustments.length > 0) {
      out.push(
        `<details><summary>Environment adjustments made to run Moodle in php-wasm on ${database?.kind === 'postgres' ? 'PostgreSQL (PGlite)' : 'SQLite'} ` +
          `(${adjustments.length})</summary>`,
        '',
      );
      for (const a of adjustments) out.push(`- ${code(a.rule)} ${escapeMd(a.detail)}`);
      out.push('', '</details>', '');
    }
  }

  const unique = uniqueFindings(runs).sort((a, b) => worstFirst(a.finding, b.finding));
  const moodlenet = first?.phases.some(
    (p) => p.name === 'lint' && p.detail?.startsWith('a MoodleNet package'),
  );
  if (first && !moodlenet) {
    out.push(
      '<details><summary>As the Plugins directory’s prechecker groups them</summary>',
      '',
      '| Prechecker test | Errors | Warnings | |',
      '| --- | --- | --- | --- |',
    );
    for (const row of precheckRows(
      first,
      unique.map((u) => u.finding),
    ))
      out.push(
        `| ${escapeMd(row.name)} | ${row.notRun ? '—' : row.errors} | ${row.notRun ? '—' : row.warnings} | ${row.notRun ? `⏭️ ${escapeMd(row.notRun)}` : row.errors + row.warnings === 0 ? '✅' : ''} |`,
      );
    out.push('', '</details>', '');
  }
  if (unique.length === 0) {
    out.push('No findings.', '');
  } else {
    const several = runs.length > 1;
    out.push(`### Findings (${unique.length})`, '');
    out.push(
      `| Severity | Rule | Location | Message |${several ? ' Moodle |' : ''}`,
      `| --- | --- | --- | --- |${several ? ' --- |' : ''}`,
    );
    for (const { finding: f, labels } of unique.slice(0, max)) {
      const message = escapeMd(f.message) + (f.hint ? `<br>↳ ${escapeMd(f.hint)}` : '');
      const where = several ? ` ${labels.map((l) => escapeMd(l || 'default')).join(', ')} |` : '';
      out.push(
        `| ${severityIcon(f)} | ${code(f.ruleId)} | ${location(f, options.link)} | ${message} |${where}`,
      );
    }
    if (unique.length > max)
      out.push('', `…and ${unique.length - max} more (all of them are in the result-json file).`);
    out.push('');
  }
  if (first)
    out.push(`<sub>${escapeMd(first.tool.name)} ${escapeMd(first.tool.version)}</sub>`, '');
  return out.join('\n');
}
