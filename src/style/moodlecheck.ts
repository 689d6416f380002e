// moodlehq/moodle-local_moodlecheck's phpdoc rules inside php-wasm, run by our driver
// (php/style/moodlecheck.php) on the PHP files the plugin ships: the rules and their parser are
// moodlecheck's own, unchanged, so the findings are the prechecker's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ourPhpDir } from '../moodle/site/site.js';
import { createPhpRuntime } from '../php/runtime.js';
import { lastJsonLine, runTool, type ToolRun } from './run-tool.js';
import type { PhpVersion } from '../php/runtime-package.js';

export interface MoodlecheckMessage {
  /** Relative to the plugin root, posix. */
  file: string;
  line: number | undefined;
  severity: 'error' | 'warning';
  /** moodlecheck's rule code, e.g. `functionarguments`. */
  source: string;
  message: string;
}

export class MoodlecheckError extends Error {
  override readonly name = 'MoodlecheckError';
}

const MOODLECHECK: ToolRun = { name: 'moodlecheck', fail: (m) => new MoodlecheckError(m) };

/** Runs moodlecheck's rules over `files` (relative to `root`). */
export async function runMoodlecheck(
  root: string,
  files: readonly string[],
  options: { moodlecheck: string; php: PhpVersion; timeoutMs?: number },
): Promise<MoodlecheckMessage[]> {
  if (files.length === 0) return [];
  const scratch = mkdtempSync(path.join(tmpdir(), 'mpc-moodlecheck-'));
  try {
    // moodlecheck finds itself at $CFG->dirroot/local/moodlecheck.
    mkdirSync(path.join(scratch, 'root', 'local', 'moodlecheck'), { recursive: true });
    writeFileSync(
      path.join(scratch, 'files.txt'),
      `${files.map((f) => `/plugin/${f}`).join('\n')}\n`,
    );
    const runtime = await createPhpRuntime({
      phpVersion: options.php,
      mounts: [
        { hostPath: path.join(scratch, 'root'), vfsPath: '/mpc-mc', readOnly: true },
        { hostPath: options.moodlecheck, vfsPath: '/mpc-mc/local/moodlecheck', readOnly: true },
        { hostPath: path.join(ourPhpDir(), 'style'), vfsPath: '/mpc-style', readOnly: true },
        { hostPath: path.join(scratch, 'files.txt'), vfsPath: '/mpc-files.txt', readOnly: true },
        { hostPath: root, vfsPath: '/plugin', readOnly: true },
      ],
    });
    const r = await runTool(
      runtime,
      ['php', '/mpc-style/moodlecheck.php', '/mpc-mc', '/mpc-files.txt', '/plugin/'],
      { env: {}, cwd: '/plugin', timeoutMs: options.timeoutMs ?? 300_000, memoryLimit: '1G' },
      MOODLECHECK,
    );
    return parseMoodlecheck(r.stdout);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Our driver's JSON → messages. The last line is the JSON; anything PHP printed before is noise. */
export function parseMoodlecheck(stdout: string): MoodlecheckMessage[] {
  const data = lastJsonLine(stdout, MOODLECHECK);
  const files = (data as { files?: unknown } | null)?.files;
  if (typeof files !== 'object' || files === null)
    throw new MoodlecheckError('moodlecheck printed a report without files');
  const out: MoodlecheckMessage[] = [];
  for (const [file, errors] of Object.entries(files as Record<string, unknown>)) {
    if (!Array.isArray(errors)) continue;
    for (const e of errors as Record<string, unknown>[]) {
      out.push({
        file,
        line: typeof e.line === 'number' && e.line > 0 ? e.line : undefined,
        severity: e.severity === 'warning' ? 'warning' : 'error',
        source: typeof e.source === 'string' && e.source !== '' ? e.source : 'unknown',
        message: typeof e.message === 'string' ? e.message : '',
      });
    }
  }
  return out;
}
