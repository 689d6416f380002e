// The javascript and css phases: ESLint and stylelint with a real Moodle tree's .eslintrc and
// .stylelintrc, exact findings on the fixture. Skipped, with the reason, when no cached Moodle
// tree has them; the rule-name mapping and the config parsing always run.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheRoot } from '../src/moodle/source/cache-dir.js';
import { entryTreeDir, listEntries } from '../src/moodle/source/cache.js';
import { linterRuleName, loadJsLint } from '../src/style/js-lint.js';
import { isDynamicRuleId } from '../src/core/rules.js';
import { FIXTURES, runFamily } from './prechecks.js';

const root = cacheRoot();
const withRc = listEntries(root).filter(
  (e) => e.meta && existsSync(path.join(entryTreeDir(root, e.meta), '.eslintrc')),
);
if (withRc.length === 0)
  console.log(
    'linters tests skip the runs: no cached Moodle tree has an .eslintrc (moodle import <dir>)',
  );

const FIXTURE = path.join(FIXTURES, 'linters/local_jscss');

describe.skipIf(withRc.length === 0)('javascript and css on the fixture', () => {
  it('ESLint with Moodle’s .eslintrc on amd/src, .eslintignore honoured', async () => {
    const { phase, found } = await runFamily(FIXTURE, 'javascript', 'javascript');
    expect(found).toEqual([
      'error amd/src/bad.js:15 javascript/no-console',
      'error amd/src/bad.js:16 javascript/semi',
    ]);
    expect(phase?.status).toBe('failed');
    expect(phase?.detail).toMatch(
      /^ESLint 8\.57\.1 with Moodle .*’s \.eslintrc.* on 2 file\(s\)( \(\d unchanged since a previous check: their results from the cache\))?: 2 problem\(s\)$/,
    );
  }, 60_000);

  it('stylelint with Moodle’s .stylelintrc on CSS and SCSS', async () => {
    const { phase, found } = await runFamily(FIXTURE, 'css', 'css');
    expect(found).toEqual([
      'error styles.css:3 css/declaration-no-important',
      'warning styles.css:2 css/color-hex-case',
      'warning styles.css:2 css/color-hex-length',
    ]);
    expect(phase?.detail).toMatch(
      /^stylelint 15\.11\.0 with Moodle .* on 2 file\(s\)( \(\d unchanged since a previous check: their results from the cache\))?: 3 problem\(s\)$/,
    );
  }, 60_000);
});

describe('the linters’ rule ids', () => {
  it('are the linter’s rule names, made ids of ours, which the config may name', () => {
    expect(linterRuleName('promise/always-return')).toBe('promise-always-return');
    expect(linterRuleName('csstree/validator')).toBe('csstree-validator');
    expect(linterRuleName('@babel/semi')).toBe('babel-semi');
    expect(isDynamicRuleId('javascript/promise-always-return')).toBe(true);
    expect(isDynamicRuleId('css/color-hex-case')).toBe(true);
    expect(isDynamicRuleId('javascript/a/b')).toBe(false);
  });

  it('Moodle’s .eslintrc is read as ESLint reads it (comments, then YAML), with its extends flattened', async () => {
    const linters = await loadJsLint();
    const rc = `{
      // a comment
      'extends': ['eslint:recommended'],
      'env': { 'browser': true },
      'rules': { 'key-spacing': ['warn', { 'mode': minimum }], 'no-console': 'error' },
      overrides: [{ files: ["**/amd/src/*.js"], rules: { '@babel/semi': 'error', 'semi': 'off' } }],
    }`;
    const { results } = linters.lintJs(
      [{ path: 'amd/src/x.js', code: 'console.log(1)\nexport const a = b;\n' }],
      rc,
    );
    expect(results[0]?.messages.map((m) => `${m.line} ${m.ruleId} ${m.severity}`)).toEqual([
      '1 no-console error',
      '1 semi error',
      '2 no-undef error',
    ]);
  });
});
