// The plugin's test files by component, the phpunit.xml made from a real phpunit.xml.dist shape,
// and --phpunit-args: what is passed on and what is refused.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { tempDir } from '../moodle/testing.js';
import { parsePhpunitArgs, splitArgs } from './args.js';
import { buildConfig, discoverTests } from './suite.js';

const fixture = path.resolve('fixtures/plugins/phpunit-suite');

describe('discoverTests', () => {
  it('groups test files by component: the plugin, then each subplugin; classes/ and fixtures/ left out', () => {
    const dir = tempDir('tests');
    const put = (rel: string): void => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), '<?php');
    };
    put('version.php');
    put('tests/b_test.php');
    put('tests/sub/a_test.php');
    put('tests/classes/helper_test.php');
    put('tests/fixtures/sample_test.php');
    put('tests/generator/lib.php');
    writeFileSync(path.join(dir, 'version.php'), "<?php $plugin->component = 'mod_x';");
    put('report/y/version.php');
    writeFileSync(
      path.join(dir, 'report/y/version.php'),
      "<?php $plugin->component = 'xreport_y';",
    );
    put('report/y/tests/y_test.php');
    expect(discoverTests(dir, 'mod_x')).toEqual([
      { component: 'mod_x', dir: '', files: ['tests/b_test.php', 'tests/sub/a_test.php'] },
      { component: 'xreport_y', dir: 'report/y', files: ['report/y/tests/y_test.php'] },
    ]);
    expect(
      discoverTests(fixture, 'local_mpcunit').map((c) => [c.component, c.files.length]),
    ).toEqual([
      ['local_mpcunit', 2],
      ['mpcunitpart_alpha', 1],
    ]);
  });
});

const DIST_9 = `<?xml version="1.0" encoding="UTF-8"?>
<phpunit
    bootstrap="lib/phpunit/bootstrap.php"
    cacheResult="false"
    >
  <php>
    <const name="PHPUNIT_SEQUENCE_START" value=""/>
  </php>
  <testsuites>
    <testsuite name="core_test_testsuite"><directory suffix="_test.php">lib/tests</directory></testsuite>
<!--@plugin_suites_start@-->
<!--@plugin_suites_end@-->
  </testsuites>
  <coverage>
<!--@coveragelist@-->
  </coverage>
</phpunit>
`;

describe('buildConfig', () => {
  const components = [{ component: 'local_a&b', dir: '', files: ['tests/x_test.php'] }];
  it('lists the files one by one, sets the sequence, our bootstrap and the PHPUnit 9 listener', () => {
    const xml = buildConfig({
      dist: DIST_9,
      pluginRel: 'local/ab',
      components,
      bootstrap: '/mpc-run/b.php',
      major: 9,
      sequenceStart: 142000,
    });
    expect(xml).toContain(
      '<testsuite name="local_a&amp;b_testsuite">\n      <file>local/ab/tests/x_test.php</file>',
    );
    expect(xml).toContain('value="142000"');
    expect(xml).toContain('bootstrap="/mpc-run/b.php"');
    expect(xml).toContain('<listener class="mpc_phpunit_listener"/>');
    expect(xml).not.toContain('coveragelist');
    expect(xml).toContain('core_test_testsuite');
  });
  it('adds the PHPUnit 10+ extension beside Moodle’s own, @root@ resolved', () => {
    const dist = DIST_9.replace('bootstrap="lib', 'bootstrap="@root@public/lib').replace(
      '<testsuites>',
      '<extensions>\n    <bootstrap class="core\\tests\\phpunit\\moodle_extension"/>\n  </extensions>\n  <testsuites>',
    );
    const xml = buildConfig({
      dist,
      pluginRel: 'public/local/ab',
      components,
      bootstrap: '/b.php',
      major: 11,
      sequenceStart: 100000,
    });
    expect(xml).toMatch(
      /<extensions>\s*<bootstrap class="mpc_phpunit_extension"\/>\s*<bootstrap class="core\\tests\\phpunit\\moodle_extension"\/>/,
    );
    expect(xml).not.toContain('@root@');
  });
  it('refuses a phpunit.xml.dist without the plugin suites marker', () => {
    expect(() =>
      buildConfig({
        dist: '<phpunit/>',
        pluginRel: 'x',
        components,
        bootstrap: '/b',
        major: 9,
        sequenceStart: 1,
      }),
    ).toThrow(UserError);
  });
});

describe('--phpunit-args', () => {
  it('splits like a shell and passes on selection and strictness options', () => {
    expect(splitArgs(`--filter 'test_a b' --group="x y" a\\ b ""`)).toEqual([
      '--filter',
      'test_a b',
      '--group=x y',
      'a b',
      '',
    ]);
    expect(
      parsePhpunitArgs('--filter=test_view --stop-on-failure --testsuite mod_x_testsuite'),
    ).toEqual(['--filter', 'test_view', '--stop-on-failure', '--testsuite', 'mod_x_testsuite']);
    expect(parsePhpunitArgs(undefined)).toEqual([]);
  });
  it('refuses what writes files, loads code or replaces the configuration, naming the option', () => {
    for (const bad of [
      '--log-junit /tmp/x',
      '--bootstrap /etc/passwd',
      '-c other.xml',
      '--configuration=x',
      '--coverage-html out',
      '--include-path /x',
      '-d memory_limit=-1',
      '--filter',
    ])
      expect(() => parsePhpunitArgs(bad), bad).toThrow(UserError);
    expect(() => parsePhpunitArgs('--filter "open')).toThrow(/quote is not closed/);
  });
});
