// The static report of every fixture plugin, against its golden file (test/golden/static/). A
// change to what a check reports shows up here as a diff to review; `vitest -u` accepts it.
import { readdirSync } from 'node:fs';
import { describe, it } from 'vitest';
import { FIXTURES, fixture } from '../src/checks/testing.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { expectGolden } from './golden.js';

describe('golden static reports', () => {
  for (const name of readdirSync(FIXTURES).sort()) {
    it(name, async () => {
      const { report } = await runCheck({ pluginDir: fixture(name), moodle: false });
      await expectGolden(report, `static/${name}`, { plugin: fixture(name) });
    });
  }
});
