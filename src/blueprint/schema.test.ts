// The JSON Schema (what `blueprint validate` and editors check) and the step handlers (what runs)
// cannot disagree: the same steps, each with its definition, and every field that names a site
// path judged before anything runs.
import { describe, expect, it } from 'vitest';
import schema from '../../blueprints/blueprint-schema.json' with { type: 'json' };
import { STEP_NAMES } from './parse.js';
import { FILE_STEP_PATHS } from './steps/files.js';
import { STEP_HANDLERS } from './steps/index.js';

type Definition = { properties?: Record<string, { const?: string; type?: string }> };
const definitions = schema.definitions as unknown as Record<string, Definition>;
/** Field names that hold a path in the site in every step that has them. */
const PATH_FIELDS = new Set(['path', 'from', 'to', 'destination']);
/** Fields of those names that are URLs in the site, not files: no filesystem access. */
const URL_FIELDS: Record<string, string[]> = { setLandingPage: ['path'] };

describe('blueprint schema and step handlers', () => {
  it('know the same steps', () => {
    expect([...STEP_NAMES].sort()).toEqual(Object.keys(STEP_HANDLERS).sort());
  });

  it('have a definition per step, naming its step', () => {
    for (const name of STEP_NAMES)
      expect(definitions[`step_${name}`]?.properties?.step?.const, name).toBe(name);
  });

  it('judge every path field of every step before it runs', () => {
    for (const name of STEP_NAMES) {
      const fields = Object.keys(definitions[`step_${name}`]?.properties ?? {});
      const paths = fields
        .filter((f) => PATH_FIELDS.has(f) && !URL_FIELDS[name]?.includes(f))
        .sort();
      // A step whose schema has a path field but is not in FILE_STEP_PATHS would escape the check.
      if (paths.length > 0) expect([...(FILE_STEP_PATHS[name] ?? [])].sort(), name).toEqual(paths);
    }
    for (const [name, keys] of Object.entries(FILE_STEP_PATHS))
      for (const key of keys)
        expect(definitions[`step_${name}`]?.properties?.[key], `${name}.${key}`).toBeDefined();
  });
});
