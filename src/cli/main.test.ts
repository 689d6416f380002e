import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ALL_RULES } from '../pipeline/rules.js';
import { fixture } from '../checks/testing.js';
import { UserError } from '../core/errors.js';
import { rulesDocs } from '../report/rules-doc.js';
import { MAX_TIMEOUT_SECONDS } from '../core/timeout.js';
import { parseTimeoutSeconds } from './options.js';
import { runCli as run } from './testing.js';

describe('moodle-plugin-check check', () => {
  it('exits 0 on a clean plugin and prints a verdict', async () => {
    const r = await run('check', fixture('mod_example'), '--no-moodle');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/✔ mod_example: 0 errors, 0 warnings, 0 notices/);
  });

  it('a --cs-standard that is not a standard is bad input (exit 2), naming the choices', async () => {
    const r = await run('check', fixture('mod_example'), '--no-moodle', '--cs-standard', 'psr2');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--cs-standard.*'psr2' is invalid\. Allowed choices are moodle, moodle-extra/,
    );
  });

  it('exits 1 on errors, and honours --fail-on', async () => {
    expect((await run('check', fixture('version-module'), '--no-moodle')).code).toBe(1);
    expect(
      (await run('check', fixture('version-module'), '--no-moodle', '--fail-on', 'never')).code,
    ).toBe(0);
  });

  it('writes the JSON contract to --output and a text summary to stdout', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'mpc-cli-')), 'out', 'r.json');
    const r = await run(
      'check',
      fixture('mod_example'),
      '--no-moodle',
      '--format',
      'json',
      '--output',
      file,
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'tool',
      'plugin',
      'moodle',
      'phases',
      'findings',
      'summary',
      'blueprint',
    ]);
    expect(json.blueprint).toBeNull();
    expect(json.plugin).toMatchObject({
      component: 'mod_example',
      type: 'mod',
      name: 'example',
      version: 2026110200,
      supported: [405, 502],
      maturity: 'stable',
      path: 'mod/example',
    });
    expect(json.moodle).toBeNull();
    const phases = json.phases as { name: string; status: string; detail?: string }[];
    // The prechecker's families are on by default and need no Moodle: each ran and passed, or
    // says why it did not run (their tools or a Moodle tree are not in the cache).
    const style = new Set(['coding-style', 'phpdoc', 'templates', 'javascript', 'css']);
    for (const p of phases.filter((p) => style.has(p.name))) {
      if (p.status === 'skipped') expect(p.detail).toMatch(/^(not run|skipped): /);
      else expect(p.status, `${p.name}: ${p.detail ?? ''}`).toBe('passed');
    }
    expect(phases.some((p) => p.name === 'coding-style')).toBe(true);
    expect(phases.filter((p) => !style.has(p.name)).map((p) => `${p.name}:${p.status}`)).toEqual([
      'detect:passed',
      'lint:passed',
      'provision:skipped',
      'install:skipped',
      'environment:skipped',
      // The CLI opens the plugin's pages and runs its suite by default; --no-moodle skips both.
      'smoke:skipped',
      'phpunit:skipped',
    ]);
    expect(r.out).toContain('✔ mod_example');
  });

  it('gives every JSON finding all seven keys, null where absent', async () => {
    const r = await run(
      'check',
      fixture('version-bare'),
      '--no-moodle',
      '--format',
      'json',
      '--fail-on',
      'never',
    );
    const json = JSON.parse(r.out) as { findings: Record<string, unknown>[] };
    const missing = json.findings.find((f) => f.ruleId === 'version/component-missing');
    expect(missing).toEqual({
      ruleId: 'version/component-missing',
      severity: 'error',
      file: 'version.php',
      line: null,
      column: null,
      message: 'version.php does not set $plugin->component.',
      hint: null,
    });
  });

  it.each([
    [['check', '/definitely/not/here'], /no such directory/],
    [['check', fixture('mod_example/db')], /no version\.php/],
    [
      ['check', '--format', 'xml', fixture('mod_example')],
      /Allowed choices are text, json, github, sarif/,
    ],
    [['check', '--bogus'], /unknown option '--bogus'/],
    // serve finds bad input before any Moodle work.
    [['serve', fixture('mod_example'), '--port', 'abc'], /--port abc is not a port number/],
    [['serve', fixture('mod_example'), '--port', '70000'], /--port 70000 is not a port number/],
    [['serve', fixture('mod_example'), '--timeout', 'soon'], /--timeout soon is not a number/],
    [['serve', fixture('mod_example/db')], /no version\.php/],
    [['serve', '/nonexistent-mpc-folder'], /no such directory/],
    [
      ['check', fixture('mod_example'), '--timeout', 'soon'],
      /--timeout soon is not a number of seconds from 1 to 2147483 seconds \(about 24 days\)/,
    ],
    // Node's setTimeout fires after 1 ms for anything over 2^31-1 ms: an instant timeout.
    [
      ['check', fixture('mod_example'), '--timeout', '2147484'],
      /--timeout 2147484 is not a number of seconds from 1 to 2147483 seconds/,
    ],
    [
      ['check', fixture('mod_example'), '--timeout', '0'],
      /--timeout 0 is not a number of seconds from 1/,
    ],
    [['check', fixture('mod_example'), '--timeout=-5'], /--timeout -5 is not a number/],
    [['check', fixture('mod_example'), '--timeout', 'NaN'], /--timeout NaN is not a number/],
    [['check', fixture('mod_example'), '--timeout', '1e999'], /--timeout 1e999 is not a number/],
    [['check', fixture('mod_example'), '--timeout', ''], /--timeout {2}is not a number/],
    [['check', fixture('mod_example'), '--php', '5.6'], /--php 5\.6 is not available/],
    [
      ['check', fixture('mod_example'), '--phpunit-args', '--bootstrap /etc/passwd'],
      /--phpunit-args --bootstrap \/etc\/passwd: --bootstrap is not accepted/,
    ],
    [
      ['check', fixture('mod_example'), '--db', 'mysql'],
      /'--db <database>' argument 'mysql' is invalid\. Allowed choices are postgres, sqlite/,
    ],
    // Found in detect, before any Moodle work, naming the blueprint and the input that overrides it.
    [
      [
        'check',
        fixture('mod_example'),
        '--blueprint',
        '{"preferredVersions":{"php":"5.6"},"steps":[]}',
      ],
      /preferredVersions\.php "5\.6" is not available here\.\n.*or set --php\./,
    ],
    [['check', fixture('mod_example'), '--moodle', '3.2', '--offline'], /Moodle/],
    [
      ['check', fixture('mod_example'), '--extra-plugin', '/nowhere/local_x'],
      /--extra-plugin \/nowhere\/local_x: \/nowhere\/local_x does not exist\.\n.*plugin folder/,
    ],
    [
      ['check', fixture('mod_example'), '--extra-plugin', fixture('mod_example') + '/lib.php'],
      /is not a \.zip/,
    ],
    [
      ['check', fixture('mod_example'), '--extra-plugin', 'ssh://git@example.org/x.git'],
      /only https:\/\/, http:\/\/ and file:\/\/ git URLs/,
    ],
  ])('exits 2 on bad input %j', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});

