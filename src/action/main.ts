// The GitHub Action: inputs → pipeline (once per Moodle) → annotations, summary, comment, outputs.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { log } from './log.js';
import { orderedLogs } from './ordered-log.js';
import { groupProgress } from './progress.js';
import {
  checkConcurrency,
  mapSettled,
  MEMORY_PER_CHECK,
  MEMORY_PER_POSTGRES_CHECK,
  thisMachine,
} from '../core/concurrency.js';
import { DEFAULT_DB } from '../pipeline/moodle.js';
import type { DbKind } from '../moodle/site/site.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as core from '@actions/core';
import { EXIT, UserError } from '../core/errors.js';
import { DOWNLOADABLE_BRANCHES } from '../moodle/source/releases.js';
import { DEFAULT_TIMEOUT_MS, runCheck } from '../pipeline/pipeline.js';
import { Plugin } from '../plugin/plugin.js';
import { toJson } from '../report/json.js';
import {
  failed,
  totals,
  uniqueFindings,
  verdict,
  type FailOn,
  type ReportRun,
  type SourceLink,
} from '../report/markdown.js';
import { commentKey, renderComment } from '../report/pr-comment.js';
import { renderSummary } from '../report/summary.js';
import { restoreToolCache, saveToolCache } from './cache.js';
import { publishComment } from './comment.js';
import { useRunnerToolCache, useToolCacheDownloads } from './tool-cache.js';
import { setDownloadTransport } from '../core/http.js';
import { contextConstants } from '../blueprint/context.js';
import { describeGitHubError, githubClient } from './octokit.js';
import { changedLines, publishCheckRuns } from './check-run.js';
import {
  hasCommit,
  isForkPr,
  readContext,
  refuseUnsafeTarget,
  type RunContext,
} from './context.js';
import { ACTION_SPELLING, NO_MOODLE, OUTPUT, parseInputs, type ActionConfig } from './inputs.js';
import { commentPreview, pluginSupport, previewUrl } from './preview.js';
import { branchLabel } from '../moodle/source/tree.js';

export async function run(): Promise<void> {
  try {
    await runAction();
  } catch (e) {
    if (e instanceof UserError) {
      const { message, hint } = e.spelled(ACTION_SPELLING);
      log.setFailed(hint ? `${message}\n${hint}` : message);
      process.exitCode = EXIT.userError;
      return;
    }
    const err = e as Error;
    log.debug(err.stack ?? String(err));
    log.setFailed(
      `moodle-plugin-check: internal error: ${err.message}. Re-run with debug logging for the stack, and please report it.`,
    );
    process.exitCode = EXIT.internal;
  }
}

async function runAction(): Promise<void> {
  const ctx = readContext();
  const config = parseInputs((name) => core.getInput(name), ctx.workspace);
  refuseUnsafeTarget(ctx, config.pluginDir);

  useToolCacheDownloads();
  let checked: Awaited<ReturnType<typeof checkAll>>;
  try {
    const kept = config.staticOnly ? { kind: 'none' as const } : await useRunnerToolCache();
    if (kept.kind === 'found')
      log.info(`Cache: the runner's tool cache keeps ${kept.dir} (${kept.entries} entries).`);
    // A self-hosted runner that kept the folder needs no cache service round trip.
    const fromService =
      config.cache && !config.staticOnly && !(kept.kind === 'found' && kept.entries > 0);
    const cacheState = fromService
      ? await restoreToolCache(config.moodles, config.php, config.db)
      : undefined;
    try {
      checked = await checkAll(config, ctx);
    } finally {
      // Saved even when a run failed: whatever was downloaded or installed is still good.
      if (cacheState) await saveToolCache(cacheState);
    }
  } finally {
    setDownloadTransport(undefined);
  }
  const { runs, failOn } = checked;

  const workDir = path.join(process.env.RUNNER_TEMP ?? tmpdir(), 'moodle-plugin-check');
  mkdirSync(workDir, { recursive: true });
  const resultFile = path.join(workDir, 'result.json');
  const json = runs.length === 1 ? toJson(runs[0]!.report) : runs.map((r) => toJson(r.report));
  writeFileSync(resultFile, `${JSON.stringify(json, null, 2)}\n`);

  const t = totals(runs);
  core.setOutput(OUTPUT.resultJson, resultFile);
  // One JUnit file per Moodle version that ran the suite, named after it.
  const junits = runs.flatMap((r, i) => {
    if (r.junit === undefined) return [];
    const file = path.join(
      workDir,
      `junit-${(r.label || String(i)).replace(/[^A-Za-z0-9._-]/g, '_')}.xml`,
    );
    writeFileSync(file, r.junit);
    return [file];
  });
  core.setOutput(OUTPUT.junit, junits.join('\n'));
  core.setOutput(OUTPUT.errors, String(t.errors));
  core.setOutput(OUTPUT.warnings, String(t.warnings));
  core.setOutput(OUTPUT.matrix, JSON.stringify(matrixFor(config.pluginDir)));

  const link = sourceLink(ctx, config.pluginPath);
  const first = runs[0]!.report;
  const preview = link
    ? previewUrl({
        ...(config.playgroundHost ? { host: config.playgroundHost } : {}),
        repository: link.repository,
        ref: link.sha,
        pluginPath: config.pluginPath,
        component: first.plugin.component,
        ...pluginSupport(config.pluginDir),
        ...(first.moodle
          ? { moodle: branchLabel(first.moodle.branch), php: first.moodle.php }
          : {}),
      })
    : { note: 'no preview link: the commit is unknown' };
  if (preview.note) log.info(preview.note);
  core.setOutput(OUTPUT.previewUrl, preview.url ?? '');

  const common = {
    failOn,
    ...(preview.url ? { previewUrl: preview.url } : {}),
    ...(link ? { link } : {}),
  };
  // Appended directly: core.summary caches the file path across runs in one process.
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) appendFileSync(summaryFile, `${renderSummary(runs, common)}\n`);

  const inChecks = config.checkRun ? await checkRuns(config, ctx, runs, failOn, common) : false;
  if (!inChecks) annotate(runs, config.pluginPath);

  if (config.comment) {
    const key = commentKey(config.pluginPath, config.staticOnly ? [NO_MOODLE] : config.moodles);
    try {
      const result = await publishComment({
        ctx,
        token: config.token,
        key,
        body: renderComment(runs, { ...common, ...commentPreview(preview), key }),
        runs,
        pluginPath: config.pluginPath,
        failOn,
        workDir,
      });
      if (result.mode === 'posted') log.info(`PR comment ${result.action} (id ${result.id}).`);
      else if (result.mode === 'skipped') log.info(`No PR comment: ${result.reason}.`);
    } catch (e) {
      // The check itself is done; a comment GitHub would not take is worth a warning, not a red job.
      log.warning(`Could not post the PR comment: ${describeGitHubError(e)}`);
    }
  }

  log.info(`moodle-plugin-check: ${verdict(t, failOn)}`);
  if (failed(t, failOn)) {
    log.setFailed(
      `moodle-plugin-check: ${t.errors} error(s), ${t.warnings} warning(s) (fail-on: ${failOn}).`,
    );
    process.exitCode = EXIT.findings;
  }
}

