// ESLint and stylelint as Moodle's Gruntfile runs them, from our bundle (dist/js-lint.mjs, made
// from tools/js-lint with its own lockfile), loaded only when a phase needs it.
import { existsSync } from 'node:fs';
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

/** The bundle beside this module (dist/), else the sources (tools/js-lint, for tests and development). */
export function loadJsLint(): Promise<JsLintModule> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, 'js-lint.mjs'),
    path.resolve(here, '../../tools/js-lint/index.mjs'),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined)
    return Promise.reject(
      new Error(`the linters' bundle is missing (looked for ${candidates.join(', ')})`),
    );
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
