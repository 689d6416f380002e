import { input } from '../../core/inputs.js';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { readUserFile } from '../../core/host-paths.js';
import { PLUGIN_ZIP_LIMITS, unzipBounded } from './extract.js';

/** The old version of the plugin for `--upgrade-from`, as a folder on this machine. */
export type UpgradeSource =
  | {
      kind: 'dir' | 'git' | 'zip';
      /** Folder holding the old version.php (read-only: a temp copy for git and zip). */
      dir: string;
      /** What the report calls it: the folder, `git:<ref> (<sha>)`, or the zip. */
      label: string;
      /** Removes what we extracted (nothing for a folder). */
      cleanup(): void;
    }
  | { kind: 'skip'; label: string; reason: string; cleanup(): void };

const noop = (): void => undefined;

/**
 * Resolves `--upgrade-from`: an existing folder is used as it is, a `.zip` is extracted safely
 * into a temp folder, anything else is a git ref of the plugin checkout, exported with `git
 * archive` (the checkout, its index and its work tree are never touched).
 */
export function resolveUpgradeSource(spec: string, pluginDir: string): UpgradeSource {
  if (spec.trim() === '') {
    throw new UserError(
      `${input('upgrade-from')} is empty.`,
      'Pass a folder, a .zip or a git ref (e.g. origin/main).',
    );
  }
  const asPath = path.resolve(spec);
  if (existsSync(asPath) && statSync(asPath).isDirectory()) {
    return { kind: 'dir', dir: pluginRoot(asPath, spec), label: asPath, cleanup: noop };
  }
  if (/\.zip$/i.test(spec)) {
    if (!existsSync(asPath)) {
      throw new UserError(
        `${input('upgrade-from', spec)}: no such file.`,
        'Pass the path of the old version’s .zip.',
      );
    }
    const dest = mkdtempSync(path.join(tmpdir(), 'mpc-upgrade-from-'));
    try {
      extractZip(
        readUserFile(asPath, {
          shown: input('upgrade-from', spec),
          maxBytes: PLUGIN_ZIP_LIMITS.maxBytes,
        }),
        dest,
        input('upgrade-from', spec),
      );
      return {
        kind: 'zip',
        dir: pluginRoot(dest, spec),
        label: asPath,
        cleanup: () => {
          rmSync(dest, { recursive: true, force: true });
        },
      };
    } catch (e) {
      rmSync(dest, { recursive: true, force: true });
      throw e;
    }
  }
  return fromGit(spec, path.resolve(pluginDir));
}

function git(cwd: string, args: string[], encoding: 'buffer' | 'utf8' = 'utf8'): string | Buffer {
  return execFileSync('git', ['-C', cwd, ...args], {
    encoding: encoding === 'utf8' ? 'utf8' : 'buffer',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 512 * 1024 * 1024,
    // No pager, no prompts, no user config that could run programs (e.g. textconv).
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: tmpdir(),
    },
  });
}

