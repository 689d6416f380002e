import { previewLink } from '../blueprint/preview.js';

export interface PreviewRequest {
  host?: string;
  /** PR head owner/name (the fork for fork PRs). */
  repository: string;
  /** Head commit sha. */
  ref: string;
  pluginPath: string;
  component: string | null;
  moodle?: string;
  php?: string;
}

/**
 * The Playground link, or undefined with a reason: a missing link must never fail the check,
 * and a plugin without a component cannot be installed by a blueprint.
 */
export function previewUrl(r: PreviewRequest): { url?: string; note?: string } {
  if (!r.component) return { note: 'no preview link: the plugin has no component name' };
  if (!r.repository || !/^[0-9a-f]{7,64}$/.test(r.ref))
    return { note: 'no preview link: the repository or commit is unknown' };
  try {
    const link = previewLink({
      repository: r.repository,
      ref: r.ref,
      pluginDir: r.pluginPath,
      component: r.component,
      ...(r.host ? { host: r.host } : {}),
      ...(r.moodle && /^\d+\.\d+/.test(r.moodle) ? { moodle: r.moodle } : {}),
      ...(r.php ? { php: r.php } : {}),
    });
    return {
      url: link.url,
      ...(link.fallbackReason ? { note: `preview link fallback: ${link.fallbackReason}` } : {}),
    };
  } catch (e) {
    return { note: `no preview link: ${(e as Error).message}` };
  }
}
