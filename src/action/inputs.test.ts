import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MAX_TIMEOUT_SECONDS } from '../core/timeout.js';
import { UserError } from '../core/errors.js';
import { input, renderInputs, type InputName } from '../core/inputs.js';
import {
  ACTION_SPELLING,
  INPUT,
  OUTPUT,
  parseChecks,
  parseInputs,
  parseTimeout,
  PUBLISH_INPUT,
  ruleFamilies,
} from './inputs.js';
import { REPO_ROOT } from './testing.js';

const read = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';

describe('action.yml and inputs.ts', () => {
  it('declare the same inputs and outputs', () => {
    const action = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as {
      inputs: object;
      outputs: object;
      runs: { using: string; main: string };
    };
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(INPUT).sort());
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(OUTPUT).sort());
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/action.js' });
    const publish = parse(readFileSync(path.join(REPO_ROOT, 'publish/action.yml'), 'utf8')) as {
      inputs: object;
      runs: { main: string };
    };
    expect(Object.keys(publish.inputs).sort()).toEqual(Object.values(PUBLISH_INPUT).sort());
    expect(publish.runs.main).toBe('../dist/publish.js');
  });

  it('spell every input a message can name as an input the Action has', () => {
    const names: InputName[] = ['moodle', 'php', 'db', 'upgrade-from', 'blueprint', 'timeout'];
    for (const name of names) {
      expect(Object.values(INPUT)).toContain(name);
      expect(renderInputs(input(name), ACTION_SPELLING)).toBe(`the \`${name}\` input`);
    }
    expect(renderInputs(input('moodle', '4.5'), ACTION_SPELLING)).toBe('`moodle: 4.5`');
    expect(renderInputs(`run with ${input('no-moodle')}`, ACTION_SPELLING)).toBe(
      'run with `moodle: none`',
    );
    expect(renderInputs(input('offline'), ACTION_SPELLING)).not.toMatch(/\u27e6/);
  });
});

describe('parseInputs', () => {
  it('gives a frozen config with defaults', () => {
    const c = parseInputs(read({ 'plugin-path': 'fixtures/plugins/mod_example' }), REPO_ROOT);
    expect(Object.isFrozen(c)).toBe(true);
    expect(c).toMatchObject({
      pluginPath: 'fixtures/plugins/mod_example',
      moodles: [],
      staticOnly: false,
      comment: true,
      cache: true,
      disable: [],
      upgradeFromDisabled: false,
    });
    expect(c.failOn).toBeUndefined();
  });

  it('reads lists, none and booleans', () => {
    const base = { 'plugin-path': 'fixtures/plugins/mod_example/' };
    expect(parseInputs(read({ ...base, moodle: '4.5, 5.0\n5.0' }), REPO_ROOT).moodles).toEqual([
      '4.5',
      '5.0',
    ]);
    expect(parseInputs(read({ ...base, moodle: 'none' }), REPO_ROOT).staticOnly).toBe(true);
    expect(parseInputs(read({ ...base, comment: 'off', cache: 'no' }), REPO_ROOT)).toMatchObject({
      comment: false,
      cache: false,
    });
    expect(parseInputs(read({ ...base, 'upgrade-from': 'none' }), REPO_ROOT)).toMatchObject({
      upgradeFromDisabled: true,
    });
    expect(parseInputs(read({ ...base, 'upgrade-from': 'v1.2' }), REPO_ROOT).upgradeFrom).toBe(
      'v1.2',
    );
  });

  it('reads db, and refuses a database it cannot run naming the input and the choices', () => {
    const base = { 'plugin-path': 'fixtures/plugins/mod_example' };
    expect(parseInputs(read({ ...base, db: 'PostgreSQL'.slice(0, 8) }), REPO_ROOT).db).toBe(
      'postgres',
    );
    expect(parseInputs(read({ ...base, db: ' SQLite ' }), REPO_ROOT).db).toBe('sqlite');
    expect(parseInputs(read(base), REPO_ROOT).db).toBeUndefined();
    expect(() => parseInputs(read({ ...base, db: 'mysql' }), REPO_ROOT)).toThrow(
      "Input 'db' is 'mysql', which is not a database this action runs.",
    );
  });

  it('reads coding-style (default on, the config’s standard); a bad value names the input', () => {
    const base = { 'plugin-path': 'fixtures/plugins/mod_example' };
    expect(parseInputs(read(base), REPO_ROOT).codingStyle).toEqual({ enabled: true });
    expect(
      parseInputs(read({ ...base, 'coding-style': 'moodle-extra' }), REPO_ROOT).codingStyle,
    ).toEqual({
      enabled: true,
      standard: 'moodle-extra',
    });
    expect(parseInputs(read({ ...base, 'coding-style': 'false' }), REPO_ROOT).codingStyle).toEqual({
      enabled: false,
    });
    expect(() => parseInputs(read({ ...base, 'coding-style': 'psr12' }), REPO_ROOT)).toThrow(
      /Input 'coding-style' is 'psr12'/,
    );
  });

  it('reads smoke (default true)', () => {
    const base = { 'plugin-path': 'fixtures/plugins/mod_example' };
    expect(parseInputs(read(base), REPO_ROOT).smoke).toBe(true);
    expect(parseInputs(read({ ...base, smoke: 'false' }), REPO_ROOT).smoke).toBe(false);
    expect(() => parseInputs(read({ ...base, smoke: 'sometimes' }), REPO_ROOT)).toThrow(
      "Input 'smoke' is 'sometimes', which is not on or off.",
    );
  });

  it('reads phpunit (auto, true, false) and checks phpunit-args', () => {
    const base = { 'plugin-path': 'fixtures/plugins/mod_example' };
    expect(parseInputs(read(base), REPO_ROOT).phpunit).toBe('auto');
    expect(parseInputs(read({ ...base, phpunit: 'true' }), REPO_ROOT).phpunit).toBe('on');
    expect(parseInputs(read({ ...base, phpunit: 'false' }), REPO_ROOT).phpunit).toBe('off');
    expect(() => parseInputs(read({ ...base, phpunit: 'maybe' }), REPO_ROOT)).toThrow(
      "Input 'phpunit' is 'maybe', which is not on or off.",
    );
    expect(
      parseInputs(read({ ...base, 'phpunit-args': '--filter test_view' }), REPO_ROOT).phpunitArgs,
    ).toEqual(['--filter', 'test_view']);
    expect(() =>
      parseInputs(read({ ...base, 'phpunit-args': '--log-junit /tmp/x' }), REPO_ROOT),
    ).toThrow(/phpunit-args: --log-junit /);
  });

  it('rejects mixing none with versions', () => {
    expect(() =>
      parseInputs(
        read({ 'plugin-path': 'fixtures/plugins/mod_example', moodle: 'none 4.5' }),
        REPO_ROOT,
      ),
    ).toThrow(UserError);
  });
});

