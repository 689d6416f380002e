// Golden reports: the JSON report of a fixture, with what legitimately changes from run to run
// taken out (timings, where the plugin, the Moodle tree and temp folders sit on this machine, and
// whether the site was installed now or restored from the cache). Issue 12 reshapes the pipeline
// without changing what the tool reports; these files prove it.
import path from 'node:path';
import { tmpdir } from 'node:os';
import { expect } from 'vitest';
import type { CheckReport } from '../src/report/model.js';
import { toJson } from '../src/report/json.js';
import { entryTreeDir, listEntries } from '../src/moodle/source/cache.js';
import { cacheRoot } from '../src/moodle/source/cache-dir.js';

export const GOLDEN = path.resolve(import.meta.dirname, 'golden');

const TIMING_KEYS = new Set(['durationMs', 'seconds', 'ms', 'totalMs', 'bootMs']);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The report as a stable string: timings and machine paths replaced by placeholders. */
export function normalizeReport(
  report: CheckReport,
  places: { plugin?: string | undefined; moodle?: string | undefined } = {},
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
  const json = toJson(report) as {
    moodle?: { adjustments?: { detail: string }[]; phpWasm?: { build: string } } | null;
  };
  // jspi where Node has it, asyncify with MPC_PHP_WASM_BUILD: the same report either way.
  if (json.moodle?.phpWasm) json.moodle.phpWasm.build = '<build>';
  // Only a cold run installs the site, and says how install_database.php built its theme.
  if (json.moodle?.adjustments)
    json.moodle.adjustments = json.moodle.adjustments.filter(
      (a) => !a.detail.startsWith('admin/cli/install_database.php '),
    );
  const text = JSON.stringify(
    json,
    (key, value: unknown) => {
      if (!TIMING_KEYS.has(key)) return value;
      if (typeof value === 'number') return 0;
      // The upgrade's { oldInstall, upgrade } times.
      if (value && typeof value === 'object')
        return Object.fromEntries(Object.keys(value).map((k) => [k, 0]));
      return value;
    },
    2,
  );
  // The version check compares with today's date.
  const dated = text.replace(/after today \(\d{4}-\d{2}-\d{2}\)/g, 'after today (<today>)');
  return replacements.reduce((t, [re, to]) => t.replace(re, to), dated) + '\n';
}

/** The folder of the registered tree of a branch, for normalizeReport's `moodle`. */
export function treeOf(branch: string): string | undefined {
  const meta = listEntries(cacheRoot()).find((e) => e.meta?.branch === branch)?.meta;
  return meta ? entryTreeDir(cacheRoot(), meta) : undefined;
}

export async function expectGolden(
  report: CheckReport,
  name: string,
  places: { plugin?: string | undefined; moodle?: string | undefined } = {},
): Promise<void> {
  await expect(normalizeReport(report, places)).toMatchFileSnapshot(
    path.join(GOLDEN, `${name}.json`),
  );
}
