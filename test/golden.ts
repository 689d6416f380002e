// Golden reports: the JSON report of a fixture, with what legitimately changes from run to run
// taken out (timings, where the plugin, the Moodle tree and temp folders sit on this machine, and
// whether the site was installed now or restored from the cache). Issue 12 reshapes the pipeline
// without changing what the tool reports; these files prove it.
import path from 'node:path';
import { tmpdir } from 'node:os';
import { expect } from 'vitest';
import type { CheckReport } from '../src/report/model.js';
import { toJson } from '../src/report/json.js';

export const GOLDEN = path.resolve(import.meta.dirname, 'golden');

const TIMING_KEYS = new Set(['durationMs', 'seconds', 'ms', 'totalMs', 'bootMs']);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The report as a stable string: timings and machine paths replaced by placeholders. */
export function normalizeReport(
  report: CheckReport,
  places: { plugin?: string; moodle?: string } = {},
): string {
  const replacements: [RegExp, string][] = [];
  if (places.plugin) replacements.push([new RegExp(escape(places.plugin), 'g'), '<plugin>']);
  if (places.moodle) replacements.push([new RegExp(escape(places.moodle), 'g'), '<moodle>']);
  replacements.push(
    [new RegExp(`${escape(tmpdir())}/mpc-[A-Za-z-]+[A-Za-z0-9]{6}`, 'g'), '<tmp>'],
    [/installed in \d+ s and cached|installed site restored from the cache/g, '<provisioned>'],
    [/\b\d+ rules over\b/g, '<n> rules over'],
    [/\b\d+(\.\d+)? ?(ms|s)\b/g, '<t>'],
  );
  const text = JSON.stringify(
    toJson(report),
    (key, value: unknown) => (TIMING_KEYS.has(key) && typeof value === 'number' ? 0 : value),
    2,
  );
  return replacements.reduce((t, [re, to]) => t.replace(re, to), text) + '\n';
}

export async function expectGolden(
  report: CheckReport,
  name: string,
  places: { plugin?: string; moodle?: string } = {},
): Promise<void> {
  await expect(normalizeReport(report, places)).toMatchFileSnapshot(
    path.join(GOLDEN, `${name}.json`),
  );
}
