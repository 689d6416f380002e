// The Moodle Playground's context constants: {{REPO}}, {{OWNER}}, {{REF}} and {{BRANCH}}, which it
// takes from the page's ?repo=/?ref=/?branch= (src/blueprint/resolver.js deriveContextConstants)
// and merges over the blueprint's own constants. Here they come from the repository being
// checked: the Action's pull request, or the checkout's git remote and HEAD on the command line.
import { execFileSync } from 'node:child_process';

export type ContextConstants = Partial<Record<'REPO' | 'OWNER' | 'REF' | 'BRANCH', string>>;

export const CONTEXT_KEYS = ['REPO', 'OWNER', 'REF', 'BRANCH'] as const;

/** From `owner/name`, a commit and a branch name (each optional). */
export function contextConstants(o: {
  repository?: string;
  ref?: string;
  branch?: string;
}): ContextConstants {
  const out: ContextConstants = {};
  if (o.repository && /^[\w.-]+\/[\w.-]+$/.test(o.repository)) {
    out.REPO = o.repository;
    out.OWNER = o.repository.split('/')[0]!;
  }
  if (o.ref) out.REF = o.ref;
  if (o.branch) out.BRANCH = o.branch;
  return out;
}

/** From a git checkout: the origin remote's `owner/name` (GitHub-like URLs), HEAD, its branch. */
export function gitContext(dir: string): ContextConstants {
  const git = (...args: string[]): string | undefined => {
    try {
      return execFileSync('git', ['-C', dir, ...args], {
        encoding: 'utf8',
        timeout: 5000,
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { PATH: process.env.PATH ?? '', GIT_TERMINAL_PROMPT: '0' },
      }).trim();
    } catch {
      return undefined;
    }
  };
  const remote = git('remote', 'get-url', 'origin');
  const m = remote ? /[/:]([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/.exec(remote) : null;
  const branch = git('rev-parse', '--abbrev-ref', 'HEAD');
  return contextConstants({
    ...(m?.[1] ? { repository: m[1] } : {}),
    ...(git('rev-parse', 'HEAD') ? { ref: git('rev-parse', 'HEAD')! } : {}),
    ...(branch && branch !== 'HEAD' ? { branch } : {}),
  });
}
