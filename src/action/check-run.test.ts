import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import type { CheckReport } from '../report/model.js';
import type { ReportRun } from '../report/markdown.js';
import { addedLines, annotations, publishCheckRuns } from './check-run.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { clientTiming, githubClient } from './octokit.js';

function run(findings: Finding[], release = '4.5.7+'): ReportRun {
  const count = (s: string): number => findings.filter((f) => f.severity === s).length;
  const report = {
    tool: { name: 'moodle-plugin-check', version: '0.1.0' },
    plugin: { component: 'mod_board', type: 'mod', name: 'board', path: 'mod/board' },
    moodle: {
      release,
      branch: '405',
      version: '1',
      layout: 'classic',
      php: '8.3',
      source: 'x',
      adjustments: [],
    },
    phases: [{ name: 'lint', status: 'passed', durationMs: 1 }],
    findings,
    summary: { errors: count('error'), warnings: count('warning'), notices: count('notice') },
  } as unknown as CheckReport;
  return { label: release, report };
}

const f = (severity: Finding['severity'], file: string | undefined, line?: number): Finding => ({
  ruleId: `lang/rule-${severity}`,
  severity,
  message: `${severity} at ${file}:${line}`,
  ...(file !== undefined ? { file } : {}),
  ...(line !== undefined ? { line } : {}),
});

describe('addedLines', () => {
  it('counts the new side of each hunk, skipping removed lines and no-newline markers', () => {
    const patch = [
      '@@ -1,4 +1,5 @@',
      ' a',
      '-b',
      '+B',
      '+C',
      ' d',
      '\\ No newline at end of file',
      '@@ -20,2 +21,3 @@',
      ' x',
      '+y',
      ' z',
    ].join('\n');
    expect([...addedLines(patch)]).toEqual([2, 3, 22]);
  });
});

describe('annotations', () => {
  it('errors first, lines the PR changed first within a level, at the repository path', () => {
    const list = annotations(
      run([
        f('warning', 'lib.php', 1),
        f('error', 'a.php', 5),
        f('error', 'z.php', 9),
        f('notice', undefined),
      ]),
      'plugin',
      new Map([['plugin/z.php', new Set([9])]]),
    );
    expect(list.map((a) => `${a.annotation_level} ${a.path}:${a.start_line}`)).toEqual([
      'failure plugin/z.php:9',
      'failure plugin/a.php:5',
      'warning plugin/lib.php:1',
    ]);
  });
});

describe('publishCheckRuns', () => {
  let gh: FakeGitHub;
  const saved = clientTiming.secondMs;
  beforeAll(() => {
    clientTiming.secondMs = 1;
  });
  afterAll(() => {
    clientTiming.secondMs = saved;
  });
  beforeEach(async () => {
    gh = await startFakeGitHub();
  });
  afterEach(async () => {
    await gh.close();
  });

  it('one check per Moodle version, every annotation in batches of 50', async () => {
    const many = Array.from({ length: 123 }, (_, i) =>
      f(i < 7 ? 'error' : 'warning', `f${i}.php`, i + 1),
    );
    const result = await publishCheckRuns({
      gh: githubClient({ baseUrl: gh.url, token: 't' }),
      repository: 'o/r',
      headSha: 'a'.repeat(40),
      runs: [run(many), run([f('warning', 'x.php', 2)], '5.0.1')],
      failOn: 'error',
      pluginPath: '',
    });
    expect(result.mode).toBe('created');
    expect(gh.checkRuns.map((c) => [c.name, c.conclusion, c.batches])).toEqual([
      ['Moodle plugin check · Moodle 4.5.7+ (PHP 8.3)', 'failure', [50, 50, 23]],
      ['Moodle plugin check · Moodle 5.0.1 (PHP 8.3)', 'neutral', [1]],
    ]);
    const first = gh.checkRuns[0]!.annotations;
    expect(first).toHaveLength(123);
    expect(first.slice(0, 7).every((a) => a.annotation_level === 'failure')).toBe(true);
    expect(new Set(first.map((a) => a.path)).size).toBe(123);
  });

  it('a 403 on the first check is "forbidden", for the caller to fall back', async () => {
    gh.fail({
      method: 'POST',
      path: /check-runs$/,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    const result = await publishCheckRuns({
      gh: githubClient({ baseUrl: gh.url, token: 't' }),
      repository: 'o/r',
      headSha: 'a'.repeat(40),
      runs: [run([f('error', 'a.php', 1)])],
      failOn: 'error',
      pluginPath: '',
    });
    expect(result).toEqual({
      mode: 'forbidden',
      reason: 'GitHub answered 403 to creating a check run',
    });
  });
});
