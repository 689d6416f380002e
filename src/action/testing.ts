// Test helper: runs an action entry in-process the way the runner would — INPUT_* variables, an
// event file, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files — and captures what it printed.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clientTiming } from './octokit.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const HEAD_SHA = 'a'.repeat(40);
export const BASE_SHA = 'b'.repeat(40);

export interface ActionRun {
  exitCode: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
  runnerTemp: string;
}

export function pullRequestEvent(
  o: { number?: number; headRepo?: string; repo?: string } = {},
): object {
  const repo = o.repo ?? 'owner/plugin';
  return {
    action: 'synchronize',
    number: o.number ?? 7,
    pull_request: {
      number: o.number ?? 7,
      head: { sha: HEAD_SHA, ref: 'feature', repo: { full_name: o.headRepo ?? repo } },
      base: { sha: BASE_SHA, ref: 'main', repo: { full_name: repo } },
    },
    repository: { full_name: repo },
  };
}

/** Parses the runner's `name<<delimiter` output file format. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    out[m[1]!] = value.join('\n');
  }
  return out;
}

/**
 * Sets the environment, runs `entry`, restores everything (process.env, exitCode, stdout) and
 * returns what the runner would have seen.
 */
export async function runAction(
  entry: () => Promise<void>,
  o: {
    inputs: Record<string, string>;
    event?: object;
    eventName?: string;
    apiUrl?: string;
    env?: Record<string, string>;
    workspace?: string;
  },
): Promise<ActionRun> {
  const temp = mkdtempSync(path.join(tmpdir(), 'mpc-action-'));
  const runnerTemp = path.join(temp, 'runner');
  mkdirSync(runnerTemp);
  const outputFile = path.join(temp, 'output');
  const summaryFile = path.join(temp, 'summary');
  const eventFile = path.join(temp, 'event.json');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  writeFileSync(eventFile, JSON.stringify(o.event ?? {}));

  const saved = { ...process.env };
  for (const k of Object.keys(process.env))
    if (k.startsWith('INPUT_') || k.startsWith('GITHUB_') || k.startsWith('ACTIONS_'))
      Reflect.deleteProperty(process.env, k);
  Object.assign(process.env, {
    GITHUB_WORKSPACE: o.workspace ?? REPO_ROOT,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_EVENT_NAME: o.eventName ?? 'pull_request',
    GITHUB_REPOSITORY: 'owner/plugin',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: o.apiUrl ?? 'http://127.0.0.1:9',
    GITHUB_SHA: 'c'.repeat(40),
    RUNNER_TEMP: runnerTemp,
    ...o.env,
  });
  for (const [k, v] of Object.entries(o.inputs)) process.env[`INPUT_${k.toUpperCase()}`] = v;

  // GitHub API waits (back-off, rate limits) are real but a thousand times shorter.
  const savedSecond = clientTiming.secondMs;
  clientTiming.secondMs = 1;
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array): boolean => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  const savedExit = process.exitCode;
  process.exitCode = undefined;
  try {
    await entry();
    return {
      exitCode: exitCodeNow(),
      stdout,
      outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
      summary: readFileSync(summaryFile, 'utf8'),
      runnerTemp,
    };
  } finally {
    process.stdout.write = write;
    clientTiming.secondMs = savedSecond;
    process.exitCode = savedExit;
    for (const k of Object.keys(process.env))
      if (!(k in saved)) Reflect.deleteProperty(process.env, k);
    Object.assign(process.env, saved);
  }
}

/** Read through a function: TypeScript would otherwise keep the `undefined` we assigned. */
function exitCodeNow(): number {
  const code: number | string | null | undefined = process.exitCode;
  return Number(code ?? 0);
}

export function cleanup(run: ActionRun): void {
  rmSync(path.dirname(run.runnerTemp), { recursive: true, force: true });
}
