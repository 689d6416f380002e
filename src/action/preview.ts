import { previewLink } from '../blueprint/preview.js';
import {
  BRANCHES,
  branchesBetween,
  branchForRequires,
  branchName,
  isBranchShaped,
} from '../plugin/branches.js';
import { Plugin } from '../plugin/plugin.js';

export interface PreviewRequest {
  host?: string;
  /** PR head owner/name (the fork for fork PRs). */
  repository: string;
  /** Head commit sha. */
  ref: string;
  pluginPath: string;
  component: string | null;
  /** Branch numbers the plugin supports (pluginSupport, supportFromReport); omitted = not known. */
  supported?: readonly number[];
  /** Whether the plugin has a file, for the landing page (pluginSupport); omitted = not known. */
  hasFile?: (rel: string) => boolean;
  /** The checked Moodle ('4.5') and PHP ('8.3'). */
  moodle?: string;
  php?: string;
}

export interface PreviewResult {
  url?: string;
  note?: string;
  /** The Moodle and PHP the link boots. */
  runs?: { moodle: string; php: string };
  /** "checked: Moodle 5.2 on PHP 8.4 — why", when the link boots something else. */
  differs?: string;
}

/**
 * The Playground link, or undefined with a reason: a missing link must never fail the check,
 * and a plugin without a component cannot be installed by a blueprint.
 */
export function previewUrl(r: PreviewRequest): PreviewResult {
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
      ...(r.supported ? { supported: r.supported } : {}),
      ...(r.hasFile ? { hasFile: r.hasFile } : {}),
      ...(r.moodle ? { moodle: r.moodle } : {}),
      ...(r.php ? { php: r.php } : {}),
    });
    if (!link.url) return { note: `no preview link: ${link.fallbackReason ?? 'unknown reason'}` };
    return {
      url: link.url,
      ...(link.fallbackReason ? { note: `preview link fallback: ${link.fallbackReason}` } : {}),
      ...(link.runs ? { runs: link.runs } : {}),
      ...(link.differs ? { differs: `checked: ${checkedName(r)} — ${link.differs}` } : {}),
    };
  } catch (e) {
    return { note: `no preview link: ${(e as Error).message}` };
  }
}

function checkedName(r: PreviewRequest): string {
  return `Moodle ${r.moodle ?? '(default)'}${r.php ? ` on PHP ${r.php}` : ''}`;
}

/** What the comment shows of a preview: the button and which Moodle it runs. */
export function commentPreview(p: PreviewResult): {
  previewUrl?: string;
  previewRuns?: { moodle: string; php: string };
  previewDiffers?: string;
} {
  if (!p.url) return {};
  return {
    previewUrl: p.url,
    ...(p.runs ? { previewRuns: p.runs } : {}),
    ...(p.differs ? { previewDiffers: p.differs } : {}),
  };
}

/** The checked-out plugin's supported branches and files; nothing when it cannot be read. */
export function pluginSupport(dir: string): Pick<PreviewRequest, 'supported' | 'hasFile'> {
  try {
    const plugin = Plugin.load(dir);
    return {
      supported: plugin.targetBranches().map((b) => b.branch),
      hasFile: (rel) => plugin.has(rel),
    };
  } catch {
    return {};
  }
}

/**
 * The supported branches from a report's plugin fields, for the publish side, which has no plugin
 * to read: `supported` when it is a pair of branches, else all we know, from `requires` up. The
 * payload is untrusted and its schema does not cover these fields, so a value of another shape
 * counts as not declared. An artifact without either field (an older one) gives only the checked
 * branch, and says so.
 */
export function supportFromReport(
  plugin: { requires?: unknown; supported?: unknown },
  checkedBranch: string | undefined,
): { supported?: number[]; note?: string } {
  if (!('requires' in plugin) && !('supported' in plugin)) {
    const n = Number(checkedBranch);
    if (!isBranchShaped(n)) return { note: 'the artifact names no supported Moodle range' };
    return {
      supported: [n],
      note: `the artifact names no supported Moodle range; the preview assumes the checked Moodle ${branchName(n)} only`,
    };
  }
  const pair = branchPair(plugin.supported);
  const requires = Number.isInteger(plugin.requires) ? (plugin.requires as number) : undefined;
  // Declaring neither limits nothing: Moodle installs such a plugin anywhere.
  if (!pair && requires === undefined) return {};
  // A `requires` past every branch we know leaves none.
  const floor = requires === undefined ? 0 : (branchForRequires(requires)?.branch ?? Infinity);
  const list = pair ? branchesBetween(pair[0], pair[1]) : BRANCHES;
  return { supported: list.map((b) => b.branch).filter((b) => b >= floor) };
}

/** `[min, max]` as version.php's `supported` has it (max -1: open-ended), or undefined. */
function branchPair(v: unknown): [number, number] | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [min, max] = v as unknown[];
  const shaped = (b: unknown): b is number => typeof b === 'number' && isBranchShaped(b);
  return shaped(min) && (max === -1 || shaped(max)) ? [min, max] : undefined;
}
