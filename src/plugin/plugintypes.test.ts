import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  isValidPluginName,
  PLUGIN_TYPES,
  pluginType,
  splitComponent,
  typeExistsIn,
} from './plugintypes.js';

// Moodle's own metadata, kept beside the repository in shared/ (not shipped, not needed at run time).
const META = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../shared/moodle-metadata',
);
const BRANCH_OF: Record<string, number> = { '4.1': 401, '4.5': 405, '5.0': 500, '5.2': 502 };
const haveMeta = existsSync(META);

describe.skipIf(!haveMeta)(
  'plugin types against Moodle’s components.json (shared/moodle-metadata)',
  () => {
    for (const [folder, branch] of Object.entries(BRANCH_OF)) {
      it(`matches Moodle ${folder}`, () => {
        const json = (f: string): unknown =>
          JSON.parse(readFileSync(path.join(META, folder, f), 'utf8'));
        const components = json('components.json') as { plugintypes: Record<string, string> };
        const subs = json('standard-subplugins.json') as Record<
          string,
          {
            'subplugins.json': {
              plugintypes?: Record<string, string>;
              subplugintypes?: Record<string, string>;
            };
            path: string;
          }
        >;
        const expected = new Map<string, string>();
        for (const [type, p] of Object.entries(components.plugintypes))
          expected.set(type, p.replace(/^public\//, ''));
        for (const s of Object.values(subs)) {
          const base = s.path.replace(/^public\//, '');
          for (const [type, p] of Object.entries(s['subplugins.json'].subplugintypes ?? {}))
            expected.set(type, `${base}/${p}`);
          for (const [type, p] of Object.entries(s['subplugins.json'].plugintypes ?? {}))
            if (!expected.has(type)) expected.set(type, p);
        }
        for (const [type, p] of expected) {
          const info = pluginType(type);
          expect(info?.path, type).toBe(p);
          expect(info && typeExistsIn(info, branch), `${type} exists in ${folder}`).toBe(true);
        }
        for (const info of PLUGIN_TYPES) {
          if (!expected.has(info.type))
            expect(typeExistsIn(info, branch), `${info.type} absent from ${folder}`).toBe(false);
        }
      });
    }
  },
);

if (!haveMeta) {
  it.skip(`plugin types vs Moodle metadata: ${META} not found (shared/ is not beside this checkout)`, () =>
    undefined);
}

describe('frankenstyle names', () => {
  it('splits at the first underscore', () => {
    expect(splitComponent('local_foo_bar')).toEqual({ type: 'local', name: 'foo_bar' });
    expect(splitComponent('Mod_Foo')).toBeUndefined();
    expect(splitComponent('forum')).toBeUndefined();
  });

  it('forbids underscores in activity module names only', () => {
    expect(isValidPluginName('mod', 'foo_bar')).toBe(false);
    expect(isValidPluginName('local', 'foo_bar')).toBe(true);
    expect(isValidPluginName('local', 'foo__bar')).toBe(false);
    expect(isValidPluginName('local', 'foo_')).toBe(false);
  });
});