describe('parseTimeoutSeconds', () => {
  it('takes whole and decimal seconds up to what a Node timer holds', () => {
    expect(parseTimeoutSeconds('--timeout', '900')).toBe(900);
    expect(parseTimeoutSeconds('--timeout', '1.5')).toBe(1.5);
    expect(parseTimeoutSeconds('--timeout', String(MAX_TIMEOUT_SECONDS))).toBe(2147483);
    expect(MAX_TIMEOUT_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(() => parseTimeoutSeconds('--timeout', '0.5')).toThrow(UserError);
    expect(() => parseTimeoutSeconds('--timeout', '0x10')).toThrow(UserError);
    expect(() => parseTimeoutSeconds('--timeout', 'Infinity')).toThrow(UserError);
  });
});

describe('moodle-plugin-check check with a Moodle', () => {
  it('exits 2 with what to do when Moodle cannot be downloaded', async () => {
    vi.stubEnv('MPC_CACHE_DIR', mkdtempSync(path.join(tmpdir(), 'mpc-empty-cache-')));
    // Nothing listens on port 9 of 127.0.0.1: the connection is refused at once.
    vi.stubEnv('MPC_MOODLE_ARCHIVE_BASE', 'http://127.0.0.1:9');
    try {
      const r = await run('check', fixture('mod_example'), '--moodle', '4.5');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/Could not download Moodle/);
      expect(r.err).toMatch(/moodle import/);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 60_000);
});

describe('docs/rules', () => {
  it('is generated from the rule catalogue (run `npm run docs`)', () => {
    const dir = path.resolve(fixture('.'), '../../docs/rules');
    const pages = rulesDocs(ALL_RULES);
    expect(readdirSync(dir).sort()).toEqual([...pages.keys()].sort());
    for (const [name, text] of pages)
      expect(readFileSync(path.join(dir, name), 'utf8'), name).toBe(text);
  });
});
