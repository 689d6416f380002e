import { describe, expect, it } from 'vitest';
import { langFamily } from './lang.js';
import { findingsOf, lint } from './testing.js';

describe('lang family', () => {
  it('finds nothing in a tidy plugin', () => {
    expect(lint(langFamily, 'mod_example')).toEqual([]);
    expect(lint(langFamily, 'clean-block')).toEqual([]);
    expect(lint(langFamily, 'clean-filter')).toEqual([]);
    expect(lint(langFamily, 'clean-repository')).toEqual([]);
  });

  it('reports a lang file under the wrong name at the component line', () => {
    expect(lint(langFamily, 'lang-missing')).toEqual(['lang/missing-file version.php:27']);
    const [f] = findingsOf(langFamily, 'lang-missing');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('lang/en/local_langmissing.php');
    expect(f?.hint).toBe('Rename lang/en/langmissing.php to lang/en/local_langmissing.php.');
  });

  it('reports duplicates, code, computed values and missing strings', () => {
    expect(lint(langFamily, 'lang-bad')).toEqual([
      'lang/duplicate-key lang/en/local_langbad.php:29',
      'lang/missing-capability-string db/access.php:32',
      'lang/missing-messageprovider-string db/messages.php:29',
      'lang/missing-string lang/en/local_langbad.php',
      'lang/non-static-value lang/en/local_langbad.php:28',
      'lang/non-static-value lang/en/local_langbad.php:30',
      'lang/unexpected-code lang/en/local_langbad.php:34',
      'lang/unexpected-code lang/en/local_langbad.php:35',
    ]);
    const byRule = new Map(findingsOf(langFamily, 'lang-bad').map((f) => [f.ruleId, f]));
    expect(byRule.get('lang/duplicate-key')?.message).toContain('first defined on line 27');
    expect(byRule.get('lang/missing-string')?.severity).toBe('error');
    expect(byRule.get('lang/missing-string')?.message).toContain("$string['pluginname']");
    expect(byRule.get('lang/missing-capability-string')?.message).toContain(
      "$string['langbad:manage']",
    );
    expect(byRule.get('lang/missing-messageprovider-string')?.message).toContain(
      "$string['messageprovider:alert']",
    );
  });

  it('does not call strings missing when keys are computed', () => {
    expect(lint(langFamily, 'lang-dynamic')).toEqual([
      'lang/dynamic-key lang/en/local_langdyn.php:28',
      'lang/unexpected-code lang/en/local_langdyn.php:27',
    ]);
  });

  it('asks activity modules for modulename and modulenameplural', () => {
    expect(lint(langFamily, 'requirements-mod')).toEqual([
      'lang/missing-module-string lang/en/reqmod.php',
    ]);
    expect(findingsOf(langFamily, 'requirements-mod')[0]?.message).toContain(
      "$string['modulename']",
    );
  });

  it('uses filtername for filters', () => {
    expect(lint(langFamily, 'requirements-filter-405')).toEqual([]);
  });
});