describe('parseTimeout', () => {
  it('reads seconds into ms; empty is the default', () => {
    expect(parseTimeout('timeout', '')).toBeUndefined();
    expect(parseTimeout('timeout', ' 600 ')).toBe(600_000);
    expect(parseTimeout('timeout', '1.5')).toBe(1500);
    expect(parseTimeout('timeout', String(MAX_TIMEOUT_SECONDS))).toBe(2_147_483_000);
    expect(MAX_TIMEOUT_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  // Past 2^31-1 ms, Node's setTimeout fires after 1 ms: an instant timeout.
  it.each(['2147484', '99999999999', '0', '0.5', '-5', 'NaN', '1e999', 'Infinity', '0x10', 'soon'])(
    'refuses %j, naming the input and the range',
    (raw) => {
      expect(() => parseTimeout('timeout', raw)).toThrow(UserError);
      expect(() => parseTimeout('timeout', raw)).toThrow(
        `Input 'timeout' is '${raw}', which is not a number of seconds from 1 to 2147483 seconds (about 24 days).`,
      );
    },
  );
});

describe('parseChecks', () => {
  it('maps -family and -rule onto disable', () => {
    expect(parseChecks('-files, -lang/duplicate-key')).toEqual(['files/*', 'lang/duplicate-key']);
  });
  it('a positive list keeps only those families', () => {
    const off = parseChecks('version db');
    expect(off).not.toContain('version/*');
    expect(off).not.toContain('db/*');
    expect(off).toContain('files/*');
    expect(off.length).toBe(ruleFamilies().length - 2);
  });
  it('names the fix for a single rule without a minus', () => {
    expect(() => parseChecks('files/readme')).toThrow(/only whole families can be selected/);
    expect(() => parseChecks('-files/nosuch')).toThrow(/not a rule of moodle-plugin-check/);
  });
});

describe('the copy-paste workflows', () => {
  it('use only inputs action.yml declares', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const path = await import('node:path');
    const { parse } = await import('yaml');
    const root = path.resolve(import.meta.dirname, '../..');
    const declared = (file: string): Set<string> =>
      new Set(
        Object.keys(
          (parse(readFileSync(path.join(root, file), 'utf8')) as { inputs: object }).inputs,
        ),
      );
    const action = declared('action.yml');
    const publish = declared('publish/action.yml');
    const dir = path.join(root, 'docs/workflows');
    let seen = 0;
    for (const f of readdirSync(dir)) {
      const wf = parse(readFileSync(path.join(dir, f), 'utf8')) as {
        jobs: Record<string, { steps?: { uses?: string; with?: Record<string, unknown> }[] }>;
      };
      for (const job of Object.values(wf.jobs))
        for (const step of job.steps ?? []) {
          if (!step.uses?.includes('/moodle-plugin-check')) continue;
          const inputs = step.uses.includes('/publish@') ? publish : action;
          for (const key of Object.keys(step.with ?? {}))
            expect(inputs.has(key), `${f}: ${key}`).toBe(true);
          seen++;
        }
    }
    expect(seen).toBeGreaterThanOrEqual(4);
  });
});
