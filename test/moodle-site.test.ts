// Integration: properties of the provisioned site itself on every registered Moodle tree —
// neither database (our SQLite driver, Moodle's PostgreSQL driver on PGlite) leaves core schema
// drift, both pass the DML/DDL smoke test, and Moodle's encryption works without sodium.
// Skipped, with a message, when no tree is registered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMoodle } from '../src/moodle/source/resolve.js';
import { Site, VFS, type DbKind } from '../src/moodle/site/site.js';
import { phpFor, provisionSite } from '../src/pipeline/moodle.js';
import { LABEL, testedBranches } from './real-moodle.js';

// The oldest, 4.5 and the newest tree; every registered one with MPC_TEST_FULL=1.
const branches = testedBranches();
const workDirs: string[] = [];
const sites: Site[] = [];
afterAll(async () => {
  for (const s of sites) await s.close();
  for (const d of workDirs) rmSync(d, { recursive: true, force: true });
});

async function site(branch: string, db: DbKind = 'sqlite'): Promise<Site> {
  const resolved = await resolveMoodle({ spec: LABEL[branch]!, offline: true, targetBranches: [] });
  const workDir = mkdtempSync(path.join(tmpdir(), 'mpc-site-test-'));
  workDirs.push(workDir);
  const s = new Site({
    tree: resolved.tree,
    phpVersion: phpFor(Number(resolved.tree.branch)),
    db,
    workDir,
    timeoutMs: 10 * 60_000,
  });
  sites.push(s);
  await provisionSite(s, resolved);
  return s;
}

describe.skipIf(branches.length === 0)('the provisioned Moodle site', () => {
  for (const branch of branches) {
    it(
      `Moodle ${LABEL[branch]}: check_database_schema.php finds no drift in core tables`,
      { timeout: 20 * 60_000 },
      async () => {
        const s = await site(branch);
        const r = await s.cli(`${VFS.moodle}/admin/cli/check_database_schema.php`, []);
        expect(`${r.stdout}${r.stderr}`.trim()).toBe('Database structure is ok.');
        expect(r.exitCode).toBe(0);
        // OPcache is off in every run (see NO_OPCACHE in src/moodle/site/site.ts).
        const ini = await s.cli(`${VFS.ours}/tests/runtime_ini.php`, []);
        expect(JSON.parse(ini.stdout)).toEqual({
          'opcache.enable_cli': '0',
          opcache_enabled: false,
          max_input_vars: '5000',
          memory_limit: '1G',
        });
      },
    );
    it(
      `Moodle ${LABEL[branch]} on PostgreSQL (PGlite): no core schema drift, no SQLite vendor added`,
      { timeout: 20 * 60_000 },
      async () => {
        const s = await site(branch, 'postgres');
        const r = await s.cli(`${VFS.moodle}/admin/cli/check_database_schema.php`, []);
        expect(`${r.stdout}${r.stderr}`.trim()).toBe('Database structure is ok.');
        expect(r.exitCode).toBe(0);
        expect(s.adjustments.map((a) => a.rule)).not.toContain('database-vendor-sqlite');
        const database = await s.databaseSummary();
        expect(database).toMatchObject({ kind: 'postgres', supported: true });
        expect(database.engine).toMatch(/^PostgreSQL \d+\.\d+ \(PGlite \d/);
      },
    );
    // Moodle 4.1 encrypts with OpenSSL when the sodium extension is absent; 4.2+ need sodium.
    (branch === '401' ? it.skip : it)(
      `Moodle ${LABEL[branch]}: \\core\\encryption round-trips on the sodium fallback`,
      { timeout: 20 * 60_000 },
      async () => {
        const s = await site(branch);
        expect(s.adjustments.map((a) => a.rule)).toContain('runtime/sodium-fallback');
        const r = await s.cli(`${VFS.ours}/tests/encryption_roundtrip.php`, [VFS.moodle]);
        expect(r.stderr).toBe('');
        expect(r.stdout.trim()).toBe('ok');
      },
    );
  }
});

// Moodle's DML and DDL APIs through our SQLite driver: types, blobs, LIKE, regex, the sql_*
// helpers, recordsets, transactions, temporary tables (php/tests/dml_smoke.php). Its expected
// metadata is what the pgsql driver would report where SQLite allows a choice, not the same in
// every detail (PostgreSQL reports int(10) as bigint, max length 18): on PostgreSQL the driver is
// Moodle's own, checked by check_database_schema above and src/php/pglite.test.ts.
const smokeBranch = branches.includes('405') ? '405' : branches.at(-1);
describe.runIf(smokeBranch !== undefined)('the SQLite driver', () => {
  for (const db of ['sqlite'] as const) {
    it(
      `Moodle ${LABEL[smokeBranch ?? ''] ?? ''} on ${db}: the DML/DDL smoke test passes`,
      {
        timeout: 20 * 60_000,
      },
      async () => {
        const s = await site(smokeBranch!, db);
        const r = await s.cli(`${VFS.ours}/tests/dml_smoke.php`, [`${VFS.moodle}/config.php`]);
        const out = `${r.stdout}${r.stderr}`;
        expect(out).not.toMatch(/^FAIL /m);
        // Moodle's own debugging() about rename_index() being experimental may come first.
        expect(out.trim().split('\n').at(-1)).toMatch(/^ok \(\d+ checks\)$/);
        expect(r.exitCode).toBe(0);
      },
    );
  }
});

if (branches.length === 0) {
  it.skip('provisioned-site checks: no Moodle 4.1/4.5/5.0/5.1/5.2 tree registered (run `moodle-plugin-check moodle import <dir>`)', () =>
    undefined);
}
