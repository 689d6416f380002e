// Integration: the upgrade-path phase (--upgrade-from) on real Moodle trees registered in the
// tool's cache, booted in php-wasm on SQLite. Skipped, with a message, when none is registered.
// fixtures/upgrade/<case>/{old,new} are local_upgdemo versions: 2024010100 → 2024030100 with two
// upgrade steps (add two fields and an index; create a table).
// MPC_UPGRADE_REAL=<old dir>:<new dir> also upgrades a real plugin (e.g. mod_attendance 2022 → latest)
// and expects no upgrade/* or schema/* finding.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DbKind } from '../src/moodle/site/site.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { expectGolden, treeOf } from './golden.js';
import { LABEL, registeredBranches } from './real-moodle.js';

const branches = registeredBranches(['405', '500', '501', '502']);
// 5.x: the newest registered (5.1+ have the public/ layout, so the plugin path differs).
const fivex = branches.filter((b) => b >= '500').at(-1);
if (branches.length === 0)
  console.warn(
    'upgrade-path tests skipped: no Moodle 4.5/5.x tree registered (moodle-plugin-check moodle import <dir>)',
  );

async function upgrade(
  oldDir: string,
  newDir: string,
  branch: string,
  golden?: string,
  db: DbKind = 'sqlite',
) {
  const { report } = await runCheck({
    pluginDir: newDir,
    moodle: true,
    moodleOptions: { spec: LABEL[branch], offline: true, timeoutMs: 15 * 60_000, db },
    upgradeFrom: oldDir,
  });
  expect(report.moodle?.database?.kind).toBe(db);
  if (golden)
    await expectGolden(report, `upgrade/${LABEL[branch] ?? branch}/${golden}`, {
      plugin: path.dirname(path.dirname(newDir)),
      moodle: treeOf(branch),
    });
  const phase = report.phases.find((p) => p.name === 'upgrade-path');
  const found = report.findings
    .filter((f) => /^(upgrade|schema)\//.test(f.ruleId))
    .map((f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''}`);
  return { report, phase, found };
}

const fixture = (name: string, which: 'old' | 'new'): string =>
  path.resolve('fixtures/upgrade', name, which);

/** Case → the exact upgrade/* and schema/* findings (file:line). */
const CASES: Record<string, { status: string; found: string[] }> = {
  clean: { status: 'passed', found: [] },
  'forgets-field': { status: 'failed', found: ['schema/missing-column db/install.xml:12'] },
  'wrong-type': {
    status: 'failed',
    found: ['schema/column-type db/install.xml:11', 'schema/column-length db/install.xml:12'],
  },
  throws: { status: 'failed', found: ['upgrade/exception db/upgrade.php:54'] },
  'ddl-fails': { status: 'failed', found: ['upgrade/ddl-failed db/upgrade.php:56'] },
  'version-backwards': { status: 'failed', found: ['upgrade/version-backwards version.php:28'] },
  // local_upgsub with subplugin upgsubpart_one, whose own db/upgrade.php adds a number(10,2) field.
  subplugin: { status: 'passed', found: [] },
};
const ON_5X = ['clean', 'forgets-field', 'throws', 'ddl-fails', 'subplugin'];

/**
 * The suite on 4.5 (every case, the blueprint, a real plugin) or on the newest 5.x (the cases
 * that differ there): separate test files, so they run side by side. On PostgreSQL (PGlite) the
 * same cases must give the same findings; the golden reports are SQLite's (the database block
 * and adjustments differ), so there only the findings are compared.
 */
export function upgradePathSuite(on: '4.5' | '5.x', db: DbKind = 'sqlite'): void {
  const target = on === '4.5' ? '405' : fivex;
  const onPg = db === 'postgres';
  describe.skipIf(target === undefined || !branches.includes(target))(
    `upgrade path on a real Moodle ${on}, ${db}`,
    () => {
      for (const branch of branches) {
        if (branch !== target) continue;
        for (const [name, want] of Object.entries(CASES)) {
          if (branch !== '405' && !ON_5X.includes(name)) continue;
          it(`Moodle ${LABEL[branch]}: ${name}`, { timeout: 30 * 60_000 }, async () => {
            const r = await upgrade(
              fixture(name, 'old'),
              fixture(name, 'new'),
              branch,
              onPg ? undefined : name,
              db,
            );
            expect(r.found.sort()).toEqual([...want.found].sort());
            expect(r.phase?.status).toBe(want.status);
            expect(r.report.upgrade?.from.version).toBe(2024010100);
            if (name === 'version-backwards') return;
            if (name === 'subplugin') {
              const sub = r.report.upgrade?.components.find(
                (c) => c.component === 'upgsubpart_one',
              );
              expect(sub).toMatchObject({ from: '2024010100', to: '2024020100' });
              expect(sub?.steps.map((s) => [s.version, s.ran, s.savepoint])).toEqual([
                [2024020100, true, true],
              ]);
              expect(r.report.upgrade?.schema.checked).toEqual(['upgsubpart_one']);
              return;
            }
            const steps = r.report.upgrade?.components[0]?.steps ?? [];
            expect(steps.map((s) => s.version)).toEqual([2024020100, 2024030100]);
            if (name === 'clean') {
              // Both steps ran and reached their savepoints; Moodle timed each; schema compared.
              expect(steps.every((s) => s.ran && s.savepoint && s.seconds !== null)).toBe(true);
              expect(r.report.upgrade?.components[0]?.to).toBe('2024030100');
              expect(r.report.upgrade?.schema).toMatchObject({
                checked: ['local_upgdemo'],
                differences: 0,
                baseline: 0,
              });
              expect(r.phase?.detail).toContain('2024010100 → 2024030100');
            }
            if (name === 'throws') {
              // The first step's savepoint was reached before the second threw.
              expect(steps.map((s) => [s.ran, s.savepoint])).toEqual([
                [true, true],
                [true, false],
              ]);
              expect(
                r.report.findings.find((f) => f.ruleId === 'upgrade/exception')?.message,
              ).toContain('cannot migrate items');
            }
          });
        }
      }

      // --blueprint with --upgrade-from: the blueprint also runs on the OLD version before the
      // upgrade. It inserts a row with `score`, a column only the new version has: on the old site the
      // step fails (proof it ran there, before the upgrade), on the freshly installed new version it passes.
      it.skipIf(on !== '4.5' || onPg)(
        'Moodle 4.5: a blueprint runs on the old version before the upgrade',
        { timeout: 30 * 60_000 },
        async () => {
          const code = [
            '<?php',
            "define('CLI_SCRIPT', true);",
            "require('/www/moodle/config.php');",
            // Raw SQL: insert_record() would quietly drop a column the table does not have.
            "$DB->execute('INSERT INTO {local_upgdemo_item} (name, score) VALUES (?, ?)', ['kept', 3]);",
            "echo 'inserted';",
          ].join('\n');
          const { report } = await runCheck({
            pluginDir: fixture('clean', 'new'),
            moodle: true,
            moodleOptions: { spec: '4.5', offline: true, timeoutMs: 15 * 60_000 },
            upgradeFrom: fixture('clean', 'old'),
            blueprint: JSON.stringify({ steps: [{ step: 'runPhpCode', code }] }),
          });
          const failures = report.findings.filter((f) => f.ruleId === 'blueprint/step-warning');
          expect(failures).toHaveLength(1);
          expect(failures[0]?.message).toContain('on the old version, before the upgrade');
          expect(report.phases.find((p) => p.name === 'blueprint')?.status).toBe('passed');
          expect(report.phases.find((p) => p.name === 'upgrade-path')?.status).toBe('passed');
        },
      );

      const real = process.env.MPC_UPGRADE_REAL?.split(':');
      it.skipIf(real?.length !== 2 || on !== '4.5' || onPg)(
        `a real plugin upgrades with no findings (MPC_UPGRADE_REAL=${process.env.MPC_UPGRADE_REAL ?? 'unset'})`,
        { timeout: 60 * 60_000 },
        async () => {
          for (const branch of ['405', fivex].filter((b): b is string => b !== undefined)) {
            const r = await upgrade(path.resolve(real![0]!), path.resolve(real![1]!), branch);
            console.log(
              `${LABEL[branch]}: ${r.phase?.status} ${r.phase?.durationMs} ms — ${r.phase?.detail}`,
            );
            expect(r.found).toEqual([]);
            expect(r.phase?.status).toBe('passed');
            expect(
              r.report.upgrade?.components.flatMap((c) => c.steps).filter((s) => s.ran).length,
            ).toBeGreaterThan(0);
          }
        },
      );
    },
  );
}
