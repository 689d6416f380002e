import { describe, expect, it } from 'vitest';
import { classesFamily } from './classes.js';
import { lint } from './testing.js';

describe('classes family', () => {
  it('passes the clean example and a clean subplugin', () => {
    expect(lint(classesFamily, 'mod_example')).toEqual([]);
    expect(lint(classesFamily, 'clean-subplugins')).toEqual([]);
  });

  it('reports classes the autoloader cannot find, extra classes, function files and level-2 names', () => {
    expect(lint(classesFamily, 'classes-bad')).toEqual([
      'classes/level2-namespace classes/foo/wrongns.php:3',
      'classes/multiple-classes classes/local/two.php:7',
      'classes/name-mismatch classes/local/misnamed.php:4',
      'classes/namespace-mismatch classes/foo/wrongns.php:3',
      'classes/no-class classes/helpers.php:1',
      'classes/not-autoloadable classes/local/handmade.php:2',
    ]);
  });
});
