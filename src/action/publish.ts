// The publish entry (publish/action.yml), for a `workflow_run` workflow: takes the artifact a fork
// PR's check left, checks it strictly, and posts the sticky comment with a write token. It never
// checks out or runs PR code; everything in the artifact is data, and where the comment goes and
// what it links to comes from the workflow_run event and the API, not from the artifact.
import * as core from '@actions/core';
import { log } from './log.js';
import { unzipBounded } from '../moodle/source/extract.js';
import { EXIT, UserError } from '../core/errors.js';
import { commentMarker, renderComment } from '../report/pr-comment.js';
import { readContext, type RunContext } from './context.js';
import { describeGitHubError, githubClient, type GitHubClient } from './octokit.js';
import { changedLines, publishCheckRuns } from './check-run.js';
import { parseHost, PUBLISH_INPUT } from './inputs.js';
import {
  ARTIFACT_PREFIX,
  MAX_PAYLOAD_BYTES,
  PAYLOAD_FILE,
  PayloadError,
  parsePayload,
  type CommentPayload,
} from './payload.js';
import { commentPreview, previewUrl, supportFromReport } from './preview.js';
import { branchLabel } from '../moodle/source/tree.js';
import { repoParts, upsertComment } from './sticky-comment.js';

interface TrustedRun {
  id: number;
  headSha: string;
  headRepo: string;
  headBranch: string;
}

interface Artifact {
  id: number;
  name: string;
  size_in_bytes: number;
  expired: boolean;
}

const MAX_ARTIFACT_BYTES = 2 * 1024 * 1024;

export async function runPublish(): Promise<void> {
  try {
    await publish();
  } catch (e) {
    if (e instanceof UserError || e instanceof PayloadError) {
      log.setFailed(e instanceof UserError && e.hint ? `${e.message}\n${e.hint}` : e.message);
      process.exitCode = e instanceof UserError ? EXIT.userError : EXIT.findings;
      return;
    }
    const err = e as Error;
    log.debug(err.stack ?? String(err));
    log.setFailed(`moodle-plugin-check publish: internal error: ${err.message}`);
    process.exitCode = EXIT.internal;
  }
}

function trustedRun(ctx: RunContext, runIdInput: string): TrustedRun | undefined {
  const wr = ctx.event.workflow_run as Record<string, unknown> | undefined;
  if (!wr || typeof wr !== 'object') {
    throw new UserError(
      `The publish step runs on workflow_run events, not '${ctx.eventName || 'unknown'}'.`,
      'Use it in a workflow triggered by `on: workflow_run` (see docs/workflows/publish.yml).',
    );
  }
  if (wr.event !== 'pull_request' && wr.event !== 'pull_request_target') return undefined;
  const repo = (wr.head_repository as { full_name?: unknown } | undefined)?.full_name;
  let id = wr.id;
  if (runIdInput !== '') {
    if (!/^\d+$/.test(runIdInput))
      throw new UserError(
        `Input 'run-id' is '${runIdInput}', not a number.`,
        'Leave it empty to use the triggering run.',
      );
    id = Number(runIdInput);
  }
  if (
    typeof id !== 'number' ||
    typeof wr.head_sha !== 'string' ||
    typeof repo !== 'string' ||
    typeof wr.head_branch !== 'string'
  )
    throw new UserError(
      'The workflow_run event lacks id, head_sha, head_branch or head_repository.',
    );
  return { id, headSha: wr.head_sha, headRepo: repo, headBranch: wr.head_branch };
}

async function publish(): Promise<void> {
  const ctx = readContext();
  const token = core.getInput(PUBLISH_INPUT.githubToken).trim();
  if (!token)
    throw new UserError(
      "Input 'github-token' is empty.",
      'Pass a token that can write pull-request comments (permissions: pull-requests: write).',
    );
  const host = parseHost(PUBLISH_INPUT.playgroundHost, core.getInput(PUBLISH_INPUT.playgroundHost));
  const run = trustedRun(ctx, core.getInput(PUBLISH_INPUT.runId).trim());
  if (!run) {
    log.info('The triggering run was not for a pull request: nothing to publish.');
    return;
  }
  const gh = githubClient({
    baseUrl: ctx.apiUrl,
    token,
    log: (l) => {
      log.info(l);
    },
  });
  const { data: list } = await gh.rest.actions.listWorkflowRunArtifacts({
    ...repoParts(ctx.repository),
    run_id: run.id,
    per_page: 100,
  });
  const ours = list.artifacts.filter((a) => a.name.startsWith(`${ARTIFACT_PREFIX}-`) && !a.expired);
  if (ours.length === 0) {
    log.info(`Run ${run.id} left no ${ARTIFACT_PREFIX}-* artifact: nothing to publish.`);
    return;
  }
  for (const artifact of ours) {
    const payload = await download(gh, ctx.repository, artifact);
    await post(gh, ctx, run, payload, host);
  }
}

