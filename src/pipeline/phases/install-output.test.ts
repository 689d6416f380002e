import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../core/format.js';
import { input } from '../../core/inputs.js';
import { findingsFromOutcome, findingsFromUpgrade } from './install-output.js';
import type { StoppedRun, UpgradeOutcome } from '../../moodle/site/site.js';

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

describe('findingsFromOutcome', () => {
  const bounds: StoppedRun = {
    stdout: '',
    stderr: '',
    stdoutDroppedBytes: 0,
    stderrDroppedBytes: 0,
    maxOutputBytes: 8 * 1024 * 1024,
    writtenBytes: 1000,
    diskQuotaExceeded: false,
    diskQuotaBytes: 2 * 1024 ** 3,
  };
  const exited = (over: Partial<UpgradeOutcome & { ended: 'exited' }> = {}): UpgradeOutcome => ({
    ended: 'exited',
    exitCode: 0,
    durationMs: 1,
    bootMs: 1,
    ...bounds,
    ...over,
  });
  const summary = (run: UpgradeOutcome): string[] =>
    findingsFromOutcome(run, ctx, has).map(
      (f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''} ${f.message}`,
    );

  it('adds nothing to a clean run', () => {
    expect(summary(exited({ stdout: '-->local_x\n++ Success (0.10 seconds) ++' }))).toEqual([]);
  });

  it('names a crash, the plugin being installed and the last output, then what PHP said', () => {
    const run: UpgradeOutcome = {
      ended: 'crashed',
      crash: 'stack-overflow',
      detail: 'RangeError: Maximum call stack size exceeded',
      ...bounds,
      stdout:
        '-->local_x\nWarning: Undefined variable $y in /www/moodle/local/x/db/install.php on line 4\n',
    };
    expect(summary(run)).toEqual([
      'install/crashed : PHP crashed while installing or upgrading local_x: a stack overflow (deep or endless recursion) (RangeError: Maximum call stack size exceeded), and admin/cli/upgrade.php was stopped. Its last output: -->local_x Warning: Undefined variable $y in /www/moodle/local/x/db/install.php on line 4',
      'install/php-warning db/install.php:4 PHP Warning: Undefined variable $y',
    ]);
  });

  it('gives a runtime out of memory its own rule', () => {
    const run: UpgradeOutcome = {
      ended: 'crashed',
      crash: 'out-of-memory',
      detail: 'Error: Worker terminated due to reaching memory limit: JS heap out of memory',
      ...bounds,
    };
    expect(findingsFromOutcome(run, ctx, has).map((f) => f.ruleId)).toEqual([
      'install/out-of-memory',
    ]);
  });

  it('reports a time-out once, with the hint, and no install/failed for the stopped run', () => {
    const f = findingsFromOutcome(
      { ended: 'timeout', timeoutMs: 15_000, ...bounds, stdout: '-->local_x\n' },
      ctx,
      has,
    );
    expect(f).toEqual([
      {
        ruleId: 'install/timeout',
        severity: 'error',
        message:
          'admin/cli/upgrade.php did not finish within 15 s and was stopped while installing or upgrading local_x.',
        hint: `Look for an endless loop in db/install.php or db/upgrade.php, or raise ${input('timeout')}.`,
      },
    ]);
  });

  it('reports the disk quota beside Moodle’s own write error', () => {
    const run = exited({
      exitCode: 1,
      stdout:
        '!!! Error writing to database !!!\n!! SQLSTATE[HY000]: General error: 13 database or disk is full',
      diskQuotaExceeded: true,
      writtenBytes: 258786,
      diskQuotaBytes: 256 * 1024,
    });
    expect(summary(run)).toEqual([
      'install/disk-quota : admin/cli/upgrade.php tried to write more than the disk quota of 256 KiB into Moodle’s database, dataroot and temp folders (252.7 KiB written); writes beyond failed with “No space left on device”.',
      'install/failed : The upgrade stopped (exit 1): Error writing to database',
    ]);
  });

  it('reports output beyond the limit, from both streams', () => {
    const run = exited({
      stdoutDroppedBytes: 2 * 1024 ** 3 - 8 * 1024 ** 2,
      stderrDroppedBytes: 0,
    });
    expect(summary(run)).toEqual([
      'install/output-limit : admin/cli/upgrade.php printed 2.0 GiB of output beyond the 8 MiB kept per stream (its first and last 4 MiB); messages in the part dropped were not checked.',
    ]);
    expect(findingsFromOutcome(exited({ stderrDroppedBytes: 1 }), ctx, has)).toHaveLength(1);
  });

  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1536, '1.5 KiB'],
    [8 * 1024 ** 2, '8 MiB'],
    [2 * 1024 ** 3, '2 GiB'],
  ])('formats %i as %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});
