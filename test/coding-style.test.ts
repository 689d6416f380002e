// The coding-style phase (cs/*): PHP_CodeSniffer with moodle-cs inside php-wasm. Exact messages on
// the fixtures (what native phpcs --standard=moodle reports on the same files), the plugin's own
// ruleset, moodle-extra, third-party code left out, the phpcs cache, and the ways it does not run.
// The real runs skip, with the reason, when the tools are not in the cache
// (`moodle-plugin-check cs import <dir>`); the rest always runs.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPluginConfig } from '../src/config/plugin-config.js';
import { cacheRoot } from '../src/core/cache-dir.js';
import { isCsRuleId } from '../src/core/rules.js';
import { tempDir } from '../src/moodle/testing.js';
import { MARKER } from '../src/phpunit/packages.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { RULE_IDS, rulesFor } from '../src/pipeline/rules.js';
import { parseReport, PhpcsError } from '../src/style/phpcs.js';
import {
  contentDigest,
  CS_PACKAGES,
  ensureToolchain,
  type ToolPackage,
} from '../src/style/toolchain.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/coding-style');
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

const tools = await ensureToolchain({ offline: true });
if (!tools.ok) console.log(`coding-style tests skip the phpcs runs: ${tools.why}`);

async function check(dir: string, standard?: 'moodle' | 'moodle-extra') {
  const { report } = await runCheck({
    pluginDir: dir,
    moodle: false,
    moodleOptions: { offline: true, timeoutMs: 120_000 },
    codingStyle: { enabled: true, ...(standard ? { standard } : {}) },
  });
  const phase = report.phases.find((p) => p.name === 'coding-style');
  const cs = report.findings
    .filter((f) => f.ruleId.startsWith('cs/'))
    .map((f) => `${f.severity} ${f.file}:${f.line}:${f.column} ${f.ruleId}`)
    .sort();
  return { report, phase, cs };
}

describe.skipIf(!tools.ok)('coding-style on the fixtures (phpcs in php-wasm)', () => {
  it('reports what native phpcs --standard=moodle reports, at file, line and column; leaves thirdpartylibs out', async () => {
    const { phase, cs } = await check(path.join(FIXTURES, 'local_csbad'));
    expect(cs).toEqual([
      'error lib.php:31:13 cs/Generic.Arrays.DisallowLongArraySyntax.Found',
      'error lib.php:32:5 cs/moodle.NamingConventions.ValidVariableName.VariableNameLowerCase',
      'error lib.php:33:21 cs/moodle.NamingConventions.ValidVariableName.VariableNameLowerCase',
      'warning lib.php:42:5 cs/moodle.Commenting.TodoComment.MissingInfoInline',
    ]);
    expect(phase?.status).toBe('failed');
    expect(phase?.detail).toMatch(
      /--standard=moodle for Moodle 4.5 on 3 PHP file\(s\): 3 error\(s\), 1 warning\(s\)/,
    );
  }, 120_000);

  it('moodle-extra is selectable and adds its sniffs', async () => {
    const { cs } = await check(path.join(FIXTURES, 'local_csbad'), 'moodle-extra');
    expect(cs).toContain(
      'warning classes/thing.php:28:5 cs/PSR12.Properties.ConstantVisibility.NotFound',
    );
    expect(cs).toHaveLength(5);
  }, 120_000);

  it('honours the plugin’s own .phpcs.xml', async () => {
    const { phase, cs } = await check(path.join(FIXTURES, 'local_csown'));
    expect(cs.some((l) => l.includes('DisallowLongArraySyntax'))).toBe(false);
    expect(cs).toHaveLength(3);
    expect(phase?.detail).toContain('--standard=.phpcs.xml');
  }, 120_000);

  it('a broken ruleset of the plugin’s is a failed phase with phpcs’s words, not a pass', async () => {
    const dir = tempDir('cs-broken');
    temps.push(dir);
    cpSync(path.join(FIXTURES, 'local_csown'), dir, { recursive: true });
    writeFileSync(
      path.join(dir, '.phpcs.xml'),
      '<ruleset name="x"><rule ref="NoSuchStandard"/></ruleset>\n',
    );
    const { phase, cs } = await check(dir);
    expect(cs).toEqual([]);
    expect(phase?.status).toBe('failed');
    expect(phase?.detail).toMatch(/^not run: phpcs stopped \(exit \d+\): .*NoSuchStandard/s);
  }, 120_000);

  it('SARIF describes every cs/* rule the report holds', async () => {
    const { report } = await check(path.join(FIXTURES, 'local_csbad'));
    const rules = rulesFor(report.findings);
    for (const f of report.findings) expect(rules.some((r) => r.id === f.ruleId)).toBe(true);
  }, 120_000);
});

