import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { CONFIG_FILE, loadPluginConfig, pathFilter, ruleFilter } from './plugin-config.js';

const IDS = new Set(['files/readme', 'files/icon', 'version/release-missing']);

function withConfig(text: string | undefined): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mpc-config-'));
  if (text !== undefined) writeFileSync(path.join(dir, CONFIG_FILE), text);
  return dir;
}

describe('.moodle-plugin-check.yml', () => {
  it('is optional', () => {
    expect(loadPluginConfig(withConfig(undefined), IDS)).toEqual({ disable: [], ignore: [] });
  });

  it('disables rules and families and ignores globs', () => {
    const c = loadPluginConfig(
      withConfig(
        'disable: [files/*, version/release-missing]\nignore: ["tests/fixtures/**"]\nfail-on: warning\n',
      ),
      IDS,
    );
    const on = ruleFilter(c);
    expect([on('files/readme'), on('version/release-missing'), on('version/x')]).toEqual([
      false,
      false,
      true,
    ]);
    const ignored = pathFilter(c);
    expect([ignored('tests/fixtures/a/b.php'), ignored('lib.php')]).toEqual([true, false]);
    expect(c.failOn).toBe('warning');
  });

  it.each([
    ['disabel: [files/readme]\n', /unknown key 'disabel'/],
    ['disable: [nope/rule]\n', /'nope\/rule', which is not a rule/],
    ['disable: [Files]\n', /disable\.0 is not a rule id/],
    ['fail-on: always\n', /fail-on must be equal to one of the allowed values/],
    ['disable: [a\n', /:\d+: not valid YAML/],
  ])('rejects %j with a clear error', (text, message) => {
    expect(() => loadPluginConfig(withConfig(text), IDS)).toThrow(UserError);
    expect(() => loadPluginConfig(withConfig(text), IDS)).toThrow(message);
  });
});
