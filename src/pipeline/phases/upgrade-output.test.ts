import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseXml } from '../../plugin/xml.js';
import { findingsFromUpgrade } from './install-output.js';
import { RULE_IDS } from '../rules.js';
import {
  asUpgradeFindings,
  parseUpgradeReport,
  savepointTimes,
  schemaDifferences,
  schemaFindings,
} from './upgrade-output.js';

const xml = parseXml(readFileSync('fixtures/upgrade/clean/new/db/install.xml', 'utf8'));
const root = 'root' in xml ? xml.root : undefined;

describe('upgrade output', () => {
  it('reads Moodle’s per-savepoint times from developer-mode output', () => {
    const out =
      '-->local_upgdemo\n++ 2024020100: Success (0.58 seconds) ++\n++ 2024030100: Success (0,13 seconds) ++\n++ Success (1.20 seconds) ++\n';
    expect([...savepointTimes(out)]).toEqual([
      [2024020100, 0.58],
      [2024030100, 0.13],
    ]);
  });

  it('maps each check_database_schema() message to a schema/* rule at the install.xml line', () => {
    const report = parseUpgradeReport(
      `noise\n@@MPC-UPGRADE-REPORT@@\n${JSON.stringify({
        components: { local_upgdemo: '2024030100' },
        maxlogid: 9,
        log: [],
        schema: {
          local_upgdemo: {
            tables: {
              local_upgdemo_item: [
                "column 'label' is missing",
                "column 'score' has incorrect type 'C', expected 'I'",
                "column 'label' length is 50, expected 255 (C)",
                "column 'score' should be NOT NULL (I)",
                "column 'score' has default '1', expected '0' (I)",
                "column 'extra' is not expected (I)",
                "Missing index 'score' (not unique score). \nCREATE INDEX …",
                "Unexpected index 'mdl_loca_old_ix'.",
              ],
              local_upgdemo_log: ['table is missing'],
            },
          },
        },
      })}\n`,
    );
    expect(report).toBeDefined();
    const found = schemaFindings(
      schemaDifferences(report!, 'local_upgdemo'),
      'db/install.xml',
      root,
    );
    expect(found.map((f) => `${f.ruleId}:${f.line ?? ''}`)).toEqual([
      'schema/missing-column:12',
      'schema/column-type:11',
      'schema/column-length:12',
      'schema/column-null:11',
      'schema/column-default:11',
      'schema/extra-column:7',
      'schema/missing-index:18',
      'schema/extra-index:7',
      'schema/missing-table:21',
    ]);
    expect(found[0]?.message).toContain('Table local_upgdemo_item, column label');
  });

  it('finds no differences when PHP reports none ([] from an empty PHP array)', () => {
    const report = parseUpgradeReport(
      '@@MPC-UPGRADE-REPORT@@\n{"components":{},"maxlogid":0,"log":[],"schema":{"local_upgdemo":{"tables":[]}}}',
    );
    expect(schemaDifferences(report!, 'local_upgdemo')).toEqual([]);
    expect(parseUpgradeReport('no marker')).toBeUndefined();
  });

  it('does not take a savepoint notification before an exception for debugging output', () => {
    const stderr = [
      'Default exception handler: Invalid parameter value detected Debug: upgdemo: boom',
      'Error code: invalidparameter',
      '* line 54 of /local/upgdemo/db/upgrade.php: moodle_exception thrown',
    ].join('\n');
    const found = findingsFromUpgrade(
      { exitCode: 1, stdout: '++ 2024020100: Success (0.25 seconds) ++\n', stderr },
      { moodleRoot: '/www/moodle', pluginPath: 'local/upgdemo', pluginWebPath: 'local/upgdemo' },
      () => true,
    );
    expect(found.map((f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''}`)).toEqual([
      'install/exception db/upgrade.php:54',
    ]);
  });

  it('maps Moodle 5.1+ backtraces (relative to the root above public/) into the plugin', () => {
    const found = findingsFromUpgrade(
      {
        exitCode: 1,
        stdout: '',
        stderr:
          'Default exception handler: Invalid parameter value detected Debug: boom\n* line 54 of /public/local/upgdemo/db/upgrade.php: moodle_exception thrown',
      },
      {
        moodleRoot: '/www/moodle',
        pluginPath: 'public/local/upgdemo',
        pluginWebPath: 'local/upgdemo',
      },
      () => true,
    );
    expect(found.map((f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''}`)).toEqual([
      'install/exception db/upgrade.php:54',
    ]);
  });

  it('renames install/* findings of the upgrade run, with DDL failures apart', () => {
    const out = asUpgradeFindings([
      {
        ruleId: 'install/exception',
        severity: 'error',
        file: 'db/upgrade.php',
        line: 54,
        message: 'Invalid parameter',
      },
      {
        ruleId: 'install/exception',
        severity: 'error',
        file: 'db/upgrade.php',
        line: 56,
        message: 'DDL sql execution error — Field "name" already exists',
      },
      {
        ruleId: 'install/php-warning',
        severity: 'warning',
        file: 'lib.php',
        line: 3,
        message: 'x',
      },
      { ruleId: 'version/missing', severity: 'error', message: 'unrelated' },
    ]);
    expect(out.map((f) => f.ruleId)).toEqual([
      'upgrade/exception',
      'upgrade/ddl-failed',
      'upgrade/php-warning',
      'version/missing',
    ]);
  });

  it('renames the findings of a stopped or bounded run too, each to a documented rule', () => {
    const ids = [
      'install/timeout',
      'install/crashed',
      'install/out-of-memory',
      'install/disk-quota',
      'install/output-limit',
    ];
    const out = asUpgradeFindings(
      ids.map((ruleId) => ({ ruleId, severity: 'error', message: 'm' })),
    );
    expect(out.map((f) => f.ruleId)).toEqual([
      'upgrade/timeout',
      'upgrade/crashed',
      'upgrade/out-of-memory',
      'upgrade/disk-quota',
      'upgrade/output-limit',
    ]);
    for (const f of out) expect(RULE_IDS.has(f.ruleId)).toBe(true);
    for (const id of ids) expect(RULE_IDS.has(id)).toBe(true);
  });
});
