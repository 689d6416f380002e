// One run of a prechecker tool in php-wasm: a time limit, a crash or a stop of the tool become
// the tool's own error (the phase reports "not run: …"), with the head of what it printed.
import type { PhpCliOptions, PhpCliResult, PhpRuntime } from '../php/runtime.js';
import { PhpCrashError, PhpTimeoutError } from '../php/runtime.js';

export interface ToolRun {
  /** How messages name the tool: `phpcs`, `moodlecheck`, `rendering`. */
  name: string;
  /** Builds the tool's error from a message. */
  fail: (message: string) => Error;
  /** The exit codes that mean the tool did its work (default: 0). */
  ok?: (exitCode: number) => boolean;
  /** Lines of output kept in a stop's message. */
  headLines?: number;
}

export async function runTool(
  runtime: PhpRuntime,
  argv: readonly string[],
  options: PhpCliOptions,
  tool: ToolRun,
): Promise<PhpCliResult> {
  let r: PhpCliResult;
  try {
    r = await runtime.cli(argv, options);
  } catch (e) {
    if (e instanceof PhpTimeoutError)
      throw tool.fail(`${tool.name} did not finish within ${Math.round(e.timeoutMs / 1000)} s`);
    if (e instanceof PhpCrashError) throw tool.fail(`${tool.name} crashed PHP: ${e.message}`);
    throw e;
  }
  if (!(tool.ok ?? ((c: number) => c === 0))(r.exitCode)) throw stopped(r, tool);
  return r;
}

/** The error of a run that did not do its work: its exit code and the head of its output. */
export function stopped(
  r: Pick<PhpCliResult, 'exitCode' | 'stdout' | 'stderr'>,
  tool: ToolRun,
): Error {
  const said = `${r.stderr}\n${r.stdout}`
    .trim()
    .split('\n')
    .slice(0, tool.headLines ?? 8)
    .join('\n');
  return tool.fail(`${tool.name} stopped (exit ${r.exitCode}): ${said || 'no output'}`);
}

/** A driver's report: the JSON on the last line of its output (what PHP printed before is noise). */
export function lastJsonLine(stdout: string, tool: ToolRun): unknown {
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '');
  } catch {
    throw tool.fail(`${tool.name} printed no report: ${stdout.slice(0, 300)}`);
  }
}
