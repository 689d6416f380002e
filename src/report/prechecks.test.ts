import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import { precheckRows } from './prechecks.js';

const f = (ruleId: string, severity: Finding['severity']): Finding => ({
  ruleId,
  severity,
  message: 'm',
});
const phase = (name: string, status: 'passed' | 'failed' | 'skipped', detail?: string) => ({
  name,
  status,
  durationMs: 1,
  ...(detail ? { detail } : {}),
});

describe('precheckRows', () => {
  it('counts findings by the prechecker’s test types, and says which did not run', () => {
    const rows = precheckRows(
      {
        phases: [
          phase('lint', 'failed'),
          phase('coding-style', 'failed'),
          phase('phpdoc', 'skipped', 'not run: moodlecheck is not in the cache'),
          phase('templates', 'skipped', 'skipped: the plugin has no templates/*.mustache'),
        ],
      },
      [
        f('cs/moodle.Files.BoilerplateComment.Wrong', 'error'),
        f('cs/moodle.Commenting.TodoComment.MissingInfoInline', 'warning'),
        f('php/syntax', 'error'),
        f('php/closing-tag', 'notice'),
        f('savepoints/missing', 'error'),
        f('amd/build-stale', 'error'),
      ],
    );
    const by = Object.fromEntries(
      rows.map((r) => [r.name, r.notRun ?? `${r.errors}/${r.warnings}`]),
    );
    expect(by).toEqual({
      'PHP lint': '1/0',
      'PHP coding style': '1/1',
      'Javascript coding style': 'not part of this check',
      'CSS coding style': 'not part of this check',
      PHPdocs: 'not run: moodlecheck is not in the cache',
      Savepoints: '1/0',
      'Third party libraries': '0/0',
      Grunt: '1/0',
      'Shifter (YUI)': 'not checked by moodle-plugin-check',
      'Mustache templates': '0/0',
    });
  });
});