describe('coding-style when it cannot run', () => {
  it('offline with an empty cache: skipped, saying why and how to import', async () => {
    const root = tempDir('cs-empty');
    temps.push(root);
    const got = await ensureToolchain({ offline: true, root });
    expect(got.ok).toBe(false);
    if (got.ok) return;
    expect(got.why).toMatch(/squizlabs\/php_codesniffer 3\.13\.4 is not in the cache \(offline\)/);
    expect(got.why).toContain('cs import');
  });

  it('a cached package whose files are not the pinned ones is refused and dropped', async () => {
    const root = tempDir('cs-tampered');
    temps.push(root);
    const pkg: ToolPackage = { ...CS_PACKAGES[0]!, digest: 'a'.repeat(64) };
    const dir = path.join(root, 'composer', ...pkg.name.split('/'), pkg.reference);
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'src', 'x.php'), '<?php echo 1;\n');
    writeFileSync(path.join(dir, MARKER), '{}\n');
    const got = await ensureToolchain({ offline: true, root, packages: [pkg] });
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.why).toMatch(/is not the pinned one \(content digest [0-9a-f]{12}…/);
    expect(existsSync(dir)).toBe(false);
  });

  it('the digest covers code and rulesets only, so tests and docs may differ', () => {
    const a = tempDir('cs-digest');
    temps.push(a);
    mkdirSync(path.join(a, 'src', 'Tests'), { recursive: true });
    writeFileSync(path.join(a, 'src', 'a.php'), '<?php\n');
    const before = contentDigest(a);
    writeFileSync(path.join(a, 'src', 'Tests', 'b.php'), '<?php\n');
    writeFileSync(path.join(a, 'README.md'), 'x');
    expect(contentDigest(a)).toBe(before);
    writeFileSync(path.join(a, 'src', 'a.php'), '<?php // changed\n');
    expect(contentDigest(a)).not.toBe(before);
  });

  it('a phpcs report that is not JSON, or has no files, is an error', () => {
    expect(() => parseReport('<html>', '/moodle/local/x')).toThrow(PhpcsError);
    expect(() => parseReport('{"totals":{}}', '/moodle/local/x')).toThrow(/without files/);
    expect(
      parseReport(
        '{"files":{"/moodle/local/x/lib.php":{"messages":[{"message":"m","source":"a.b.c.d","type":"WARNING","line":3,"column":4,"fixable":false}]}}}',
        '/moodle/local/x',
      ),
    ).toEqual([
      {
        file: 'lib.php',
        line: 3,
        column: 4,
        source: 'a.b.c.d',
        message: 'm',
        type: 'WARNING',
        fixable: false,
      },
    ]);
  });
});

describe('the config names cs rules and the standard', () => {
  const write = (text: string): string => {
    const dir = tempDir('cs-config');
    temps.push(dir);
    writeFileSync(path.join(dir, '.moodle-plugin-check.yml'), text);
    return dir;
  };
  it('accepts cs/* , a sniff code and cs-standard', () => {
    const config = loadPluginConfig(
      write(
        'disable: [cs/*, cs/moodle.Files.BoilerplateComment.Wrong]\ncs-standard: moodle-extra\n',
      ),
      RULE_IDS,
    );
    expect(config.disable).toEqual(['cs/*', 'cs/moodle.Files.BoilerplateComment.Wrong']);
    expect(config.csStandard).toBe('moodle-extra');
    expect(isCsRuleId('cs/moodle.Files')).toBe(false);
  });
  it('refuses an unknown standard and a cs id that is not a sniff code', () => {
    expect(() => loadPluginConfig(write('cs-standard: psr2\n'), RULE_IDS)).toThrow(/cs-standard/);
    expect(() => loadPluginConfig(write('disable: [cs/NotACode]\n'), RULE_IDS)).toThrow(
      /not a rule of moodle-plugin-check/,
    );
  });
});

describe.skipIf(!tools.ok)('the phpcs cache', () => {
  it('a second run reads the cache and reports the same', async () => {
    const dir = tempDir('cs-cache');
    temps.push(dir);
    cpSync(path.join(FIXTURES, 'local_csbad'), dir, { recursive: true });
    // A component of its own, so the cache folder is this test's.
    for (const f of ['version.php', 'lib.php', 'classes/thing.php'])
      writeFileSync(
        path.join(dir, f),
        (await import('node:fs'))
          .readFileSync(path.join(dir, f), 'utf8')
          .replaceAll('local_csbad', `local_cs${process.pid}`),
      );
    const first = await check(dir);
    const caches = readdirSync(path.join(cacheRoot(), 'cs-cache'));
    expect(caches.length).toBeGreaterThan(0);
    const second = await check(dir);
    expect(second.cs).toEqual(first.cs);
    expect(first.cs).toHaveLength(4);
  }, 120_000);
});
