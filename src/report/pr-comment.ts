// The sticky PR comment as Markdown. Pure: reports in, text out. The hidden marker is how the
// action finds its own comment again; the key keeps two uses of the action (plugin paths, Moodle
// lists) from overwriting each other's comment.
import {
  code,
  escapeMd,
  location,
  previewButton,
  runTitle,
  totals,
  uniqueFindings,
  verdict,
  worstFirst,
  phpunitLine,
  smokeLine,
  type FailOn,
  type ReportRun,
  type SourceLink,
} from './markdown.js';

const MARKER_PREFIX = '<!-- moodle-plugin-check:comment';

/** Only characters that cannot end the HTML comment or break out of it. */
export function commentKey(pluginPath: string, moodles: readonly string[]): string {
  const raw = `${pluginPath || '.'}@${moodles.length ? moodles.join(',') : 'default'}`;
  return raw.replace(/[^A-Za-z0-9._/@,+-]/g, '_').slice(0, 200);
}

export function commentMarker(key: string): string {
  return `${MARKER_PREFIX} ${key} -->`;
}

export interface CommentOptions {
  key: string;
  failOn: FailOn;
  previewUrl?: string;
  /** The Moodle and PHP the preview boots, said under its button. */
  previewRuns?: { moodle: string; php: string };
  /** Why that is not what was checked ("checked: Moodle 5.2 on PHP 8.4 — …"). */
  previewDiffers?: string;
  link?: SourceLink;
  /** How many of the worst findings to list. */
  maxFindings?: number;
}

export function renderComment(runs: readonly ReportRun[], options: CommentOptions): string {
  const max = options.maxFindings ?? 10;
  const first = runs[0]?.report;
  const t = totals(runs);
  const out: string[] = [commentMarker(options.key)];
  out.push(`### moodle-plugin-check: ${verdict(t, options.failOn)}`, '');
  const name = first?.plugin.component ? code(first.plugin.component) : 'The plugin';
  out.push(`${name} — ${runs.map(runTitle).join(', ') || 'no Moodle'}.`, '');
  const failedPhases = runs.flatMap((r) =>
    r.report.phases
      .filter((p) => p.status === 'failed')
      .map((p) => `${runTitle(r)}: ${escapeMd(p.name)}`),
  );
  if (failedPhases.length > 0) out.push(`Failed phases: ${failedPhases.join('; ')}.`, '');
  for (const r of runs) {
    const line = phpunitLine(r.report.phpunit);
    if (line) out.push(`${runTitle(r)}: ${escapeMd(line)}`, '');
    const smoke = smokeLine(r.report.smoke);
    if (smoke) out.push(`${runTitle(r)}: ${escapeMd(smoke)}`, '');
  }

  const worst = uniqueFindings(runs)
    .map((u) => u.finding)
    .sort(worstFirst);
  if (worst.length > 0) {
    out.push('| | Rule | Where | Message |', '| --- | --- | --- | --- |');
    const icon = { error: '🔴', warning: '🟡', notice: '🔵' } as const;
    for (const f of worst.slice(0, max))
      out.push(
        `| ${icon[f.severity]} | ${code(f.ruleId)} | ${location(f, options.link)} | ${escapeMd(f.message)} |`,
      );
    if (worst.length > max)
      out.push('', `…and ${worst.length - max} more in the job summary and the annotations.`);
    out.push('');
  }
  const button = previewButton(options.previewUrl);
  if (button) out.push(button, '', ...previewLine(options));
  const sha = options.link?.sha ? ` at ${options.link.sha.slice(0, 7)}` : '';
  if (first)
    out.push(
      `<sub>Checked${escapeMd(sha)} by ${escapeMd(first.tool.name)} ${escapeMd(first.tool.version)}. This comment is updated on every push.</sub>`,
    );
  return `${out.join('\n')}\n`;
}

/**
 * Which Moodle the preview runs, always: the Playground ships fewer Moodle and PHP versions than
 * a check can use, and a reviewer should not take the preview for the checked site.
 */
function previewLine(o: CommentOptions): string[] {
  if (!o.previewRuns) return [];
  const { moodle, php } = o.previewRuns;
  const why = o.previewDiffers ? ` (${o.previewDiffers})` : '';
  return [escapeMd(`The preview runs Moodle ${moodle} on PHP ${php}${why}.`), ''];
}
