// ESLint and stylelint as Moodle's Gruntfile runs them, from our bundle (dist/js-lint.mjs, made
// from tools/js-lint with its own lockfile), loaded only when a phase needs it.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

export interface LintMessage {
  ruleId: string;
  severity: 'error' | 'warning';
  message: string;
  line: number;
  column: number;
}

export interface LintedFile {
  path: string;
  messages: LintMessage[];
}

interface JsLintModule {
  VERSIONS: Record<string, string>;
  lintJs: (
    files: { path: string; code: string }[],
    eslintrc: string,
  ) => { skipped: string[]; results: LintedFile[] };
  lintCss: (files: { path: string; code: string }[], stylelintrc: string) => Promise<LintedFile[]>;
}

let loaded: Promise<JsLintModule> | undefined;

/** The versions tools/js-lint pins (its package.json), for the report when the bundle was not loaded. */
export const JS_LINT_VERSIONS = { eslint: '8.57.1', stylelint: '15.11.0' } as const;

/** The bundle beside this module (dist/), else the sources (tools/js-lint, for tests and development). */
export function jsLintFile(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.join(here, 'js-lint.mjs'), path.resolve(here, '../../tools/js-lint/index.mjs')].find(
    (c) => existsSync(c),
  );
}

/** What identifies the linters for the result cache: the bundle (or sources) and its lockfile. */
export function jsLintIdentity(): string {
  const file = jsLintFile();
  if (file === undefined) return 'missing';
  const st = statSync(file);
  const lock = path.join(path.dirname(file), 'package-lock.json');
  return `${file}:${st.size}:${st.mtimeMs}${existsSync(lock) ? `:${statSync(lock).mtimeMs}` : ''}`;
}

export function loadJsLint(): Promise<JsLintModule> {
  const found = jsLintFile();
  if (found === undefined)
    return Promise.reject(new Error('the linters’ bundle (dist/js-lint.mjs) is missing'));
  loaded ??= import(pathToFileURL(found).href) as Promise<JsLintModule>;
  return loaded;
}

/** An ESLint or stylelint rule name as a rule id of ours: `promise/always-return` → `promise-always-return`. */
export function linterRuleName(ruleId: string): string {
  return (
    ruleId
      .toLowerCase()
      .replace(/^@/, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'unknown'
  );
}
