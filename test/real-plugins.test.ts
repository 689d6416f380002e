// Released plugins must not get errors (false positives). Point MPC_REAL_PLUGINS at folders of
// plugin checkouts (colon-separated; each folder holds plugins, or is one); skipped otherwise.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../src/checks/index.js';
import { runFamilies } from '../src/checks/run.js';
import { Plugin } from '../src/plugin/plugin.js';

/** Errors that are real bugs in the released plugin, each checked by hand. */
const KNOWN_REAL_ERRORS: Record<string, string[]> = {
  // Table name of 30 characters: Moodle 4.1 (which it requires) refuses names over 28.
  paygw_stripe: ['db/table-name db/install.xml'],
  // `namespace qformat_wordtable` without a semicolon, after other code.
  qformat_wordtable: ['php/syntax tests/qformat_wordtable_export_test.php'],
};

const roots = (process.env.MPC_REAL_PLUGINS ?? '').split(':').filter(Boolean);
const plugins = roots.flatMap((r) =>
  existsSync(path.join(r, 'version.php'))
    ? [r]
    : existsSync(r)
      ? readdirSync(r)
          .map((d) => path.join(r, d))
          .filter((d) => existsSync(path.join(d, 'version.php')))
      : [],
);

describe.skipIf(plugins.length === 0)('released plugins get no false errors', () => {
  it.each(plugins)('%s', (dir) => {
    const plugin = Plugin.load(dir);
    const errors = runFamilies(FAMILIES, plugin)
      .filter((f) => f.severity === 'error')
      .map((f) => `${f.ruleId} ${f.file ?? ''}`);
    expect(errors).toEqual(KNOWN_REAL_ERRORS[plugin.component ?? ''] ?? []);
  });
});

if (plugins.length === 0) it.skip('released plugins: set MPC_REAL_PLUGINS to run', () => undefined);