function fromGit(ref: string, pluginDir: string): UpgradeSource {
  if (ref.startsWith('-') || /[\s\0]/.test(ref)) {
    throw new UserError(
      `${input('upgrade-from', ref)}: not a folder, a .zip or a git ref.`,
      'Pass an existing folder, a .zip file or a git ref such as a tag, branch or commit.',
    );
  }
  let prefix: string;
  try {
    prefix = (git(pluginDir, ['rev-parse', '--show-prefix']) as string).trim();
  } catch {
    throw new UserError(
      `${input('upgrade-from', ref)}: no such folder or .zip, and ${pluginDir} is not a git checkout to read a ref from.`,
      'Pass the old version’s folder or .zip, or run the check on a git checkout of the plugin.',
    );
  }
  let sha: string;
  try {
    sha = (
      git(pluginDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) as string
    ).trim();
  } catch {
    let shallow = false;
    try {
      shallow =
        (git(pluginDir, ['rev-parse', '--is-shallow-repository']) as string).trim() === 'true';
    } catch {
      // an old git without the flag: decide by the ref's shape only
    }
    if (shallow || /^[0-9a-f]{7,40}$/i.test(ref)) {
      const reason = `${ref} is not in this checkout: base commit not fetched; use fetch-depth: 0 with actions/checkout (or git fetch the ref)`;
      return { kind: 'skip', label: `git:${ref}`, reason, cleanup: noop };
    }
    throw new UserError(
      `${input('upgrade-from', ref)}: no such folder, .zip or git ref in ${pluginDir}.`,
      'Pass an existing folder, a .zip, or a ref that git rev-parse knows (a tag, branch or commit).',
    );
  }
  // `<sha>:<prefix>` archives the plugin's own folder when it sits below the repository root.
  const treeish = prefix === '' ? sha : `${sha}:${prefix.replace(/\/$/, '')}`;
  let zip: Buffer;
  try {
    // From the repository root: git archive refuses to run in a subfolder for a `<sha>:<path>` tree.
    const top = (git(pluginDir, ['rev-parse', '--show-toplevel']) as string).trim();
    zip = git(top, ['archive', '--format=zip', treeish], 'buffer') as Buffer;
  } catch (e) {
    const reason = `${ref} (${sha.slice(0, 12)}) has no ${prefix === '' ? 'tree' : prefix} to export: ${((e as { stderr?: Buffer }).stderr?.toString() ?? '').trim() || 'git archive failed'}`;
    return { kind: 'skip', label: `git:${ref}`, reason, cleanup: noop };
  }
  const dest = mkdtempSync(path.join(tmpdir(), 'mpc-upgrade-from-'));
  try {
    extractZip(zip, dest, input('upgrade-from', ref));
    if (!existsSync(path.join(dest, 'version.php'))) {
      rmSync(dest, { recursive: true, force: true });
      return {
        kind: 'skip',
        label: `git:${ref}`,
        reason: `the plugin did not exist at ${ref} (${sha.slice(0, 12)}): no ${prefix}version.php there`,
        cleanup: noop,
      };
    }
  } catch (e) {
    rmSync(dest, { recursive: true, force: true });
    throw e;
  }
  return {
    kind: 'git',
    dir: dest,
    label: `git:${ref} (${sha.slice(0, 12)})`,
    cleanup: () => {
      rmSync(dest, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a zip's files under `dest`. Absolute names, `..`, drive letters and backslashes are
 * refused (zip-slip), so nothing lands outside `dest`.
 */
export function extractZip(data: Uint8Array, dest: string, what: string): number {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipBounded(data, what);
  } catch (e) {
    if (e instanceof UserError) throw e; // over a size or entry limit
    throw new UserError(
      `${what}: not a readable zip (${(e as Error).message}).`,
      'Pass a .zip made by git archive, GitHub or the Moodle plugins directory.',
    );
  }
  let count = 0;
  for (const [name, content] of Object.entries(files)) {
    const parts = name.split('/');
    if (
      name.startsWith('/') ||
      name.includes('\\') ||
      /^[A-Za-z]:/.test(name) ||
      parts.some((p) => p === '..')
    ) {
      throw new UserError(
        `${what}: refused the entry "${name}", which points outside the archive.`,
        'Rebuild the zip with relative paths only.',
      );
    }
    const target = path.join(dest, ...parts);
    if (name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    count++;
  }
  return count;
}

/** The folder with version.php: the given one, or the single top folder of an archive. */
function pluginRoot(dir: string, spec: string): string {
  if (existsSync(path.join(dir, 'version.php'))) return dir;
  const entries = readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only?.isDirectory() && existsSync(path.join(dir, only.name, 'version.php')))
    return path.join(dir, only.name);
  throw new UserError(
    `${input('upgrade-from', spec)}: no version.php in it, so it is not a Moodle plugin.`,
    'Pass the old version’s plugin folder (the one with version.php), or a zip whose top folder is the plugin.',
  );
}