async function checkAll(
  config: Readonly<ActionConfig>,
  ctx: RunContext,
): Promise<{ runs: ReportRun[]; failOn: FailOn }> {
  const specs = config.staticOnly ? [NO_MOODLE] : config.moodles.length ? config.moodles : [''];
  const upgradeFrom = config.staticOnly ? undefined : defaultUpgradeFrom(config, ctx);
  // Side by side, bounded by the cores and the memory; each check's log groups come out whole.
  const logs = orderedLogs(specs.length, log);
  const settled = await mapSettled(
    specs,
    concurrency(specs.length, config.db ?? DEFAULT_DB),
    async (spec, i) => {
      const title = config.staticOnly ? 'static checks only' : `Moodle ${spec || '(default)'}`;
      const progress = groupProgress(`moodle-plugin-check: ${title}`, logs.sinks[i]);
      try {
        return await runCheck({
          pluginDir: config.pluginDir,
          moodle: !config.staticOnly,
          moodleOptions: {
            ...(spec ? { spec } : {}),
            ...(config.php ? { php: config.php } : {}),
            ...(config.db ? { db: config.db } : {}),
            timeoutMs: config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          },
          ...(config.blueprint !== undefined ? { blueprint: config.blueprint } : {}),
          ...(upgradeFrom ? { upgradeFrom } : {}),
          disable: config.disable,
          phpunit: { mode: config.phpunit, args: config.phpunitArgs },
          smoke: config.smoke,
          codingStyle: config.codingStyle,
          prechecks: true,
          ...(config.extraPlugins.length ? { extraPlugins: config.extraPlugins } : {}),
          blueprintContext: contextConstants({
            repository: ctx.pr?.headRepo ?? ctx.repository,
            ref: ctx.pr?.headSha ?? ctx.sha,
            branch: process.env.GITHUB_HEAD_REF || process.env.GITHUB_REF_NAME || '',
          }),
          spelling: ACTION_SPELLING,
          progress,
        });
      } finally {
        progress.close();
        logs.done(i);
      }
    },
  );
  const runs: ReportRun[] = [];
  let failOn: FailOn | undefined = config.failOn;
  for (const [i, r] of settled.entries()) {
    // The first failure in input order is the job's (bad input: exit 2; a bug: internal error).
    if (r.status === 'rejected') throw r.reason;
    failOn ??= r.value.config.failOn;
    runs.push({
      label: specs[i]!,
      report: r.value.report,
      ...(r.value.junit !== undefined ? { junit: r.value.junit } : {}),
    });
  }
  return { runs, failOn: failOn ?? 'error' };
}

/**
 * How many versions at once: the machine's bound, or MPC_CONCURRENCY (a positive integer: the
 * bench measures one after another against side by side with it).
 */
