// PHP_CodeSniffer with moodle-cs, inside php-wasm, on the PHP files the plugin ships. The plugin
// is mounted read-only where Moodle would install it, below a stand-in Moodle root that gives
// moodle-cs what it asks a Moodle checkout for (the branch, the components, lib/apis.json), so it
// judges components and namespaces as it does in moodle-plugin-ci — without a Moodle tree.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PhpMount } from '../php/runtime.js';
import { createPhpRuntime } from '../php/runtime.js';
import { runTool, stopped, type ToolRun } from './run-tool.js';
import type { PhpVersion } from '../php/runtime-package.js';
import { CORE_SUBSYSTEMS } from '../plugin/subsystems.js';
import type { Plugin } from '../plugin/plugin.js';
import type { ToolPackage } from './toolchain.js';

/** Where PHP_CodeSniffer looks for a project's own ruleset, in its order. */
export const PHPCS_CONFIG_FILES = ['.phpcs.xml', 'phpcs.xml', '.phpcs.xml.dist', 'phpcs.xml.dist'];

export type CsStandard = 'moodle' | 'moodle-extra';

export interface PhpcsMessage {
  /** Relative to the top plugin's root, posix. */
  file: string;
  line: number;
  column: number;
  /** The sniff code, e.g. `moodle.Files.BoilerplateComment.Wrong`. */
  source: string;
  message: string;
  type: 'ERROR' | 'WARNING';
  fixable: boolean;
}

export interface PhpcsResult {
  messages: PhpcsMessage[];
  /** PHP files checked. */
  files: number;
  /** The standard phpcs ran: `moodle`, `moodle-extra`, or the plugin's own ruleset file. */
  standard: string;
  durationMs: number;
}

export class PhpcsError extends Error {
  override readonly name = 'PhpcsError';
}

const PHPCS: ToolRun = {
  name: 'phpcs',
  fail: (m) => new PhpcsError(m),
  ok: (exitCode) => exitCode <= 2,
  headLines: 12,
};

export interface PhpcsOptions {
  tools: Partial<Record<ToolPackage['mount'], string>>;
  standard: CsStandard;
  /** moodle-cs's `moodleBranch` (e.g. 405). */
  branch: number;
  php: PhpVersion;
  /** A Moodle tree's lib/apis.json; moodle-cs falls back to its own copy (4.2's) without it. */
  apisJson?: string;
  timeoutMs?: number;
  /** Runs phpcs on this many slices of the file list at once (one php-wasm worker each). */
  workers?: number;
  /**
   * A folder of ours where phpcs keeps its cache (`--cache`): a file whose content, the ruleset
   * and phpcs are unchanged is not checked again. Only for our own standards: a plugin's ruleset
   * may load the plugin's PHP (`<autoload>`), which must not write what a later run trusts.
   */
  cacheDir?: string;
}

/** The PHP files phpcs checks: what the plugin and its subplugins lint (third-party code left out). */
export function phpcsFiles(top: Plugin, all: (p: Plugin) => Plugin[]): string[] {
  return all(top)
    .flatMap((p) => p.files.filter((f) => f.endsWith('.php')).map((f) => p.prefix + f))
    .sort();
}

/** The plugin's own phpcs ruleset at its root, when it has one (PHP_CodeSniffer's own order). */
export function ownRuleset(top: Plugin): string | undefined {
  return PHPCS_CONFIG_FILES.find((f) => top.allFiles.includes(f));
}

const ROOT = '/moodle';

