// What the run knows about GitHub: repository, event, pull request. Read from the runner's
// environment and event file (not from @actions/github, to keep dist small).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';

export interface PullRequestInfo {
  number: number;
  headSha: string;
  /** owner/name of the head repository: the fork for fork PRs. */
  headRepo: string;
  baseSha?: string;
  baseRepo: string;
}

export interface RunContext {
  eventName: string;
  repository: string;
  serverUrl: string;
  apiUrl: string;
  workspace: string;
  sha: string;
  event: Record<string, unknown>;
  pr?: PullRequestInfo;
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function readContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const eventPath = env.GITHUB_EVENT_PATH;
  let event: Record<string, unknown> = {};
  if (eventPath && existsSync(eventPath)) {
    try {
      event = obj(JSON.parse(readFileSync(eventPath, 'utf8')));
    } catch (e) {
      throw new Error(`GITHUB_EVENT_PATH ${eventPath} is not JSON: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }
  const repository = env.GITHUB_REPOSITORY ?? '';
  const ctx: RunContext = {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    repository,
    serverUrl: (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, ''),
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/$/, ''),
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    sha: env.GITHUB_SHA ?? '',
    event,
  };
  const pr = obj(event.pull_request);
  const head = obj(pr.head);
  const base = obj(pr.base);
  const number = pr.number;
  const headSha = str(head.sha);
  if (typeof number === 'number' && headSha) {
    const baseSha = str(base.sha);
    ctx.pr = {
      number,
      headSha,
      headRepo: str(obj(head.repo).full_name) ?? repository,
      ...(baseSha ? { baseSha } : {}),
      baseRepo: str(obj(base.repo).full_name) ?? repository,
    };
  }
  return ctx;
}

/** A PR from another repository: its workflow token is read-only, so no comment from here. */
export function isForkPr(ctx: RunContext): boolean {
  return ctx.pr !== undefined && ctx.pr.headRepo.toLowerCase() !== ctx.repository.toLowerCase();
}

/** The commit checked out in a folder's git repository, read from .git without running git. */
export function gitHead(dir: string): string | undefined {
  let d = path.resolve(dir);
  for (;;) {
    const dotgit = path.join(d, '.git');
    if (existsSync(dotgit)) {
      try {
        return readHead(dotgit);
      } catch {
        return undefined; // an unreadable .git tells us nothing; the caller decides without it
      }
    }
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

function readHead(dotgit: string): string | undefined {
  let gitdir = dotgit;
  if (statSync(dotgit).isFile()) {
    // Worktrees and submodules: ".git" is a file "gitdir: <path>".
    const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotgit, 'utf8'));
    if (!m) return undefined;
    gitdir = path.resolve(path.dirname(dotgit), m[1]!.trim());
  }
  const head = readFileSync(path.join(gitdir, 'HEAD'), 'utf8').trim();
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  const loose = path.join(gitdir, ref);
  if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
  const packed = path.join(gitdir, 'packed-refs');
  if (!existsSync(packed)) return undefined;
  for (const line of readFileSync(packed, 'utf8').split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && sha) return sha;
  }
  return undefined;
}

/**
 * Whether a commit is in the local clone: actions/checkout fetches one commit by default, so the
 * PR's base is usually absent unless the workflow asks for `fetch-depth: 0`.
 */
export function hasCommit(dir: string, sha: string): boolean {
  try {
    execFileSync('git', ['-C', dir, 'cat-file', '-e', `${sha}^{commit}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * `pull_request_target` runs with a write token and secrets; checking out the PR's code there and
 * running it (we execute its PHP) hands both to whoever opened the PR. Refuse, and say what to do.
 */
export function refuseUnsafeTarget(ctx: RunContext, pluginDir: string): void {
  if (ctx.eventName !== 'pull_request_target' || !ctx.pr) return;
  const heads = [gitHead(pluginDir), gitHead(ctx.workspace)].filter((h) => h !== undefined);
  const why =
    'pull_request_target runs with a write token and the repository secrets, and this action executes the plugin’s PHP, so the PR author could take both.';
  const fix =
    'Run the check on `pull_request` (read-only token; fork PRs get their comment through the publish workflow, see docs/action.md), or check out only the base branch here.';
  if (heads.includes(ctx.pr.headSha))
    throw new UserError(
      `Refusing to run: this is a pull_request_target workflow and the pull request's head commit ${ctx.pr.headSha.slice(0, 12)} is checked out. ${why}`,
      fix,
    );
  // The PR's merge commit (refs/pull/N/merge) is PR code too; only the base is known to be safe.
  const safe = new Set([ctx.sha, ctx.pr.baseSha].filter((s) => s !== undefined && s !== ''));
  const other = heads.find((h) => !safe.has(h));
  if (other !== undefined)
    throw new UserError(
      `Refusing to run: this is a pull_request_target workflow and the checked-out commit ${other.slice(0, 12)} is not the base branch (it may be the pull request's merge commit). ${why}`,
      fix,
    );
}
