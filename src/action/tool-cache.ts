// The runner's side of downloads and caching, through @actions/tool-cache:
// - every download goes through `downloadTool` (the runner's proxy settings, its retries), with
//   our own bounds and checksums around it (src/core/http.ts);
// - the tool's cache lives in the runner's tool cache (RUNNER_TOOL_CACHE/moodle-plugin-check/
//   <version>/<arch>), so a self-hosted runner keeps Moodle trees, PHP runtimes and installed
//   sites between jobs. Hosted runners start with an empty tool cache; @actions/cache
//   (cache.ts) carries the same folder between their jobs.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tc from '@actions/tool-cache';
import { setDownloadTransport } from '../core/http.js';
import { TOOL } from '../core/version.js';

export const TOOL_CACHE_NAME = 'moodle-plugin-check';

export type ToolCacheUse =
  | { kind: 'user'; dir: string } // MPC_CACHE_DIR was set: the user's choice wins
  | { kind: 'none' } // no RUNNER_TOOL_CACHE: not on a runner (or an odd one)
  | { kind: 'found'; dir: string; entries: number } // kept from an earlier job
  | { kind: 'created'; dir: string };

/**
 * Points MPC_CACHE_DIR at this version's folder in the runner's tool cache, creating it (empty,
 * marked complete: every entry inside has its own completion marker) when it is not there yet.
 */
export async function useRunnerToolCache(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ToolCacheUse> {
  if (env.MPC_CACHE_DIR) return { kind: 'user', dir: env.MPC_CACHE_DIR };
  if (!env.RUNNER_TOOL_CACHE) return { kind: 'none' };
  const found = tc.find(TOOL_CACHE_NAME, TOOL.version);
  if (found) {
    env.MPC_CACHE_DIR = found;
    return { kind: 'found', dir: found, entries: readdirSync(found).length };
  }
  const empty = mkdtempSync(path.join(env.RUNNER_TEMP ?? tmpdir(), 'mpc-empty-'));
  try {
    const dir = await tc.cacheDir(empty, TOOL_CACHE_NAME, TOOL.version);
    env.MPC_CACHE_DIR = dir;
    return { kind: 'created', dir };
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}

/** Sends the run's downloads through tool-cache's downloadTool. */
export function useToolCacheDownloads(): void {
  setDownloadTransport(async (url, dest) => {
    // downloadTool names itself (user agent actions/tool-cache) and asks for no encoding.
    await tc.downloadTool(url, dest);
  });
}
