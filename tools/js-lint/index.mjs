// moodle-plugin-check's JavaScript and CSS linters: ESLint and stylelint at the versions Moodle's
// package.json pins, run with the target Moodle tree's own .eslintrc and .stylelintrc, as its
// Gruntfile runs them (eslint on amd/src, stylelint on CSS and SCSS). Bundled into
// dist/js-lint.mjs; nothing here reads or writes files: the caller passes the code.
import { Linter } from 'eslint';
import eslintJs from '@eslint/js';
import jsdoc from 'eslint-plugin-jsdoc';
import promise from 'eslint-plugin-promise';
import stripComments from 'strip-json-comments';
import postcssScss from 'postcss-scss';
import stylelint from 'stylelint';
import csstreeValidator from 'stylelint-csstree-validator';
import YAML from 'yaml';

export const VERSIONS = {
  eslint: '8.57.1',
  'eslint-plugin-jsdoc': '48.11.0',
  'eslint-plugin-promise': '6.0.0',
  stylelint: '15.11.0',
  'stylelint-csstree-validator': '3.0.0',
};

/**
 * Moodle's .eslintrc (YAML flow syntax with // comments) → one eslintrc-mode config for amd/src files: its
 * `extends` flattened (eslint:recommended, plugin:promise/recommended), its amd/src override
 * applied. @babel/eslint-plugin's rules are their core originals (the parser here is ESLint's own,
 * on standard modern syntax, which is what Moodle's Babel preset takes).
 */
export function amdConfig(eslintrcText) {
  // As ESLint reads an extension-less .eslintrc: comments stripped, then YAML.
  const rc = YAML.parse(stripComments(eslintrcText));
  const rules = {};
  for (const ext of rc.extends ?? []) {
    if (ext === 'eslint:recommended') Object.assign(rules, eslintJs.configs.recommended.rules);
    else if (ext === 'plugin:promise/recommended')
      Object.assign(rules, promise.configs.recommended.rules);
  }
  Object.assign(rules, rc.rules ?? {});
  let env = { ...(rc.env ?? {}) };
  let parserOptions = { ...(rc.parserOptions ?? {}) };
  for (const o of rc.overrides ?? []) {
    const files = [].concat(o.files ?? []);
    if (!files.some((f) => f.includes('amd/src'))) continue;
    Object.assign(rules, o.rules ?? {});
    env = { ...env, ...(o.env ?? {}) };
    parserOptions = { ...parserOptions, ...(o.parserOptions ?? {}) };
  }
  for (const [name, value] of Object.entries({ ...rules })) {
    if (!name.startsWith('@babel/')) continue;
    delete rules[name];
    const core = name.slice('@babel/'.length);
    rules[core] = value;
  }
  delete parserOptions.requireConfigFile;
  return {
    env,
    globals: rc.globals ?? {},
    parserOptions: { sourceType: 'module', ...parserOptions, ecmaVersion: 'latest' },
    rules,
    reportUnusedDisableDirectives: rc.reportUnusedDisableDirectives === true,
  };
}

let linter;
function eslintLinter() {
  if (linter) return linter;
  linter = new Linter();
  const prefixed = (prefix, plugin) =>
    Object.fromEntries(Object.entries(plugin.rules).map(([k, v]) => [`${prefix}/${k}`, v]));
  linter.defineRules({ ...prefixed('promise', promise), ...prefixed('jsdoc', jsdoc) });
  return linter;
}

/** files: [{ path, code }] → [{ path, messages: [{ ruleId, severity, message, line, column }] }]. */
export function lintJs(files, eslintrcText) {
  const config = amdConfig(eslintrcText);
  const l = eslintLinter();
  const known = new Set([...l.getRules().keys()]);
  // A rule Moodle's config names that this ESLint does not have would stop every file.
  const rules = Object.fromEntries(Object.entries(config.rules).filter(([k]) => known.has(k)));
  const skipped = Object.keys(config.rules).filter((k) => !known.has(k));
  const { reportUnusedDisableDirectives, ...rest } = config;
  return {
    skipped,
    results: files.map(({ path, code }) => ({
      path,
      messages: l
        .verify(code, { ...rest, rules }, { filename: path, reportUnusedDisableDirectives })
        .map((m) => ({
          ruleId: m.ruleId ?? (m.fatal ? 'parse-error' : 'eslint'),
          severity: m.severity === 2 ? 'error' : 'warning',
          message: m.message,
          line: m.line ?? 1,
          column: m.column ?? 1,
        })),
    })),
  };
}

/** Moodle's .stylelintrc (YAML-like) → a stylelint config; CSS gets at-rule-no-unknown, as grunt does. */
export function stylelintConfig(stylelintrcText, forCss) {
  const rc = YAML.parse(stylelintrcText);
  const config = { ...rc, rules: { ...(rc.rules ?? {}) } };
  config.plugins = (rc.plugins ?? []).map((p) =>
    p === 'stylelint-csstree-validator' ? csstreeValidator : p,
  );
  config.plugins = config.plugins.filter((p) => typeof p !== 'string');
  if (rc.customSyntax === 'postcss-scss' || !forCss) config.customSyntax = postcssScss;
  if (forCss) config.rules['at-rule-no-unknown'] = true;
  return config;
}

/** files: [{ path, code }] → [{ path, messages }]; .css files get the CSS task's config. */
export async function lintCss(files, stylelintrcText) {
  const out = [];
  for (const { path, code } of files) {
    const config = stylelintConfig(stylelintrcText, path.endsWith('.css'));
    const { results } = await stylelint.lint({
      code,
      codeFilename: path,
      config,
      quietDeprecationWarnings: true,
    });
    const r = results[0];
    const messages = [
      ...(r?.warnings ?? []).map((w) => ({
        ruleId: w.rule,
        severity: w.severity === 'error' ? 'error' : 'warning',
        message: w.text,
        line: w.line ?? 1,
        column: w.column ?? 1,
      })),
      ...(r?.parseErrors ?? []).map((e) => ({
        ruleId: 'parse-error',
        severity: 'error',
        message: e.text,
        line: e.line ?? 1,
        column: e.column ?? 1,
      })),
    ];
    out.push({ path, messages });
  }
  return out;
}
