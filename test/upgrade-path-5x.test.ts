// The upgrade path (--upgrade-from) on the newest registered Moodle 5.x (test/upgrade-path.ts).
import { upgradePathSuite } from './upgrade-path.js';

upgradePathSuite('5.x');