function concurrency(jobs: number, db: DbKind): number {
  const forced = Number(process.env.MPC_CONCURRENCY);
  if (Number.isInteger(forced) && forced > 0) return Math.min(forced, jobs);
  const perCheck = db === 'postgres' ? MEMORY_PER_POSTGRES_CHECK : MEMORY_PER_CHECK;
  return checkConcurrency(jobs, thisMachine(), perCheck);
}

/** `upgrade-from`: as given, else the PR's base commit when the clone has it. */
function defaultUpgradeFrom(config: Readonly<ActionConfig>, ctx: RunContext): string | undefined {
  if (config.upgradeFrom !== undefined) return config.upgradeFrom;
  const base = ctx.pr?.baseSha;
  if (config.upgradeFromDisabled || !base) return undefined;
  if (hasCommit(config.pluginDir, base)) return base;
  log.info(
    `upgrade-from: the PR's base commit ${base.slice(0, 12)} is not in the clone, so no upgrade path is checked; use actions/checkout with fetch-depth: 0 to get it.`,
  );
  return undefined;
}

/**
 * The check runs, when the token may create them; false when the caller should annotate with
 * workflow commands instead (said once, with why).
 */
async function checkRuns(
  config: Readonly<ActionConfig>,
  ctx: RunContext,
  runs: ReportRun[],
  failOn: FailOn,
  common: { link?: SourceLink; previewUrl?: string },
): Promise<boolean> {
  const headSha = ctx.pr?.headSha ?? ctx.sha;
  const fallback =
    'annotations go out as workflow commands (GitHub shows at most 10 errors and 10 warnings of a step)';
  if (!config.token || !headSha) {
    log.info(`Check runs: no ${!config.token ? 'github-token' : 'commit'}; ${fallback}.`);
    return false;
  }
  if (isForkPr(ctx)) {
    log.info(
      `Check runs: a fork's token cannot create them; ${fallback}, and the publish workflow creates the check runs from the artifact.`,
    );
    return false;
  }
  const gh = githubClient({
    baseUrl: ctx.apiUrl,
    token: config.token,
    log: (l) => {
      log.info(l);
    },
  });
  try {
    const changed = ctx.pr
      ? await changedLines(gh, ctx.repository, ctx.pr.number).catch(() => undefined)
      : undefined;
    const runId = process.env.GITHUB_RUN_ID;
    const result = await publishCheckRuns({
      gh,
      repository: ctx.repository,
      headSha,
      runs,
      failOn,
      pluginPath: config.pluginPath,
      ...(changed ? { changed } : {}),
      ...common,
      ...(runId && /^\d+$/.test(runId)
        ? { detailsUrl: `${ctx.serverUrl}/${ctx.repository}/actions/runs/${runId}` }
        : {}),
    });
    if (result.mode === 'forbidden') {
      log.notice(
        `Check runs: ${result.reason}; give the job \`permissions: checks: write\` for one check per Moodle version with every annotation. Meanwhile ${fallback}.`,
      );
      return false;
    }
    for (const c of result.checks)
      log.info(`Check run "${c.name}" created (id ${c.id}, ${c.annotations} annotations).`);
    return true;
  } catch (e) {
    log.warning(`Check runs: could not create them (${describeGitHubError(e)}); ${fallback}.`);
    return false;
  }
}

function annotate(runs: readonly ReportRun[], pluginPath: string): void {
  for (const { finding: f } of uniqueFindings(runs)) {
    const props: core.AnnotationProperties = { title: f.ruleId };
    if (f.file !== undefined) props.file = pluginPath ? `${pluginPath}/${f.file}` : f.file;
    if (f.line !== undefined) props.startLine = f.line;
    if (f.column !== undefined && f.line !== undefined) props.startColumn = f.column;
    const message = f.hint ? `${f.message}\n${f.hint}` : f.message;
    if (f.severity === 'error') log.error(message, props);
    else if (f.severity === 'warning') log.warning(message, props);
    else log.notice(message, props);
  }
}

/** `{"moodle": ["4.5", "5.0"]}`: the branches the plugin supports that this action can run. */
export function matrixFor(pluginDir: string): { moodle: string[] } {
  try {
    const branches = Plugin.load(pluginDir).targetBranches();
    const names = branches
      .filter((b) => DOWNLOADABLE_BRANCHES.includes(b.branch))
      .map((b) => b.name);
    return { moodle: names };
  } catch (e) {
    log.warning(`matrix: could not read the plugin's supported branches: ${(e as Error).message}`);
    return { moodle: [] };
  }
}

function sourceLink(ctx: RunContext, pluginPath: string): SourceLink | undefined {
  if (ctx.pr)
    return {
      serverUrl: ctx.serverUrl,
      repository: ctx.pr.headRepo,
      sha: ctx.pr.headSha,
      pluginPath,
    };
  if (ctx.repository && ctx.sha)
    return { serverUrl: ctx.serverUrl, repository: ctx.repository, sha: ctx.sha, pluginPath };
  return undefined;
}
