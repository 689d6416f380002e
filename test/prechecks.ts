// Helpers of the prechecker families' tests: a static check with the families on, and its
// findings of one family as `severity file:line rule` lines.
import path from 'node:path';
import { runCheck } from '../src/pipeline/pipeline.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');

export async function runFamily(dir: string, phaseName: string, family: string) {
  const { report } = await runCheck({
    pluginDir: dir,
    moodle: false,
    moodleOptions: { offline: true, timeoutMs: 120_000 },
    prechecks: true,
  });
  const phase = report.phases.find((p) => p.name === phaseName);
  const found = report.findings
    .filter((f) => f.ruleId.startsWith(`${family}/`))
    .map((f) => `${f.severity} ${f.file}:${f.line ?? ''} ${f.ruleId}`)
    .sort();
  return { report, phase, found };
}

export const runPhpdoc = (dir: string) => runFamily(dir, 'phpdoc', 'phpdoc');
