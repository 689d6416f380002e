import { describe, expect, it } from 'vitest';
import { mayNeedNewerPhp } from '../plugin/php-features.js';
import { phpFamily } from './php.js';
import { findingsOf, lint } from './testing.js';

describe('php family', () => {
  it('passes the clean example and a clean subplugin', () => {
    expect(lint(phpFamily, 'mod_example')).toEqual([]);
    expect(lint(phpFamily, 'clean-subplugins')).toEqual([]);
  });

  it('reports syntax errors, old-PHP syntax, missing guards, CLI scripts and closing tags', () => {
    expect(lint(phpFamily, 'php-bad')).toEqual([
      'php/cli-script cli/run.php:2',
      'php/closing-tag lib.php:6',
      'php/moodle-internal locallib.php:4',
      'php/syntax broken.php:5',
      'php/syntax-version classes/status.php:4',
      'php/syntax-version-tests tests/status_test.php:4',
    ]);
  });

  it('names the PHP and Moodle versions in the old-PHP message', () => {
    const f = findingsOf(phpFamily, 'php-bad').find((x) => x.ruleId === 'php/syntax-version');
    expect(f?.message).toContain('PHP 7.4');
    expect(f?.message).toContain('Moodle 4.1');
  });

  it('pre-filters files that cannot need a newer PHP', () => {
    expect(mayNeedNewerPhp('<?php enum A {}', '7.4', '8.4')).toBe(true);
    expect(mayNeedNewerPhp('<?php enum A {}', '8.1', '8.4')).toBe(false);
    expect(mayNeedNewerPhp('<?php $a = $b ?? 1;', '7.4', '8.4')).toBe(false);
  });
});
