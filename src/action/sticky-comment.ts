import { GitHubApiError, type GitHubApi } from './github-api.js';

interface IssueComment {
  id: number;
  body?: string;
}

export type CommentOutcome = { action: 'created' | 'updated'; id: number; url?: string };

/**
 * Finds our comment on the PR by its hidden marker and updates it, else creates it. One comment per
 * marker, ever: the oldest match wins, so a race that left two still converges on one being updated.
 */
export async function upsertComment(
  api: GitHubApi,
  repository: string,
  prNumber: number,
  marker: string,
  body: string,
): Promise<CommentOutcome> {
  const existing = await findComment(api, repository, prNumber, marker);
  if (existing !== undefined) {
    try {
      const c = await api.request<{ id: number; html_url?: string }>(
        'PATCH',
        `/repos/${repository}/issues/comments/${existing}`,
        { body },
      );
      return { action: 'updated', id: c.id, ...(c.html_url ? { url: c.html_url } : {}) };
    } catch (e) {
      // Deleted between listing and updating: create a fresh one.
      if (!(e instanceof GitHubApiError && e.status === 404)) throw e;
    }
  }
  const c = await api.request<{ id: number; html_url?: string }>(
    'POST',
    `/repos/${repository}/issues/${prNumber}/comments`,
    { body },
  );
  return { action: 'created', id: c.id, ...(c.html_url ? { url: c.html_url } : {}) };
}

async function findComment(
  api: GitHubApi,
  repository: string,
  prNumber: number,
  marker: string,
): Promise<number | undefined> {
  for (let page = 1; page <= 50; page++) {
    const list = await api.request<IssueComment[]>(
      'GET',
      `/repos/${repository}/issues/${prNumber}/comments?per_page=100&page=${page}`,
    );
    const hit = list.find((c) => c.body?.includes(marker));
    if (hit) return hit.id;
    if (list.length < 100) return undefined;
  }
  return undefined;
}
