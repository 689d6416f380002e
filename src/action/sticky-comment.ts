import { httpStatus, type GitHubClient } from './octokit.js';

export type CommentOutcome = { action: 'created' | 'updated'; id: number; url?: string };

const repoParts = (repository: string): { owner: string; repo: string } => {
  const [owner = '', repo = ''] = repository.split('/');
  return { owner, repo };
};
export { repoParts };

/**
 * Finds our comment on the PR by its hidden marker and updates it, else creates it. One comment per
 * marker, ever: the oldest match wins, so a race that left two still converges on one being updated.
 */
export async function upsertComment(
  gh: GitHubClient,
  repository: string,
  prNumber: number,
  marker: string,
  body: string,
): Promise<CommentOutcome> {
  const where = repoParts(repository);
  const existing = await findComment(gh, where, prNumber, marker);
  if (existing !== undefined) {
    try {
      const { data: c } = await gh.rest.issues.updateComment({
        ...where,
        comment_id: existing,
        body,
      });
      return { action: 'updated', id: c.id, ...(c.html_url ? { url: c.html_url } : {}) };
    } catch (e) {
      // Deleted between listing and updating: create a fresh one.
      if (httpStatus(e) !== 404) throw e;
    }
  }
  const { data: c } = await gh.rest.issues.createComment({
    ...where,
    issue_number: prNumber,
    body,
  });
  return { action: 'created', id: c.id, ...(c.html_url ? { url: c.html_url } : {}) };
}

async function findComment(
  gh: GitHubClient,
  where: { owner: string; repo: string },
  prNumber: number,
  marker: string,
): Promise<number | undefined> {
  for (let page = 1; page <= 50; page++) {
    const { data: list } = await gh.rest.issues.listComments({
      ...where,
      issue_number: prNumber,
      per_page: 100,
      page,
    });
    const hit = list.find((c) => c.body?.includes(marker));
    if (hit) return hit.id;
    if (list.length < 100) return undefined;
  }
  return undefined;
}
