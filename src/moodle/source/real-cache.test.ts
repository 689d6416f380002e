// Against the user's own cache: runs when a real Moodle 4.5 tree is registered there
// (e.g. after `moodle-plugin-check moodle import /work/moodle-src/4.5`), else shows as skipped.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cacheRoot } from './cache-dir.js';
import { listEntries } from './cache.js';
import { resolveMoodle } from './resolve.js';

const root = cacheRoot();
const has45 = listEntries(root).some((e) => e.meta?.branch === '405');

describe.skipIf(!has45)('the registered Moodle 4.5 tree', () => {
  it('resolves offline and its components.json lists the plugin types', async () => {
    const r = await resolveMoodle({ spec: '4.5', offline: true, cacheRoot: root });
    expect(r.tree.branch).toBe('405');
    expect(r.note).toContain('Offline: using Moodle 4.5');
    const components = JSON.parse(readFileSync(r.tree.componentsJson, 'utf8')) as {
      plugintypes?: Record<string, string>;
    };
    expect(components.plugintypes).toMatchObject({ mod: 'mod', local: 'local' });
  });
});

// Shown as skipped, with the reason, instead of passing without checking anything.
if (!has45)
  it.skip(`real cache: no Moodle 4.5 registered in ${root} (run \`moodle-plugin-check moodle import <dir>\`)`, () =>
    undefined);