async function download(
  gh: GitHubClient,
  repository: string,
  a: Artifact,
): Promise<CommentPayload> {
  if (a.size_in_bytes > MAX_ARTIFACT_BYTES)
    throw new PayloadError(
      `Artifact ${a.name} is ${a.size_in_bytes} bytes; a comment payload is never that big.`,
    );
  // GitHub answers with a redirect to blob storage, which Octokit follows; the body is the zip.
  const res = await gh.rest.actions.downloadArtifact({
    ...repoParts(repository),
    artifact_id: a.id,
    archive_format: 'zip',
  });
  const zip = new Uint8Array(res.data as ArrayBuffer);
  if (zip.byteLength > MAX_ARTIFACT_BYTES)
    throw new PayloadError(`Artifact ${a.name} download is ${zip.byteLength} bytes; refusing it.`);
  let files: Record<string, Uint8Array>;
  try {
    // The artifact comes from the PR's own run: our one small file, and never a zip bomb (sizes
    // are checked before inflating, and no entry may inflate past what it declares).
    files = unzipBounded(zip, `Artifact ${a.name}`, {
      maxBytes: MAX_PAYLOAD_BYTES,
      maxEntries: 4,
    });
  } catch (e) {
    throw new PayloadError(`Artifact ${a.name} is not a readable zip: ${(e as Error).message}`);
  }
  const file = files[PAYLOAD_FILE];
  if (!file)
    throw new PayloadError(`Artifact ${a.name} has no ${PAYLOAD_FILE} (or it is too big).`);
  return parsePayload(new TextDecoder('utf-8', { fatal: false }).decode(file));
}

async function post(
  gh: GitHubClient,
  ctx: RunContext,
  run: TrustedRun,
  payload: CommentPayload,
  host: string | undefined,
): Promise<void> {
  if (payload.headSha !== run.headSha)
    throw new PayloadError(
      `The artifact is for commit ${payload.headSha.slice(0, 12)}, but the run checked ${run.headSha.slice(0, 12)}.`,
    );
  // The PR number is the artifact's claim: only believe it if that PR really is this run's branch.
  const { data: pull } = await gh.rest.pulls.get({
    ...repoParts(ctx.repository),
    pull_number: payload.prNumber,
  });
  // A deleted fork's head repository is null, whatever the types say.
  const headRepo = pull.head.repo as { full_name: string } | null;
  if (headRepo?.full_name !== run.headRepo || pull.head.ref !== run.headBranch)
    throw new PayloadError(
      `The artifact names PR #${payload.prNumber}, which is not the pull request of ${run.headRepo}:${run.headBranch}.`,
    );
  if (pull.head.sha !== run.headSha) {
    log.notice(
      `PR #${payload.prNumber} has moved on to ${pull.head.sha.slice(0, 12)}; the run for that commit will publish its own result.`,
    );
    return;
  }
  const first = payload.runs[0]!.report;
  const link = {
    serverUrl: ctx.serverUrl,
    repository: run.headRepo,
    sha: run.headSha,
    pluginPath: payload.pluginPath,
  };
  // No plugin files here: its range comes from the report, and landing pages that need files fall
  // back to the type's own.
  const support = supportFromReport(first.plugin, first.moodle?.branch);
  if (support.note) log.info(`Preview: ${support.note}.`);
  const preview = previewUrl({
    ...(host ? { host } : {}),
    repository: run.headRepo,
    ref: run.headSha,
    pluginPath: payload.pluginPath,
    component: first.plugin.component,
    ...(support.supported ? { supported: support.supported } : {}),
    ...(first.moodle ? { moodle: branchLabel(first.moodle.branch), php: first.moodle.php } : {}),
  });
  if (preview.note) log.info(preview.note);
  const body = renderComment(payload.runs, {
    key: payload.key,
    failOn: payload.failOn,
    link,
    ...commentPreview(preview),
  });
  const r = await upsertComment(
    gh,
    ctx.repository,
    payload.prNumber,
    commentMarker(payload.key),
    body,
  );
  log.info(`PR #${payload.prNumber}: comment ${r.action} (id ${r.id}).`);

  // The fork's job could not create its check runs; this token can (with `checks: write`).
  const changed = await changedLines(gh, ctx.repository, payload.prNumber).catch(() => undefined);
  const checks = await publishCheckRuns({
    gh,
    repository: ctx.repository,
    headSha: run.headSha,
    runs: payload.runs,
    failOn: payload.failOn,
    pluginPath: payload.pluginPath,
    ...(changed ? { changed } : {}),
    link,
    ...(preview.url ? { previewUrl: preview.url } : {}),
    detailsUrl: `${ctx.serverUrl}/${ctx.repository}/actions/runs/${run.id}`,
  }).catch((e: unknown) => ({ mode: 'failed' as const, reason: describeGitHubError(e) }));
  if (checks.mode === 'created')
    for (const c of checks.checks)
      log.info(
        `PR #${payload.prNumber}: check run "${c.name}" created (${c.annotations} annotations).`,
      );
  else if (checks.mode === 'forbidden')
    log.notice(
      `No check runs: ${checks.reason}; give the publish workflow \`permissions: checks: write\` to show every annotation.`,
    );
  else log.warning(`No check runs: ${checks.reason}.`);
}