/** lines of moodle-local_ci's list_valid_components format: `plugin|subsystem,<component>,<path>`. */
function componentsList(top: Plugin, all: (p: Plugin) => Plugin[], installPath: string): string {
  const lines = [...CORE_SUBSYSTEMS].map((s) => `subsystem,core_${s},${ROOT}/${s}`);
  lines.push(`subsystem,core,${ROOT}/lib`);
  for (const p of all(top)) {
    if (!p.component) continue;
    const dir = p.prefix === '' ? installPath : `${installPath}/${p.prefix.replace(/\/$/, '')}`;
    lines.push(`plugin,${p.component},${ROOT}/${dir}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Runs phpcs over the plugin and returns what it reported. A phpcs that cannot run (a broken
 * ruleset of the plugin's, a PHP crash) throws PhpcsError with phpcs's own words.
 */
export async function runPhpcs(
  top: Plugin,
  all: (p: Plugin) => Plugin[],
  options: PhpcsOptions,
): Promise<PhpcsResult> {
  const started = performance.now();
  const installPath = top.installPath ?? `local/${top.name ?? 'plugin'}`;
  const files = phpcsFiles(top, all);
  const own = ownRuleset(top);
  const pluginVfs = `${ROOT}/${installPath}`;
  const standard = own ? `${pluginVfs}/${own}` : options.standard;
  if (files.length === 0) {
    return { messages: [], files: 0, standard: own ?? options.standard, durationMs: 0 };
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'mpc-phpcs-'));
  try {
    const stub = path.join(scratch, 'root');
    mkdirSync(path.join(stub, installPath), { recursive: true });
    mkdirSync(path.join(stub, 'lib'), { recursive: true });
    writeFileSync(
      path.join(stub, 'version.php'),
      `<?php\n// Stands in for Moodle's version.php: moodle-cs only needs to find it.\n$branch = '${options.branch}';\n`,
    );
    writeFileSync(path.join(stub, 'config-dist.php'), '<?php\n');
    writeFileSync(path.join(stub, '.mpc-components.csv'), componentsList(top, all, installPath));
    if (options.apisJson !== undefined && existsSync(options.apisJson))
      writeFileSync(path.join(stub, 'lib', 'apis.json'), readFileSync(options.apisJson));
    const workers = Math.max(1, Math.min(options.workers ?? 1, Math.ceil(files.length / 20)));
    const slices: string[][] = Array.from({ length: workers }, () => []);
    // A file's slice depends on its name alone, so each slice's cache sees the same files again.
    for (const f of files) slices[sliceOf(f, workers)]!.push(f);
    // phpcs reads and writes its cache in the run's own folder; it is copied back into the shared
    // one only when phpcs ended well, by a rename, so parallel checks never see half a file.
    const cache = own === undefined ? options.cacheDir : undefined;
    const cacheName = (i: number): string => `phpcs-${workers}-${i}.json`;
    if (cache !== undefined)
      for (let i = 0; i < workers; i++) {
        const from = path.join(cache, cacheName(i));
        if (existsSync(from)) copyFileSync(from, path.join(scratch, cacheName(i)));
      }

    const mounts: PhpMount[] = [
      ...Object.entries(options.tools).map(([name, dir]) => ({
        hostPath: dir,
        vfsPath: `/mpc-cs/${name}`,
        readOnly: true,
      })),
      { hostPath: stub, vfsPath: ROOT, readOnly: true },
      { hostPath: top.root, vfsPath: pluginVfs, readOnly: true },
      { hostPath: scratch, vfsPath: '/mpc-out', readOnly: false },
    ];
    const runtime = await createPhpRuntime({ phpVersion: options.php, mounts });
    const results = await Promise.all(
      slices.map(async (slice, i) => {
        writeFileSync(
          path.join(scratch, `files-${i}.txt`),
          `${slice.map((f) => `${pluginVfs}/${f}`).join('\n')}\n`,
        );
        const report = `/mpc-out/report-${i}.json`;
        const argv = [
          'php',
          '/mpc-cs/phpcs/bin/phpcs',
          '--runtime-set',
          'installed_paths',
          '/mpc-cs/moodle-cs,/mpc-cs/phpcsextra,/mpc-cs/phpcsutils',
          '--runtime-set',
          'moodleRoot',
          ROOT,
          '--runtime-set',
          'moodleBranch',
          String(options.branch),
          '--runtime-set',
          'moodleComponentsListPath',
          `${ROOT}/.mpc-components.csv`,
          `--standard=${standard}`,
          '--extensions=php',
          '--encoding=utf-8',
          '--report=json',
          `--report-file=${report}`,
          `--basepath=${pluginVfs}`,
          '--no-colors',
          cache !== undefined ? `--cache=/mpc-out/${cacheName(i)}` : '--no-cache',
          '-q',
          `--file-list=/mpc-out/files-${i}.txt`,
        ];
        // phpcs exits 0 (clean), 1 or 2 (findings); 3 and up is a processing error.
        const r = await runTool(
          runtime,
          argv,
          { cwd: pluginVfs, env: {}, timeoutMs: options.timeoutMs ?? 300_000, memoryLimit: '1G' },
          PHPCS,
        );
        const host = path.join(scratch, `report-${i}.json`);
        if (!existsSync(host)) throw stopped(r, PHPCS);
        return parseReport(readFileSync(host, 'utf8'), pluginVfs);
      }),
    );
    if (cache !== undefined) {
      mkdirSync(cache, { recursive: true });
      for (let i = 0; i < workers; i++) {
        const from = path.join(scratch, cacheName(i));
        if (!existsSync(from)) continue;
        const tmp = path.join(cache, `${cacheName(i)}.${process.pid}.tmp`);
        copyFileSync(from, tmp);
        renameSync(tmp, path.join(cache, cacheName(i)));
      }
    }
    return {
      messages: results.flat(),
      files: files.length,
      standard: own ?? options.standard,
      durationMs: performance.now() - started,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** FNV-1a of the path, modulo the slices. */
function sliceOf(file: string, slices: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193) >>> 0;
  return h % slices;
}

interface JsonReport {
  files?: Record<
    string,
    {
      messages?: {
        message?: unknown;
        source?: unknown;
        type?: unknown;
        line?: unknown;
        column?: unknown;
        fixable?: unknown;
      }[];
    }
  >;
}

/** phpcs's JSON report → messages with paths relative to the plugin. Anything malformed is an error. */
export function parseReport(text: string, pluginVfs: string): PhpcsMessage[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PhpcsError(`phpcs wrote a report that is not JSON: ${(e as Error).message}`);
  }
  const files = (parsed as { files?: unknown } | null)?.files;
  if (typeof files !== 'object' || files === null)
    throw new PhpcsError('phpcs wrote a report without files');
  const data = { files } as Required<JsonReport>;
  const out: PhpcsMessage[] = [];
  for (const [name, entry] of Object.entries(data.files)) {
    let file = name.replace(/\\/g, '/');
    if (file.startsWith(`${pluginVfs}/`)) file = file.slice(pluginVfs.length + 1);
    file = file.replace(/^\.\//, '');
    for (const m of entry.messages ?? []) {
      const source = typeof m.source === 'string' ? m.source : 'Internal.Unknown';
      out.push({
        file,
        line: typeof m.line === 'number' ? m.line : 1,
        column: typeof m.column === 'number' ? m.column : 1,
        source,
        message: typeof m.message === 'string' ? m.message : '',
        type: m.type === 'WARNING' ? 'WARNING' : 'ERROR',
        fixable: m.fixable === true,
      });
    }
  }
  return out;
}
