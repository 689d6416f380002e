// Test helpers for check families: load a fixture plugin and run one family over it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../core/finding.js';
import { Plugin } from '../plugin/plugin.js';
import { runFamilies } from './run.js';
import type { CheckFamily } from './types.js';

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../fixtures/plugins',
);

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export function loadFixture(name: string): Plugin {
  return Plugin.load(fixture(name));
}

/** Runs one family over a fixture and returns compact `ruleId file:line` strings, sorted. */
export function lint(family: CheckFamily, name: string): string[] {
  return compact(runFamilies([family], loadFixture(name)));
}

export function findingsOf(family: CheckFamily, name: string): Finding[] {
  return runFamilies([family], loadFixture(name));
}

export function compact(findings: readonly Finding[]): string[] {
  return findings
    .map((f) => `${f.ruleId} ${f.file ?? ''}${f.line !== undefined ? `:${f.line}` : ''}`.trim())
    .sort();
}
