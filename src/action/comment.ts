// The sticky PR comment from the checking job: posted directly when the token can write, else
// (fork PRs, read-only tokens) left as an artifact for the publish workflow.
import { createHash } from 'node:crypto';
import { log } from './log.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { type RunContext, isForkPr } from './context.js';
import { githubClient, githubMessage, httpStatus } from './octokit.js';
import { ARTIFACT_PREFIX, buildPayload, PAYLOAD_FILE } from './payload.js';
import { upsertComment } from './sticky-comment.js';
import type { FailOn, ReportRun } from '../report/markdown.js';
import { commentMarker } from '../report/pr-comment.js';

export interface CommentJob {
  ctx: RunContext;
  token: string;
  key: string;
  body: string;
  runs: ReportRun[];
  pluginPath: string;
  failOn: FailOn;
  /** Where to write the artifact's files. */
  workDir: string;
}

export type CommentResult =
  | { mode: 'posted'; action: 'created' | 'updated'; id: number }
  | { mode: 'artifact'; dir: string; uploaded: boolean; reason: string }
  | { mode: 'skipped'; reason: string };

export async function publishComment(job: CommentJob): Promise<CommentResult> {
  const pr = job.ctx.pr;
  if (!pr) return { mode: 'skipped', reason: 'not a pull request' };
  if (isForkPr(job.ctx))
    return leaveArtifact(
      job,
      `the pull request comes from the fork ${pr.headRepo}, whose token cannot comment`,
    );
  if (!job.token) return { mode: 'skipped', reason: 'no github-token' };
  const gh = githubClient({
    baseUrl: job.ctx.apiUrl,
    token: job.token,
    log: (l) => {
      log.info(l);
    },
  });
  try {
    const r = await upsertComment(
      gh,
      job.ctx.repository,
      pr.number,
      commentMarker(job.key),
      job.body,
    );
    return { mode: 'posted', action: r.action, id: r.id };
  } catch (e) {
    // A read-only token (fork, Dependabot, restricted permissions) answers 403: not the plugin's fault.
    const status = httpStatus(e);
    if (status === 403 || status === 401)
      return leaveArtifact(job, `the token cannot write comments (${githubMessage(e)})`);
    throw e;
  }
}

async function leaveArtifact(job: CommentJob, reason: string): Promise<CommentResult> {
  const pr = job.ctx.pr!;
  const suffix = createHash('sha256').update(job.key).digest('hex').slice(0, 12);
  const name = `${ARTIFACT_PREFIX}-${suffix}`;
  const dir = path.join(job.workDir, name);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, PAYLOAD_FILE);
  const payload = buildPayload({
    key: job.key,
    prNumber: pr.number,
    headSha: pr.headSha,
    pluginPath: job.pluginPath,
    failOn: job.failOn,
    runs: job.runs,
    body: job.body,
  });
  writeFileSync(file, `${JSON.stringify(payload)}\n`);
  if (!process.env.ACTIONS_RUNTIME_TOKEN) {
    log.warning(
      `No PR comment: ${reason}. The comment payload is in ${file}, but the artifact service is not available to upload it.`,
    );
    return { mode: 'artifact', dir, uploaded: false, reason };
  }
  try {
    await new DefaultArtifactClient().uploadArtifact(name, [file], dir, { retentionDays: 5 });
    log.notice(
      `No PR comment from this job: ${reason}. Uploaded artifact ${name}; the publish workflow (docs/action.md) posts it.`,
    );
    return { mode: 'artifact', dir, uploaded: true, reason };
  } catch (e) {
    log.warning(
      `No PR comment: ${reason}; uploading artifact ${name} failed too: ${(e as Error).message}`,
    );
    return { mode: 'artifact', dir, uploaded: false, reason };
  }
}
