// npm run bench part: several Moodle versions in one Action job (`moodle: 4.5, 5.0, 5.2`), run
// side by side (the default, bounded by cores and memory) against one after another
// (MPC_CONCURRENCY=1), measured in the same run on warm caches. Runs dist/action.js the way the
// runner starts it. Prints a table; returns nothing when fewer than two of the versions are
// registered.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function runAction(pluginDir, moodle, concurrency) {
  const temp = mkdtempSync(path.join(tmpdir(), 'mpc-bench-matrix-'));
  const files = {
    output: path.join(temp, 'output'),
    summary: path.join(temp, 'summary'),
    event: path.join(temp, 'event.json'),
  };
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  writeFileSync(files.event, JSON.stringify({ repository: { full_name: 'owner/plugin' } }));
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_)/.test(k)) env[k] = v;
  Object.assign(env, {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: path.dirname(pluginDir),
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'owner/plugin',
    GITHUB_SHA: 'c'.repeat(40),
    RUNNER_TEMP: temp,
    'INPUT_PLUGIN-PATH': path.basename(pluginDir),
    INPUT_MOODLE: moodle.join(', '),
    INPUT_COMMENT: 'false',
    INPUT_CACHE: 'false',
    'INPUT_UPGRADE-FROM': 'none',
    'INPUT_FAIL-ON': 'never',
    MPC_CONCURRENCY: String(concurrency),
  });
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(root, 'dist/action.js')], {
    env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  rmSync(temp, { recursive: true, force: true });
  if (r.status !== 0)
    throw new Error(`dist/action.js exited ${r.status}: ${r.stdout.slice(-2000)}`);
  return ms;
}

/** Wall time of the versions one after another and side by side; undefined with fewer than two. */
export function benchMatrix(pluginDir, versions) {
  if (versions.length < 2) return undefined;
  runAction(pluginDir, versions, 1); // warm every cache (sites, Moodle trees) first
  const sequential = runAction(pluginDir, versions, 1);
  const parallel = runAction(pluginDir, versions, versions.length);
  return {
    versions: versions.join(', '),
    cores: availableParallelism(),
    'one after another s': (sequential / 1000).toFixed(1),
    'side by side s': (parallel / 1000).toFixed(1),
    speed: `${(sequential / parallel).toFixed(2)}×`,
  };
}
