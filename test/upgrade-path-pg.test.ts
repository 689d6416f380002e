// The upgrade path (--upgrade-from) on Moodle 4.5 with PostgreSQL (PGlite): the same cases give
// the same findings as on SQLite (test/upgrade-path.ts).
import { upgradePathSuite } from './upgrade-path.js';

upgradePathSuite('4.5', 'postgres');
