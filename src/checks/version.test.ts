import { describe, expect, it } from 'vitest';
import { compact, fixture } from './testing.js';
import { runFamilies } from './run.js';
import { makeVersionFamily } from './version.js';
import { Plugin } from '../plugin/plugin.js';

const family = makeVersionFamily(() => new Date('2026-11-23T12:00:00Z'));
const lint = (name: string): string[] => compact(runFamilies([family], Plugin.load(fixture(name))));

describe('version family', () => {
  it('passes the clean example', () => {
    expect(lint('mod_example')).toEqual([]);
  });

  it('reports every malformed value at its line', () => {
    expect(lint('version-bad-values')).toEqual([
      'version/component-unknown-type version.php:17',
      'version/dependencies-invalid version.php:11',
      'version/dependencies-invalid version.php:12',
      'version/deprecated-field version.php:15',
      'version/duplicate-field version.php:17',
      'version/incompatible-format version.php:8',
      'version/maturity-invalid version.php:9',
      'version/release-missing version.php',
      'version/requires-format version.php:6',
      'version/supported-format version.php:7',
      'version/unknown-field version.php:16',
      'version/version-date version.php:5',
    ]);
  });

  it('reports a future version, a bad mod name, inconsistent branches and a bare maturity', () => {
    expect(lint('version-future')).toEqual([
      'version/incompatible-range version.php:8',
      'version/maturity-literal version.php:9',
      'version/plugin-name version.php:4',
      'version/supported-requires version.php:7',
      'version/version-future version.php:5',
    ]);
  });

  it('refuses the legacy $module syntax', () => {
    expect(lint('version-module')).toEqual(['version/legacy-module-variable version.php:4']);
  });

  it('reports every missing field once', () => {
    expect(lint('version-bare')).toEqual([
      'version/component-missing version.php',
      'version/maturity-missing version.php',
      'version/release-missing version.php',
      'version/requires-missing version.php',
    ]);
  });

  it('names the field, the value and the fix in messages', () => {
    const findings = runFamilies([family], Plugin.load(fixture('version-bad-values')));
    const supported = findings.find((f) => f.ruleId === 'version/supported-format');
    expect(supported?.message).toBe('$plugin->supported [405, 401] has min above max.');
    const maturity = findings.find((f) => f.ruleId === 'version/maturity-invalid');
    expect(maturity?.message).toContain('MATURITY_GOLD');
    expect(maturity?.severity).toBe('error');
  });
});
