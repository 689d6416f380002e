// Integration: plugins on a real Moodle whose database is PostgreSQL (PGlite, `--db postgres`), on
// every registered tree; and probes of SQL that SQLite judges differently, which must get
// PostgreSQL's verdict there. Skipped, with a message, when no tree is registered.
import { describe, expect, it } from 'vitest';
import { fixture } from '../src/checks/testing.js';
import type { DbKind } from '../src/moodle/site/site.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { LABEL, registeredBranches } from './real-moodle.js';

const branches = registeredBranches();

async function check(name: string, branch: string, db: DbKind) {
  const { report } = await runCheck({
    pluginDir: fixture(name),
    moodle: true,
    moodleOptions: { spec: LABEL[branch], offline: true, timeoutMs: 10 * 60_000, db },
  });
  const found = report.findings
    .filter((f) => /^(install|environment)\//.test(f.ruleId))
    .map((f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''}`);
  return { report, found, phases: report.phases.map((p) => `${p.name}:${p.status}`) };
}

describe.skipIf(branches.length === 0)('plugins on a real Moodle on PostgreSQL (PGlite)', () => {
  const clean: Record<string, string> = {
    '401': 'clean-filter',
    '405': 'mod_example',
    '500': 'mod_example',
    '501': 'clean-subplugins',
    '502': 'mod_example',
  };
  // moodle-install.test.ts installs clean fixtures on every tree on PostgreSQL (the default) too;
  // this second set is part of the long suite only (MPC_TEST_FULL=1, see the README).
  for (const branch of process.env.MPC_TEST_FULL === '1' ? branches : []) {
    it(
      `Moodle ${LABEL[branch]}: ${clean[branch]} installs cleanly`,
      { timeout: 20 * 60_000 },
      async () => {
        const r = await check(clean[branch]!, branch, 'postgres');
        expect(r.phases.slice(2)).toEqual([
          'provision:passed',
          'install:passed',
          'environment:passed',
        ]);
        expect(r.found).toEqual([]);
        expect(r.report.moodle?.database).toMatchObject({ kind: 'postgres', supported: true });
        // A real PostgreSQL satisfies Moodle's environment check as it is.
        expect(r.report.moodle?.adjustments.map((a) => a.rule)).not.toContain(
          'database-vendor-sqlite',
        );
        expect(r.report.phases.find((p) => p.name === 'provision')?.detail).toContain(
          'PostgreSQL (PGlite)',
        );
      },
    );
  }

  // What PostgreSQL (and MySQL) accept or refuse, and what our SQLite driver says about it.
  const probes: [string, { postgres: string[]; sqlite: string[]; message?: RegExp }][] = [
    // GREATEST() exists in every database Moodle supports; SQLite has it now too.
    ['probe-sql-greatest', { postgres: [], sqlite: [] }],
    // PostgreSQL's strict GROUP BY and typing; SQLite lets both through (the README says so).
    [
      'probe-sql-groupby',
      {
        postgres: ['install/exception db/install.php:11'],
        sqlite: [],
        message: /column "mdl_course\.fullname" must appear in the GROUP BY clause/,
      },
    ],
    [
      'probe-sql-varchar-int',
      {
        postgres: ['install/exception db/install.php:11'],
        sqlite: [],
        message: /operator does not exist: character varying = integer/,
      },
    ],
  ];
  const probeBranches = [
    ...new Set([branches.includes('405') ? '405' : branches[0]!, branches.at(-1)!]),
  ];
  for (const branch of probeBranches) {
    for (const [name, want] of probes) {
      it(
        `Moodle ${LABEL[branch]}: ${name} gets PostgreSQL's verdict`,
        {
          timeout: 20 * 60_000,
        },
        async () => {
          const pg = await check(name, branch, 'postgres');
          expect(pg.found).toEqual(want.postgres);
          if (want.message) {
            const f = pg.report.findings.find((x) => x.ruleId === 'install/exception');
            expect(`${f?.message ?? ''} ${f?.hint ?? ''}`).toMatch(want.message);
          }
          const lite = await check(name, branch, 'sqlite');
          expect(lite.found).toEqual(want.sqlite);
          expect(lite.report.moodle?.database).toMatchObject({ kind: 'sqlite', supported: false });
          expect(lite.report.moodle?.database?.note).toContain('not a database Moodle supports');
        },
      );
    }
  }
});

if (branches.length === 0) {
  it.skip('PostgreSQL (PGlite) integration: no Moodle 4.1/4.5/5.0/5.1/5.2 tree registered (run `moodle-plugin-check moodle import <dir>`)', () =>
    undefined);
}
