import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import type { CheckReport } from './model.js';
import { escapeMd, type ReportRun } from './markdown.js';
import { commentKey, commentMarker, renderComment } from './pr-comment.js';
import { renderSummary } from './summary.js';

function report(findings: Finding[], moodle = true): CheckReport {
  const count = (s: string): number => findings.filter((f) => f.severity === s).length;
  return {
    tool: { name: 'moodle-plugin-check', version: '0.1.0' },
    plugin: {
      component: 'mod_board',
      type: 'mod',
      name: 'board',
      version: 2024010100,
      release: '1.0',
      requires: 2022112800,
      supported: null,
      maturity: 'stable',
      path: 'mod/board',
    },
    moodle: moodle
      ? {
          release: '4.5.7+',
          branch: '405',
          version: '2024100707.03',
          layout: 'classic',
          php: '8.3',
          source: 'cache:local-4.5.7+',
          adjustments: [
            { rule: 'environment/sqlite-vendor', detail: 'added sqlite to <DATABASE>' },
          ],
        }
      : null,
    phases: [
      { name: 'lint', status: 'passed', durationMs: 230, detail: '133 rules' },
      { name: 'provision', status: 'passed', durationMs: 4200 },
      {
        name: 'install',
        status: findings.some((f) => f.ruleId.startsWith('install/')) ? 'failed' : 'passed',
        durationMs: 11_000,
      },
    ],
    findings,
    summary: { errors: count('error'), warnings: count('warning'), notices: count('notice') },
  };
}

const link = {
  serverUrl: 'https://github.com',
  repository: 'fork/board',
  sha: 'a'.repeat(40),
  pluginPath: 'plugin',
};
const err: Finding = {
  ruleId: 'install/exception',
  severity: 'error',
  file: 'db/install.php',
  line: 12,
  message: 'Boom | <b>x</b> @team',
};
const warn: Finding = {
  ruleId: 'lang/duplicate-key',
  severity: 'warning',
  file: 'lang/en/board.php',
  line: 3,
  message: 'dup',
};

describe('renderSummary', () => {
  it('shows verdict, phases with times, findings with links, adjustments and the preview button', () => {
    const md = renderSummary([{ label: '4.5', report: report([warn, err]) }], {
      failOn: 'error',
      previewUrl: 'https://play.example/?blueprint=abc',
      link,
    });
    expect(md).toContain('**❌ failed — 1 error, 1 warning, 0 notices**');
    expect(md).toContain('### Moodle 4.5.7+ (PHP 8.3) — 15.4 s');
    expect(md).toContain('| install | ❌ failed | 11.0 s |');
    expect(md).toContain(
      '[**▶ Preview in Moodle Playground**](https://play.example/?blueprint=abc)',
    );
    expect(md).toContain(
      `[db/install.php:12](https://github.com/fork/board/blob/${'a'.repeat(40)}/plugin/db/install.php#L12)`,
    );
    // Errors first, and untrusted text made inert.
    expect(md.indexOf('install/exception')).toBeLessThan(md.indexOf('lang/duplicate-key'));
    expect(md).toContain('Boom \\| &lt;b&gt;x&lt;/b&gt; &#64;team');
    expect(md).toContain('environment/sqlite-vendor');
  });

  it('names the database, and says when it is not one Moodle supports', () => {
    const on = (database: NonNullable<CheckReport['moodle']>['database']): string => {
      const r = report([]);
      return renderSummary([{ label: '', report: { ...r, moodle: { ...r.moodle!, database } } }], {
        failOn: 'error',
      });
    };
    const pg = on({
      kind: 'postgres',
      engine: 'PostgreSQL 18.7 (PGlite 0.5.17, in-process)',
      supported: true,
    });
    expect(pg).toContain('Database: PostgreSQL 18.7 (PGlite 0.5.17, in-process)\n');
    expect(pg).toContain('run Moodle in php-wasm on PostgreSQL (PGlite)');
    const lite = on({
      kind: 'sqlite',
      engine: 'SQLite (moodle-plugin-check’s sqlite3 driver)',
      supported: false,
      note: 'SQLite is not a database Moodle supports',
    });
    expect(lite).toContain('— ⚠️ SQLite is not a database Moodle supports');
    expect(lite).toContain('run Moodle in php-wasm on SQLite');
  });

  it('caps the findings and counts the rest', () => {
    const many = Array.from({ length: 60 }, (_, i): Finding => ({ ...warn, line: i + 1 }));
    const md = renderSummary([{ label: '', report: report(many) }], {
      failOn: 'error',
      maxFindings: 50,
    });
    expect(md).toContain('### Findings (60)');
    expect(md).toContain('…and 10 more');
    expect(md.match(/lang\/duplicate-key/g)).toHaveLength(50);
  });

  it('merges findings of several Moodle runs, once each, naming where they occur', () => {
    const runs: ReportRun[] = [
      { label: '4.5', report: report([warn]) },
      { label: '5.0', report: report([warn, err]) },
    ];
    const md = renderSummary(runs, { failOn: 'warning' });
    expect(md.match(/lang\/duplicate-key/g)).toHaveLength(1);
    expect(md).toContain('| 4.5, 5.0 |');
    expect(md).toContain('❌ failed — 1 error, 1 warning');
  });

  it('says static checks only, and passes clean', () => {
    const r = report([], false);
    r.phases.push({
      name: 'environment',
      status: 'skipped',
      durationMs: 0,
      detail: 'skipped by --no-moodle',
    });
    r.phases[1] = { name: 'provision', status: 'skipped', durationMs: 0 };
    const md = renderSummary([{ label: 'none', report: r }], { failOn: 'error' });
    expect(md).toContain('✅ passed — 0 errors, 0 warnings, 0 notices');
    expect(md).toContain('### static checks only');
    expect(md).toContain('No findings.');
  });
});

