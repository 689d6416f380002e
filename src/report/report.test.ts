import { describe, expect, it } from 'vitest';
import type { RuleMeta } from '../core/rules.js';
import type { CheckReport } from './model.js';
import { annotation } from './github.js';
import { rulesDocs } from './rules-doc.js';
import { toSarif } from './sarif.js';
import { formatText } from './text.js';

const RULES: RuleMeta[] = [
  {
    id: 'lang/missing-string',
    severity: 'error',
    title: 'A string is missing',
    why: 'w1',
    fix: 'f1',
  },
  { id: 'files/readme', severity: 'notice', title: 'No README', why: 'w2', fix: 'f2' },
];

const report: CheckReport = {
  tool: { name: 'moodle-plugin-check', version: '0.0.0' },
  plugin: {
    component: 'mod_x',
    type: 'mod',
    name: 'x',
    version: 1,
    release: '1',
    requires: 1,
    supported: null,
    maturity: 'stable',
    path: 'mod/x',
  },
  moodle: null,
  phases: [
    { name: 'lint', status: 'failed', durationMs: 12 },
    { name: 'install', status: 'skipped', durationMs: 0, detail: 'skipped by --no-moodle' },
  ],
  findings: [
    {
      ruleId: 'lang/missing-string',
      severity: 'error',
      file: 'lang/en/x.php',
      line: 3,
      column: 1,
      message: "No 'pluginname', 100%, a:b",
      hint: 'Add it.',
    },
    { ruleId: 'files/readme', severity: 'notice', message: 'No README.' },
  ],
  summary: { errors: 1, warnings: 0, notices: 1 },
};

describe('github annotations', () => {
  it('escape data and properties as workflow commands require', () => {
    expect(annotation(report.findings[0]!, 'plugin/')).toBe(
      "::error file=plugin/lang/en/x.php,line=3,col=1,title=lang/missing-string::No 'pluginname', 100%25, a:b%0AAdd it.",
    );
    expect(annotation(report.findings[1]!)).toBe('::notice title=files/readme::No README.');
  });
});

describe('SARIF', () => {
  it('has rule metadata and a location for every result', () => {
    const sarif = toSarif(report, RULES, { pathPrefix: 'sub/' }) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string; defaultConfiguration: { level: string } }[] } };
        results: {
          ruleIndex: number;
          level: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
          }[];
        }[];
      }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0]!;
    expect(run.tool.driver.rules.map((r) => [r.id, r.defaultConfiguration.level])).toEqual([
      ['lang/missing-string', 'error'],
      ['files/readme', 'note'],
    ]);
    expect(
      run.results.map((r) => [
        r.ruleIndex,
        r.level,
        r.locations[0]!.physicalLocation.artifactLocation.uri,
        r.locations[0]!.physicalLocation.region.startLine,
      ]),
    ).toEqual([
      [0, 'error', 'sub/lang/en/x.php', 3],
      [1, 'note', 'sub/version.php', 1],
    ]);
  });
});

describe('text', () => {
  it('groups by file and ends with a verdict that says what was skipped', () => {
    const out = formatText(report, { color: false });
    expect(out).toContain("lang/en/x.php\n  3:1     error   No 'pluginname'");
    expect(out).toContain('(plugin)\n');
    expect(out.trimEnd().split('\n').at(-1)).toBe(
      '✖ mod_x: 1 error, 0 warnings, 1 notice in 0.01 s — static checks only (install skipped)',
    );
  });
});

describe('rule docs', () => {
  it('has a page per family and an index', () => {
    const pages = rulesDocs(RULES);
    expect([...pages.keys()].sort()).toEqual(['README.md', 'files.md', 'lang.md']);
    expect(pages.get('lang.md')).toContain('## lang/missing-string\n\n- **Severity:** error');
    expect(pages.get('README.md')).toContain(
      '| [`files/readme`](files.md#filesreadme) | notice | No README |',
    );
  });
});
