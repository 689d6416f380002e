import { describe, expect, it } from 'vitest';
import { requirementsFamily } from './requirements.js';
import { findingsOf, lint } from './testing.js';

const messages = (name: string): string[] =>
  findingsOf(requirementsFamily, name).map((f) => f.message);

describe('requirements family', () => {
  it('finds nothing in tidy plugins of several types', () => {
    for (const name of ['mod_example', 'clean-block', 'clean-filter', 'clean-repository']) {
      expect(lint(requirementsFamily, name), name).toEqual([]);
    }
  });

  it('checks an activity module like moodle-plugin-ci, plus delete_instance', () => {
    expect(lint(requirementsFamily, 'requirements-mod')).toEqual([
      'requirements/missing-addinstance-capability db/access.php:27',
      'requirements/missing-file version.php:27',
      'requirements/missing-function lib.php',
      'requirements/missing-table db/install.xml:6',
      'requirements/not-top-level lib.php',
      'requirements/table-prefix db/install.xml:15',
    ]);
    const m = messages('requirements-mod');
    expect(m.some((x) => x.includes('has no view.php'))).toBe(true);
    expect(m.some((x) => x.includes('reqmod_add_instance()'))).toBe(true);

    expect(m.some((x) => x.includes('function reqmod_update_instance() inside a condition'))).toBe(
      true,
    );
    expect(
      m.some((x) => x.includes('Table grades_extra') && x.includes('reqmod or mod_reqmod')),
    ).toBe(true);
    const sev = new Map(
      findingsOf(requirementsFamily, 'requirements-mod').map((f) => [f.ruleId, f.severity]),
    );
    expect(sev.get('requirements/missing-file')).toBe('error');
    expect(sev.get('requirements/missing-addinstance-capability')).toBe('warning');
  });

  it('checks a block class and its access file', () => {
    expect(lint(requirementsFamily, 'requirements-block')).toEqual([
      'requirements/missing-addinstance-capability version.php:27',
      'requirements/missing-class block_reqblock.php',
    ]);
  });

  it('requires classes/text_filter.php for a 4.5+ filter', () => {
    expect(lint(requirementsFamily, 'requirements-filter-405')).toEqual([
      'requirements/missing-file version.php:27',
    ]);
    expect(messages('requirements-filter-405')[0]).toContain('classes/text_filter.php');
  });

  it('warns about the legacy filter class on 4.5+ but accepts it for 4.4', () => {
    expect(lint(requirementsFamily, 'requirements-filter-legacy')).toEqual([
      'requirements/filter-legacy-class filter.php',
    ]);
  });

  it('wants a class_alias in filter.php when the new class exists', () => {
    expect(lint(requirementsFamily, 'requirements-filter-alias')).toEqual([
      'requirements/filter-class-alias filter.php',
    ]);
  });

  it('checks the repository class and view capability', () => {
    expect(lint(requirementsFamily, 'requirements-repository')).toEqual([
      'requirements/missing-capability db/access.php:27',
      'requirements/missing-class lib.php:28',
    ]);
    expect(messages('requirements-repository').join('\n')).toContain('repository/reqrepo:view');
  });

  it('checks auth.php and sees upgrade functions inside function_exists guards', () => {
    expect(lint(requirementsFamily, 'requirements-auth')).toEqual([
      'requirements/missing-file version.php:27',
      'requirements/not-top-level db/upgrade.php',
    ]);
  });

  it('checks Behat tags before Feature: and table prefixes', () => {
    expect(lint(requirementsFamily, 'requirements-behat')).toEqual([
      'requirements/behat-tags tests/behat/untagged.feature:3',
      'requirements/table-prefix db/install.xml:15',
    ]);
    expect(messages('requirements-behat').join('\n')).toContain(
      'lacks the tag @local_reqbehat before Feature:',
    );
  });

  it('leaves a malformed install.xml to the db family', () => {
    expect(lint(requirementsFamily, 'requirements-bad-xml')).toEqual([]);
  });
});
