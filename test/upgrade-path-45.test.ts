// The upgrade path (--upgrade-from) on Moodle 4.5 on SQLite: every case, with a blueprint, and a
// real plugin with MPC_UPGRADE_REAL (test/upgrade-path.ts). The same cases run on PostgreSQL, the
// default database, in upgrade-path-pg.test.ts; this SQLite run is part of the long suite only
// (MPC_TEST_FULL=1, see the README).
import { it } from 'vitest';
import { upgradePathSuite } from './upgrade-path.js';

if (process.env.MPC_TEST_FULL === '1') upgradePathSuite('4.5');
else
  it.skip('upgrade path on SQLite: part of the long suite (set MPC_TEST_FULL=1)', () => undefined);
