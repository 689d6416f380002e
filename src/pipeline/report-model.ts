import type { Finding } from '../core/finding.js';

export type PhaseStatus = 'passed' | 'failed' | 'skipped';

export interface PhaseResult {
  name: string;
  status: PhaseStatus;
  durationMs: number;
  /** Why it was skipped or failed, or what it did. */
  detail?: string;
}

export interface PluginSummary {
  component: string | null;
  type: string | null;
  name: string | null;
  version: number | null;
  release: string | null;
  requires: number | null;
  supported: [number, number] | null;
  maturity: string | null;
  /** Install path inside a (classic-layout) Moodle tree, e.g. `mod/board`. */
  path: string | null;
}

export interface MoodleSummary {
  release: string;
  branch: string;
  version: string;
  layout: 'classic' | 'public';
  php: string;
  source: string;
  /** Everything changed to make Moodle run in php-wasm on SQLite (never hidden). */
  adjustments: { rule: string; moodle?: string; detail: string }[];
}

/** The JSON contract (docs/json-report.md). Additive changes only. */
export interface CheckReport {
  tool: { name: string; version: string };
  plugin: PluginSummary;
  moodle: MoodleSummary | null;
  phases: PhaseResult[];
  findings: Finding[];
  summary: { errors: number; warnings: number; notices: number };
}

export function summarize(findings: readonly Finding[]): CheckReport['summary'] {
  const s = { errors: 0, warnings: 0, notices: 0 };
  for (const f of findings) {
    if (f.severity === 'error') s.errors++;
    else if (f.severity === 'warning') s.warnings++;
    else s.notices++;
  }
  return s;
}

/**
 * Runs one phase: appends it to `phases`, times it, and marks it failed (with the error as its
 * detail) when it throws. The callback may refine status and detail through `phase`.
 */
export async function timed<T>(
  phases: PhaseResult[],
  name: string,
  fn: (phase: PhaseResult) => T | Promise<T>,
): Promise<T> {
  const phase: PhaseResult = { name, status: 'passed', durationMs: 0 };
  phases.push(phase);
  const start = performance.now();
  try {
    return await fn(phase);
  } catch (e) {
    phase.status = 'failed';
    phase.detail = (e as Error).message;
    throw e;
  } finally {
    phase.durationMs = Math.round(performance.now() - start);
  }
}
