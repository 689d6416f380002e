// What PHPUnit runs for a plugin: its test files, grouped by component (the plugin and each
// subplugin it ships, as Moodle's util.php --buildconfig groups them), and the phpunit.xml that
// runs them, made from the tree's phpunit.xml.dist the way Moodle's build_config_file() makes it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';

export interface ComponentTests {
  component: string;
  /** Plugin-relative folder of the component ('' for the plugin itself). */
  dir: string;
  /** Plugin-relative test files, sorted. */
  files: string[];
}

/**
 * The `*_test.php` files of the plugin and of every subplugin inside it (a folder with its own
 * version.php), each component's `tests/classes` and `tests/fixtures` left out as Moodle does.
 */
export function discoverTests(pluginRoot: string, component: string): ComponentTests[] {
  const out: ComponentTests[] = [];
  const walkComponents = (dir: string): void => {
    const abs = path.join(pluginRoot, dir);
    const name =
      dir === '' ? component : (componentOf(path.join(abs, 'version.php')) ?? fallbackName(dir));
    const testsDir = path.join(abs, 'tests');
    if (existsSync(testsDir)) {
      const files = testFiles(pluginRoot, path.posix.join(dir, 'tests'));
      if (files.length > 0) out.push({ component: name, dir, files });
    }
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.') || (dir === '' && e.name === 'tests'))
        continue;
      if (['tests', 'vendor', 'node_modules'].includes(e.name)) continue;
      const sub = path.posix.join(dir, e.name);
      if (existsSync(path.join(pluginRoot, sub, 'version.php'))) walkComponents(sub);
      else walkInside(sub);
    }
  };
  // Subplugins sit one or two levels down (mod/quiz/report/x, or a grouping folder).
  const walkInside = (dir: string, depth = 1): void => {
    if (depth > 3) return;
    for (const e of readdirSync(path.join(pluginRoot, dir), { withFileTypes: true })) {
      if (
        !e.isDirectory() ||
        e.name.startsWith('.') ||
        ['tests', 'vendor', 'node_modules'].includes(e.name)
      )
        continue;
      const sub = path.posix.join(dir, e.name);
      if (existsSync(path.join(pluginRoot, sub, 'version.php'))) walkComponents(sub);
      else walkInside(sub, depth + 1);
    }
  };
  walkComponents('');
  return out;
}

function testFiles(root: string, testsRel: string): string[] {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, e.name);
      if (e.isDirectory()) {
        if (child === `${testsRel}/classes` || child === `${testsRel}/fixtures`) continue;
        walk(child);
      } else if (e.isFile() && e.name.endsWith('_test.php')) files.push(child);
    }
  };
  walk(testsRel);
  return files.sort();
}

function componentOf(versionFile: string): string | undefined {
  try {
    return /\$plugin->component\s*=\s*['"]([a-z][a-z0-9_]*)['"]/.exec(
      readFileSync(versionFile, 'utf8'),
    )?.[1];
  } catch {
    return undefined;
  }
}

const fallbackName = (dir: string): string => {
  const parts = dir.split('/');
  return `${parts.at(-2) ?? 'sub'}_${parts.at(-1) ?? 'plugin'}`;
};

export interface ConfigOptions {
  /** The tree's phpunit.xml.dist. */
  dist: string;
  /** Where the plugin is, relative to the tree root (`public/mod/board` on 5.1+). */
  pluginRel: string;
  components: readonly ComponentTests[];
  /** VFS path of our bootstrap wrapper (it loads the results collector, then Moodle's). */
  bootstrap: string;
  /** PHPUnit 9 (a TestListener) or 10+ (an Extension). */
  major: number;
  sequenceStart: number;
}

const xml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * phpunit.xml for the plugin's components, as build_config_file() writes it from phpunit.xml.dist
 * (a testsuite `<component>_testsuite` each, PHPUNIT_SEQUENCE_START, no coverage), except: the
 * files are listed one by one, in order (a run can go on after a test that never ended), and our
 * results collector is registered.
 */
export function buildConfig(o: ConfigOptions): string {
  let data = o.dist.replace(/@root@/g, '');
  const suites = o.components
    .map(
      (c) =>
        `    <testsuite name="${xml(c.component)}_testsuite">\n${c.files
          .map((f) => `      <file>${xml(path.posix.join(o.pluginRel, f))}</file>`)
          .join('\n')}\n    </testsuite>`,
    )
    .join('\n');
  if (!/<!--@plugin_suites_start@-->[\s\S]*<!--@plugin_suites_end@-->/.test(data))
    throw new UserError(
      'The Moodle tree’s phpunit.xml.dist has no <!--@plugin_suites_start@--> marker.',
      'Use an unmodified Moodle tree.',
    );
  // Moodle's own core suites stay in <testsuites>; only ours are selected (--testsuite).
  data = data.replace(
    / *<!--@plugin_suites_start@-->[\s\S]*<!--@plugin_suites_end@-->/,
    () => suites,
  );
  data = data.replace(
    '<const name="PHPUNIT_SEQUENCE_START" value=""/>',
    `<const name="PHPUNIT_SEQUENCE_START" value="${o.sequenceStart}"/>`,
  );
  data = data.replace(/\s*<(coverage|source)>\s*<!--@coveragelist@-->\s*<\/\1>/, '');
  data = data.replace(/(<phpunit\b[^>]*?\sbootstrap=")[^"]*(")/, `$1${xml(o.bootstrap)}$2`);
  if (o.major < 10) {
    data = data.replace(
      /<\/phpunit>\s*$/,
      '  <listeners>\n    <listener class="mpc_phpunit_listener"/>\n  </listeners>\n</phpunit>\n',
    );
  } else if (/<extensions>/.test(data)) {
    data = data.replace(
      /<extensions>/,
      '<extensions>\n    <bootstrap class="mpc_phpunit_extension"/>',
    );
  } else {
    data = data.replace(
      /<\/phpunit>\s*$/,
      '  <extensions>\n    <bootstrap class="mpc_phpunit_extension"/>\n  </extensions>\n</phpunit>\n',
    );
  }
  return data;
}
