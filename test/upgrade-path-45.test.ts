// The upgrade path (--upgrade-from) on Moodle 4.5: every case, with a blueprint, and a real plugin
// with MPC_UPGRADE_REAL (test/upgrade-path.ts).
import { upgradePathSuite } from './upgrade-path.js';

upgradePathSuite('4.5');
