// One GitHub check run per Moodle version ("Moodle plugin check · Moodle 4.5"): conclusion, title,
// the job summary's text and every finding as an annotation, 50 per request (errors first, lines
// the PR changed first). Workflow-command annotations show at most 10 errors and 10 warnings per
// step; a check run shows them all. Needs `checks: write`; without it the caller falls back.
import { severityRank } from '../core/finding.js';
import type { Finding } from '../core/finding.js';
import {
  failed,
  runTitle,
  totals,
  verdict,
  type FailOn,
  type ReportRun,
  type SourceLink,
} from '../report/markdown.js';
import { renderSummary } from '../report/summary.js';
import { httpStatus, type GitHubClient } from './octokit.js';
import { repoParts } from './sticky-comment.js';

export const CHECK_RUN_NAME = 'Moodle plugin check';
/** GitHub takes at most 50 annotations per request. */
export const ANNOTATION_BATCH = 50;
const MAX_SUMMARY = 65_535;
const MAX_MESSAGE = 64 * 1024 - 1;

/** The lines a PR adds or changes, by repository path. */
export type ChangedLines = ReadonlyMap<string, ReadonlySet<number>>;

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  message: string;
  title: string;
}

export interface CheckRunJob {
  gh: GitHubClient;
  repository: string;
  headSha: string;
  runs: readonly ReportRun[];
  failOn: FailOn;
  pluginPath: string;
  changed?: ChangedLines;
  link?: SourceLink;
  previewUrl?: string;
  detailsUrl?: string;
}

export type CheckRunResult =
  | { mode: 'created'; checks: { name: string; id: number; annotations: number }[] }
  | { mode: 'forbidden'; reason: string };

const LEVEL = { error: 'failure', warning: 'warning', notice: 'notice' } as const;

/** The check run's name for one run of the job. */
export function checkRunName(run: ReportRun): string {
  return `${CHECK_RUN_NAME} · ${runTitle(run).replace(/\\/g, '')}`;
}

/** Every finding of the run that has a file, as an annotation; errors first, changed lines first. */
export function annotations(
  run: ReportRun,
  pluginPath: string,
  changed?: ChangedLines,
): Annotation[] {
  const withFile = run.report.findings.filter(
    (f): f is Finding & { file: string } => f.file !== undefined,
  );
  const repoPath = (f: Finding & { file: string }): string =>
    pluginPath ? `${pluginPath}/${f.file}` : f.file;
  const touched = (f: Finding & { file: string }): boolean =>
    f.line !== undefined && (changed?.get(repoPath(f))?.has(f.line) ?? false);
  const sorted = [...withFile].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      Number(touched(b)) - Number(touched(a)) ||
      repoPath(a).localeCompare(repoPath(b)) ||
      (a.line ?? 0) - (b.line ?? 0),
  );
  return sorted.map((f) => {
    const line = f.line ?? 1;
    const message = f.hint ? `${f.message}\n${f.hint}` : f.message;
    return {
      path: repoPath(f),
      start_line: line,
      end_line: line,
      // Columns only on a one-line annotation, as GitHub requires.
      ...(f.line !== undefined && f.column !== undefined && f.column > 0
        ? { start_column: f.column, end_column: f.column }
        : {}),
      annotation_level: LEVEL[f.severity],
      message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message,
      title: f.ruleId.slice(0, 255),
    };
  });
}

/**
 * Creates the check runs. A 403/401 on the first one is `forbidden` (no `checks: write`, or a fork's
 * read-only token): nothing was created and the caller falls back to workflow commands.
 */
export async function publishCheckRuns(job: CheckRunJob): Promise<CheckRunResult> {
  const where = repoParts(job.repository);
  const created: { name: string; id: number; annotations: number }[] = [];
  for (const run of job.runs) {
    const t = totals([run]);
    const all = annotations(run, job.pluginPath, job.changed);
    const title = verdict(t, job.failOn).slice(0, 255);
    let summary = renderSummary([run], {
      failOn: job.failOn,
      ...(job.link ? { link: job.link } : {}),
      ...(job.previewUrl ? { previewUrl: job.previewUrl } : {}),
    });
    if (summary.length > MAX_SUMMARY)
      summary = `${summary.slice(0, MAX_SUMMARY - 200)}\n\n… (cut here: GitHub keeps 64 KB of a check's summary; the job summary has it all)`;
    const noFile = run.report.findings.length - all.length;
    const text =
      noFile > 0
        ? `${noFile} finding${noFile === 1 ? '' : 's'} without a file ${noFile === 1 ? 'is' : 'are'} listed in the summary, not as annotations.`
        : undefined;
    const output = (batch: Annotation[]) => ({
      title,
      summary,
      ...(text ? { text } : {}),
      annotations: batch,
    });
    const name = checkRunName(run);
    let id: number;
    try {
      const { data } = await job.gh.rest.checks.create({
        ...where,
        name,
        head_sha: job.headSha,
        status: 'completed',
        conclusion: conclusion(run, job.failOn),
        completed_at: new Date().toISOString(),
        ...(job.detailsUrl ? { details_url: job.detailsUrl } : {}),
        output: output(all.slice(0, ANNOTATION_BATCH)),
      });
      id = data.id;
    } catch (e) {
      const status = httpStatus(e);
      if (created.length === 0 && (status === 403 || status === 401))
        return { mode: 'forbidden', reason: `GitHub answered ${status} to creating a check run` };
      throw e;
    }
    // Later batches are appended: GitHub adds a PATCH's annotations to the ones already there.
    for (let i = ANNOTATION_BATCH; i < all.length; i += ANNOTATION_BATCH)
      await job.gh.rest.checks.update({
        ...where,
        check_run_id: id,
        output: output(all.slice(i, i + ANNOTATION_BATCH)),
      });
    created.push({ name, id, annotations: all.length });
  }
  return { mode: 'created', checks: created };
}

function conclusion(run: ReportRun, failOn: FailOn): 'success' | 'failure' | 'neutral' {
  const t = totals([run]);
  if (failed(t, failOn)) return 'failure';
  // Findings under the fail-on level: the check passes, but not silently green.
  return t.errors + t.warnings > 0 ? 'neutral' : 'success';
}

/** The lines each file of the PR adds, from the pull request's files (their unified diffs). */
export async function changedLines(
  gh: GitHubClient,
  repository: string,
  prNumber: number,
): Promise<Map<string, Set<number>>> {
  const files = await gh.paginate(gh.rest.pulls.listFiles, {
    ...repoParts(repository),
    pull_number: prNumber,
    per_page: 100,
  });
  const out = new Map<string, Set<number>>();
  for (const f of files) if (f.patch) out.set(f.filename, addedLines(f.patch));
  return out;
}

/** Line numbers (new side) of the `+` lines of a unified diff. */
export function addedLines(patch: string): Set<number> {
  const lines = new Set<number>();
  let at = 0;
  for (const l of patch.split('\n')) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (hunk) {
      at = Number(hunk[1]);
      continue;
    }
    if (at === 0 || l.startsWith('\\')) continue;
    if (l.startsWith('+')) lines.add(at++);
    else if (!l.startsWith('-')) at++;
  }
  return lines;
}
