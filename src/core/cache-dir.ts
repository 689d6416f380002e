// The tool's cache folder, for every layer that keeps something between runs.
import { homedir } from 'node:os';
import path from 'node:path';

const APP = 'moodle-plugin-check';

export interface CacheDirContext {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/**
 * The user cache folder: `MPC_CACHE_DIR`, else the platform's usual place — XDG on Linux,
 * `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows.
 */
export function cacheRoot(ctx: CacheDirContext = {}): string {
  const env = ctx.env ?? process.env;
  const platform = ctx.platform ?? process.platform;
  const home = ctx.home ?? homedir();
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (env.MPC_CACHE_DIR) return p.resolve(env.MPC_CACHE_DIR);
  if (platform === 'win32') {
    const base = env.LOCALAPPDATA ?? p.join(home, 'AppData', 'Local');
    return p.join(base, APP, 'Cache');
  }
  if (platform === 'darwin') return p.join(home, 'Library', 'Caches', APP);
  // XDG says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && p.isAbsolute(xdg)) return p.join(xdg, APP);
  return p.join(home, '.cache', APP);
}