describe('renderComment', () => {
  it('starts with the hidden marker and lists the worst findings linked at the head commit', () => {
    const key = commentKey('plugin', ['4.5']);
    const md = renderComment([{ label: '4.5', report: report([warn, err]) }], {
      key,
      failOn: 'error',
      link,
      previewUrl: 'https://play.example/?blueprint=abc',
    });
    expect(md.startsWith(commentMarker(key))).toBe(true);
    expect(md).toContain('### moodle-plugin-check: ❌ failed');
    expect(md).toContain('Failed phases: Moodle 4.5.7+ (PHP 8.3): install.');
    expect(md).toContain('/plugin/db/install.php#L12)');
    expect(md).toContain('▶ Preview in Moodle Playground');
    expect(md).toContain('Checked at aaaaaaa');
  });

  it('says under the preview button which Moodle it runs, and why not the checked one', () => {
    const options = { key: 'k', failOn: 'error' as const, previewUrl: 'https://play.example/?b=1' };
    const same = renderComment([{ label: '4.5', report: report([]) }], {
      ...options,
      previewRuns: { moodle: '4.5', php: '8.3' },
    });
    expect(same).toMatch(
      /Preview in Moodle Playground.*\)\n\nThe preview runs Moodle 4\.5 on PHP 8\.3\.\n/,
    );
    const other = renderComment([{ label: '5.2', report: report([]) }], {
      ...options,
      previewRuns: { moodle: '5.0', php: '8.4' },
      previewDiffers: 'checked: Moodle 5.2 on PHP 8.4 — the plugin does not support <b>5.2</b>',
    });
    expect(other).toContain(
      'The preview runs Moodle 5.0 on PHP 8.4 (checked: Moodle 5.2 on PHP 8.4 — the plugin does not support &lt;b&gt;5.2&lt;/b&gt;).',
    );
    // No button, no line.
    const none = renderComment([{ label: '', report: report([]) }], {
      key: 'k',
      failOn: 'error',
      previewRuns: { moodle: '5.0', php: '8.4' },
    });
    expect(none).not.toContain('The preview runs');
  });

  it('keeps the list short', () => {
    const many = Array.from({ length: 25 }, (_, i): Finding => ({ ...warn, line: i + 1 }));
    const md = renderComment([{ label: '', report: report(many) }], { key: 'k', failOn: 'error' });
    expect(md).toContain('…and 15 more');
    expect(md).toContain('⚠️ passed with findings');
  });

  it('keeps the marker key inert', () => {
    expect(commentKey('a b-->x', [])).toBe('a_b--_x@default');
    expect(commentMarker(commentKey('a b-->x', []))).not.toMatch(/-->.*-->/);
  });
});

describe('escapeMd', () => {
  it('neutralises HTML, tables, emphasis, mentions and issue refs', () => {
    expect(escapeMd('<img src=x> | *b* @u #12\nnext')).toBe(
      '&lt;img src=x&gt; \\| \\*b\\* &#64;u &#35;12 next',
    );
  });
});

describe('the smoke crawl in the summary and the comment', () => {
  const finding: Finding = {
    ruleId: 'smoke/php-notice',
    severity: 'notice',
    file: 'view.php',
    line: 40,
    message: '/mod/board/view.php?id=2 (as admin): PHP Notice: Only variables…',
  };
  const withPages: CheckReport = {
    ...report([finding]),
    smoke: [
      {
        url: '/mod/board/view.php?id=2',
        as: 'admin',
        why: 'the activity',
        status: 200,
        ms: 1200,
        findings: [{ ...finding }],
      },
      {
        url: '/report/x/index.php?id=2',
        as: 'admin',
        why: 'r',
        status: 404,
        ms: 800,
        findings: [],
        note: 'not judged: wants more',
      },
      {
        url: '/mod/board/view.php?id=2',
        as: 'student',
        why: 's',
        status: null,
        ms: 120_000,
        findings: [],
      },
    ],
  };

  it('lists every page with its status, time and findings', () => {
    const md = renderSummary([{ label: '', report: withPages }], { failOn: 'error' });
    expect(md).toContain(
      '<details><summary>Smoke: 3 pages opened (2 as admin, 1 as student), 1 with findings, 1 not judged</summary>',
    );
    expect(md).toContain(
      '| `/mod/board/view.php?id=2` | admin | 200 | 1.2 s | `smoke/php-notice` |',
    );
    expect(md).toContain(
      '| `/report/x/index.php?id=2` | admin | 404 | 800 ms | not judged: wants more |',
    );
    expect(md).toContain('| `/mod/board/view.php?id=2` | student | stopped | 120.0 s | — |');
    const comment = renderComment([{ label: '', report: withPages }], {
      failOn: 'error',
      key: 'k',
    });
    expect(comment).toContain(
      'Smoke: 3 pages opened (2 as admin, 1 as student), 1 with findings, 1 not judged',
    );
  });

  it('says nothing of a crawl that did not run', () => {
    const md = renderSummary([{ label: '', report: report([]) }], { failOn: 'error' });
    expect(md).not.toContain('Smoke:');
  });
});
