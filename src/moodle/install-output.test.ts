import { describe, expect, it } from 'vitest';
import { findingsFromUpgrade } from './install-output.js';

// Abridged from real runs of admin/cli/upgrade.php on Moodle 4.5 in php-wasm (fixtures install-*).
const ctx = { moodleRoot: '/www/moodle', pluginPath: 'local/x', pluginWebPath: 'local/x' };
const has = (rel: string): boolean => rel === 'db/install.xml';

describe('findingsFromUpgrade', () => {
  it('reads a PHP warning in the plugin and ignores one in core', () => {
    const stdout = [
      '-->local_x',
      'Warning: Undefined array key "colour" in /www/moodle/local/x/lib.php on line 11',
      'Deprecated: Creation of dynamic property in /www/moodle/lib/weblib.php on line 3',
      '++ Success (0.10 seconds) ++',
    ].join('\n');
    expect(findingsFromUpgrade({ exitCode: 0, stdout, stderr: '' }, ctx, has)).toEqual([
      {
        ruleId: 'install/php-warning',
        severity: 'warning',
        file: 'lib.php',
        line: 11,
        message: 'PHP Warning: Undefined array key "colour"',
      },
    ]);
  });

  it('points an exception at the first plugin frame, once', () => {
    const stdout = [
      '!!! Exception - the install hook gave up !!!',
      '!! Stack trace: * line 10 of /local/x/db/install.php: core\\exception\\moodle_exception thrown',
    ].join('\n');
    const stderr = [
      'Default exception handler: Exception - the install hook gave up Debug: ',
      'Error code: generalexceptionmessage',
      '* line 10 of /local/x/db/install.php: core\\exception\\moodle_exception thrown',
      '* line 741 of /lib/upgradelib.php: call to xmldb_local_x_install()',
    ].join('\n');
    const f = findingsFromUpgrade({ exitCode: 1, stdout, stderr }, ctx, has);
    expect(f.map((x) => `${x.ruleId} ${x.file ?? ''}:${x.line ?? ''} ${x.message}`)).toEqual([
      'install/exception db/install.php:10 Exception - the install hook gave up',
    ]);
  });

  it('reads an exception Moodle printed only on stdout (thrown while lib/setup.php ran)', () => {
    const stdout = [
      '!!! Exception - Class "format_gone" not found !!!',
      '',
      'Debug info: ',
      'Error code: generalexceptionmessage',
      'Stack trace: * line 37 of /local/x/lib.php: Error thrown',
      '* line 1076 of /lib/classes/component.php: call to include_once()',
      '* line 896 of /lib/setup.php: call to get_plugins_with_function()',
    ].join('\n');
    const f = findingsFromUpgrade({ exitCode: 1, stdout, stderr: '' }, ctx, has);
    expect(f.map((x) => `${x.ruleId} ${x.file ?? ''}:${x.line ?? ''} ${x.message}`)).toEqual([
      'install/exception lib.php:37 Exception - Class "format_gone" not found',
    ]);
  });

  it('maps an XMLDB load error to db/install.xml with libxml’s line', () => {
    const stderr = [
      'Default exception handler: XML database file errors found Debug: Errors found in XMLDB file: XML Error: Opening and ending tag mismatch: FIELD line 7 and FIELDS at line 8.',
      'Error code: ddlxmlfileerror',
      '* line 354 of /lib/ddl/database_manager.php: ddl_exception thrown',
    ].join('\n');
    const [f] = findingsFromUpgrade({ exitCode: 1, stdout: '', stderr }, ctx, has);
    expect(f).toMatchObject({
      ruleId: 'install/failed',
      severity: 'error',
      file: 'db/install.xml',
      line: 7,
    });
    expect(f?.message).toContain('Opening and ending tag mismatch');
  });

  it('reports a failed run without a plugin frame as install/failed with Moodle’s message', () => {
    const f = findingsFromUpgrade(
      { exitCode: 1, stdout: 'PHP setting max_input_vars must be at least 5000.', stderr: '' },
      ctx,
      has,
    );
    expect(f).toEqual([
      expect.objectContaining({
        ruleId: 'install/failed',
        message: expect.stringContaining('max_input_vars') as unknown,
      }),
    ]);
  });

  it('reads debugging() called from the plugin', () => {
    const stdout = [
      '++ Function foo() is deprecated. ++',
      '* line 55 of /lib/deprecatedlib.php: call to debugging()',
      '* line 12 of /local/x/lib.php: call to foo()',
    ].join('\n');
    expect(findingsFromUpgrade({ exitCode: 0, stdout, stderr: '' }, ctx, has)).toEqual([
      expect.objectContaining({ ruleId: 'install/debugging', file: 'lib.php', line: 12 }),
    ]);
  });

  it('reads an SCSS compile error of the theme, at its file when scssphp names one', () => {
    const tctx = { moodleRoot: '/www/moodle', pluginPath: 'theme/t', pluginWebPath: 'theme/t' };
    const stdout = [
      '++ Error while compiling SCSS: Undefined variable $nope: /www/moodle/theme/t/scss/t.scss on line 3, at column 29 ++',
      '* line 1281 of /lib/classes/output/theme_config.php: call to debugging()',
      '++ Error while compiling SCSS: Undefined variable $nope: line: 158, column: 5 ++',
      '* line 1281 of /lib/classes/output/theme_config.php: call to debugging()',
    ].join('\n');
    expect(findingsFromUpgrade({ exitCode: 0, stdout, stderr: '' }, tctx, has)).toEqual([
      expect.objectContaining({ ruleId: 'install/scss-error', file: 'scss/t.scss', line: 3 }),
      {
        ruleId: 'install/scss-error',
        severity: 'error',
        message: 'SCSS did not compile: Undefined variable $nope: line: 158, column: 5',
      },
    ]);
  });
});
