// The built action (dist/action.js, what action.yml runs) as the runner starts it: INPUT_*
// variables with a canary token, a hostile plugin checkout as the workspace, a hostile
// blueprint-file from the repository. Nothing of the token or the environment may reach the log,
// the annotations, the summary, the outputs or result.json, and the only workflow commands in the
// log are the action's own.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOutputFile, pullRequestEvent, REPO_ROOT } from '../src/action/testing.js';
import {
  expectNoCanary,
  FIXTURES,
  hostilePlugin,
  liveCommands,
  HOSTILE_BRANCH,
  useCanaries,
} from './hostile.js';
import { LABEL } from './real-moodle.js';

const TOKEN = `ghs_canary${'x'.repeat(26)}`;
const branch = HOSTILE_BRANCH;

const canaries = useCanaries();

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  outputs: Record<string, string>;
  resultJson: string;
}

/** Runs dist/action.js in a child process with a runner-like environment. */
function runBuiltAction(workspace: string, inputs: Record<string, string>): Ran {
  const temp = mkdtempSync(path.join(tmpdir(), 'mpc-action-run-'));
  const files = {
    output: path.join(temp, 'output'),
    summary: path.join(temp, 'summary'),
    event: path.join(temp, 'event.json'),
    runnerTemp: path.join(temp, 'runner'),
  };
  mkdirSync(files.runnerTemp);
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  writeFileSync(files.event, JSON.stringify(pullRequestEvent()));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_)/.test(k)) env[k] = v;
  Object.assign(env, {
    MPC_HOSTILE_CANARY: canaries().env,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_REPOSITORY: 'owner/plugin',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_SHA: 'c'.repeat(40),
    RUNNER_TEMP: files.runnerTemp,
    'INPUT_GITHUB-TOKEN': TOKEN,
    INPUT_COMMENT: 'false',
    // No GitHub API here (127.0.0.1:9): nothing would come of the check runs but retries.
    'INPUT_CHECK-RUN': 'false',
    INPUT_CACHE: 'false',
    'INPUT_UPGRADE-FROM': 'none',
  });
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/action.js')], {
    env,
    cwd: workspace,
    encoding: 'utf8',
    timeout: 10 * 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const outputs = parseOutputFile(readFileSync(files.output, 'utf8'));
  let resultJson = '';
  try {
    resultJson = readFileSync(
      path.join(files.runnerTemp, 'moodle-plugin-check', 'result.json'),
      'utf8',
    );
  } catch {
    // no report (bad input)
  }
  const ran = {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    summary: readFileSync(files.summary, 'utf8'),
    outputs,
    resultJson,
  };
  rmSync(temp, { recursive: true, force: true });
  return ran;
}

/** The action's own commands: groups, debug, and annotations titled with a rule id. */
function expectOnlyActionCommands(log: string): void {
  for (const line of liveCommands(log)) {
    const m = /^::(group|endgroup|debug|error|warning|notice)((?: |,)[a-zA-Z]+=[^,:]*)*::/.exec(
      line,
    );
    expect(m, line).not.toBeNull();
    if (m && ['error', 'warning', 'notice'].includes(m[1]!) && line.includes('title='))
      expect(line).toMatch(/title=[a-z-]+\/[a-z0-9-]+[,:]/);
  }
  expect(log).not.toMatch(/^\s*::(add-mask|stop-commands|set-output|set-env|add-path|save-state)/m);
}

function workspaceWith(blueprint?: string): string {
  const plugin = hostilePlugin(canaries());
  if (blueprint) {
    mkdirSync(path.join(plugin, '.github'));
    copyFileSync(
      path.join(FIXTURES, 'blueprints', blueprint),
      path.join(plugin, '.github', 'hostile.json'),
    );
  }
  return plugin;
}

describe('the built action against a hostile pull request', () => {
  it('static checks: links and command-like file names leak nothing into the log or the report', () => {
    const ws = workspaceWith();
    try {
      const r = runBuiltAction(ws, { moodle: 'none' });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/files\/symlink-outside/);
      expectOnlyActionCommands(r.stdout + r.stderr);
      expectNoCanary(canaries(), [
        r.stdout,
        r.stderr,
        r.summary,
        r.resultJson,
        JSON.stringify(r.outputs),
      ]);
      for (const t of [r.stdout, r.stderr, r.summary, r.resultJson]) expect(t).not.toContain(TOKEN);
      expect(r.summary).not.toMatch(/<script|@\w/);
    } finally {
      rmSync(path.dirname(ws), { recursive: true, force: true });
    }
  });

  it('a blueprint-file that is a link out of the repository, or climbs out of it, is refused (exit 2)', () => {
    const ws = workspaceWith();
    try {
      symlinkSync('/proc/self/environ', path.join(ws, 'environ.json'));
      symlinkSync(canaries().secretFile, path.join(ws, 'secret.json'));
      for (const file of ['environ.json', 'secret.json', '../../../../../proc/self/environ']) {
        const r = runBuiltAction(ws, { moodle: 'none', 'blueprint-file': file });
        expect(r.status, `${file}: ${r.stdout}`).toBe(2);
        expect(r.stdout).toMatch(
          /Input 'blueprint-file' is .*which leads outside the repository|does not exist/,
        );
        expectNoCanary(canaries(), [r.stdout, r.stderr, r.summary]);
        expect(r.stdout + r.stderr).not.toContain(TOKEN);
      }
    } finally {
      rmSync(path.dirname(ws), { recursive: true, force: true });
    }
  });

  it.skipIf(branch === undefined)(
    'on a real Moodle: the install probe and a blueprint printing commands stay inert',
    { timeout: 15 * 60_000 },
    () => {
      const ws = workspaceWith('php-commands.json');
      try {
        const r = runBuiltAction(ws, {
          moodle: LABEL[branch ?? ''] ?? '',
          'blueprint-file': '.github/hostile.json',
        });
        expect(r.status, r.stdout.slice(-3000)).toBe(1);
        // The probe and the blueprint ran, and their command-like output reached the report.
        expect(r.resultJson).toMatch(/install\/php-warning/);
        expect(r.resultJson).toMatch(/add-mask::hostile/);
        expectOnlyActionCommands(r.stdout + r.stderr);
        expectNoCanary(canaries(), [
          r.stdout,
          r.stderr,
          r.summary,
          r.resultJson,
          JSON.stringify(r.outputs),
        ]);
        for (const t of [r.stdout, r.stderr, r.summary, r.resultJson])
          expect(t).not.toContain(TOKEN);
      } finally {
        rmSync(path.dirname(ws), { recursive: true, force: true });
      }
    },
  );
});
