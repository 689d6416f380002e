import { describe, expect, it } from 'vitest';
import { savepointsFamily } from './savepoints.js';
import { lint } from './testing.js';

describe('savepoints family', () => {
  it('finds nothing in the clean example module', () => {
    expect(lint(savepointsFamily, 'mod_example')).toEqual([]);
  });

  it('reports each savepoint rule on its own step', () => {
    expect(lint(savepointsFamily, 'savepoints-bad')).toEqual(
      [
        'savepoints/missing db/upgrade.php:9',
        'savepoints/mismatch db/upgrade.php:14',
        'savepoints/wrong-function db/upgrade.php:18',
        'savepoints/order db/upgrade.php:21',
        'savepoints/duplicate db/upgrade.php:27',
        'savepoints/first-arg db/upgrade.php:32',
        'savepoints/wrong-function db/upgrade.php:32',
        'savepoints/too-high db/upgrade.php:35',
      ].sort(),
    );
  });

  it('leaves plugins without db/upgrade.php alone', () => {
    expect(lint(savepointsFamily, 'db-xmldb')).toEqual([]);
  });
});
