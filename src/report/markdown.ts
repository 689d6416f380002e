// Pieces shared by the job summary and the PR comment. Pure: reports in, Markdown out.
import { neutralise } from '../core/log-safety.js';
import { compareFindings, severityRank, type Finding } from '../core/finding.js';
import { failsOn, type CheckReport, type FailOn } from './model.js';

export type { FailOn };

/** One run of the pipeline: the report and the `moodle` value it was run for. */
/** "PHPUnit 9.6.18: 8 tests, 1 failure, …" for a report that ran the suite, else undefined. */
export function phpunitLine(p: CheckReport['phpunit']): string | undefined {
  if (!p) return undefined;
  const parts = [
    `${p.tests} tests`,
    `${p.assertions} assertions`,
    `${p.failures} failures`,
    `${p.errors} errors`,
    ...(p.warnings ? [`${p.warnings} warnings`] : []),
    ...(p.risky ? [`${p.risky} risky`] : []),
    `${p.skipped} skipped${p.skippedByEnvironment ? ` (${p.skippedByEnvironment} by environment)` : ''}`,
    ...(p.incomplete ? [`${p.incomplete} incomplete`] : []),
    ...(p.timeouts ? [`${p.timeouts} timed out`] : []),
    ...(p.crashed ? [`${p.crashed} crashed PHP`] : []),
    ...(p.notRun.length ? [`not run: the rest of ${p.notRun.length} file(s)`] : []),
  ];
  return `PHPUnit ${p.version} (${p.components.join(', ')}): ${parts.join(', ')}`;
}

/** "Smoke: 6 pages opened (5 as admin, 1 as student), 1 with findings" for a report whose crawl ran. */
export function smokeLine(pages: CheckReport['smoke']): string | undefined {
  if (!pages) return undefined;
  if (pages.length === 0) return 'Smoke: no page opened';
  const as = (['admin', 'student', 'guest'] as const)
    .map((u) => [u, pages.filter((p) => p.as === u).length] as const)
    .filter(([, n]) => n > 0)
    .map(([u, n]) => `${n} as ${u}`);
  const bad = pages.filter((p) => p.findings.length > 0).length;
  const notOpened = pages.filter((p) => p.note?.startsWith('not opened')).length;
  const notJudged = pages.filter((p) => p.note !== undefined).length - notOpened;
  const opened = pages.length - notOpened;
  return `Smoke: ${opened} page${opened === 1 ? '' : 's'} opened (${as.join(', ')}), ${bad} with findings${notJudged ? `, ${notJudged} not judged` : ''}${notOpened ? `, ${notOpened} not opened` : ''}`;
}

export interface ReportRun {
  /** The `moodle` input entry, '' for the default, or 'none' for static checks only. */
  label: string;
  report: CheckReport;
  /** JUnit XML of the phpunit phase, when it ran. */
  junit?: string;
}

/** Where a finding's line lives on GitHub, to link it at the head commit. */
export interface SourceLink {
  serverUrl: string;
  /** owner/name of the head repository (the fork for fork PRs). */
  repository: string;
  sha: string;
  /** Plugin folder inside the repository, '' for the root. */
  pluginPath: string;
}

export const PREVIEW_LABEL = '▶ Preview in Moodle Playground';

/**
 * Text from a report (untrusted when it comes from a fork's artifact) made inert for a Markdown
 * table cell: no HTML, no table breaks, no @mentions or #references that would ping people.
 */
export function escapeMd(s: string): string {
  return neutralise(s)
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/([`*_[\]~])/g, '\\$1')
    .replace(/#(?=\d)/g, '&#35;')
    .replace(/@/g, '&#64;')
    .replace(/\n/g, ' ');
}

/** An inline code span; only backticks and line breaks could break out of it. */
export function code(s: string): string {
  return `\`${neutralise(s).replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\n/g, ' ')}\``;
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export interface Totals {
  errors: number;
  warnings: number;
  notices: number;
}

/** Findings of every run, once each (static findings repeat in every Moodle run). */
export function uniqueFindings(
  runs: readonly ReportRun[],
): { finding: Finding; labels: string[] }[] {
  const map = new Map<string, { finding: Finding; labels: string[] }>();
  for (const run of runs) {
    for (const f of run.report.findings) {
      const key = [f.severity, f.ruleId, f.file ?? '', f.line ?? '', f.message].join('\u0000');
      const entry = map.get(key);
      if (entry) entry.labels.push(run.label);
      else map.set(key, { finding: f, labels: [run.label] });
    }
  }
  return [...map.values()];
}

export function totals(runs: readonly ReportRun[]): Totals {
  const t = { errors: 0, warnings: 0, notices: 0 };
  for (const { finding } of uniqueFindings(runs)) {
    if (finding.severity === 'error') t.errors++;
    else if (finding.severity === 'warning') t.warnings++;
    else t.notices++;
  }
  return t;
}

export function failed(t: Totals, failOn: FailOn): boolean {
  return failsOn(t, failOn);
}

export function verdict(t: Totals, failOn: FailOn): string {
  const counts = `${plural(t.errors, 'error')}, ${plural(t.warnings, 'warning')}, ${plural(t.notices, 'notice')}`;
  if (failed(t, failOn)) return `❌ failed — ${counts}`;
  if (t.errors + t.warnings > 0) return `⚠️ passed with findings — ${counts}`;
  return `✅ passed — ${counts}`;
}

/** Worst first: errors, then warnings, then notices; within a level, by file and line. */
export function worstFirst(a: Finding, b: Finding): number {
  return severityRank(b.severity) - severityRank(a.severity) || compareFindings(a, b);
}

const ICON = { error: '🔴', warning: '🟡', notice: '🔵' } as const;

export function severityIcon(f: Finding): string {
  return `${ICON[f.severity]} ${f.severity}`;
}

/** `file:line`, linked to the head commit when the link data is known. */
export function location(f: Finding, link?: SourceLink): string {
  if (f.file === undefined) return '(plugin)';
  const text = escapeMd(f.line !== undefined ? `${f.file}:${f.line}` : f.file);
  if (!link) return text;
  const file = [link.pluginPath, f.file]
    .filter((p) => p !== '')
    .join('/')
    .split('/')
    .map(encodeURIComponent)
    .join('/');
  const url = `${link.serverUrl}/${link.repository}/blob/${link.sha}/${file}${f.line !== undefined ? `#L${f.line}` : ''}`;
  return `[${text}](${url})`;
}

/** Which Moodle a run used, for headings: "Moodle 4.5.7 (PHP 8.3)" or "static checks only". */
export function runTitle(run: ReportRun): string {
  const m = run.report.moodle;
  // Moodle's release string carries its build date in parentheses; the heading does not need it.
  if (m)
    return `Moodle ${escapeMd(m.release.replace(/\s*\(Build:[^)]*\)/, ''))} (PHP ${escapeMd(m.php)})`;
  const provision = run.report.phases.find((p) => p.name === 'provision');
  if (provision?.status === 'skipped') return 'static checks only';
  return run.label ? `Moodle ${escapeMd(run.label)}` : 'Moodle (default)';
}

export function previewButton(url: string | undefined): string | undefined {
  return url
    ? `[**${PREVIEW_LABEL}**](${url.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/ /g, '%20')})`
    : undefined;
}
