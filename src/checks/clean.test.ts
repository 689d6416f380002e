import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAMILIES } from './index.js';
import { runFamilies } from './run.js';
import { compact, FIXTURES, loadFixture } from './testing.js';

// Every clean fixture must pass every family: a rule that fires on tidy code is a false positive.
const CLEAN = ['mod_example', ...readdirSync(FIXTURES).filter((d) => d.startsWith('clean-'))];

describe('clean fixtures pass every family', () => {
  it.each(CLEAN)('%s', (name) => {
    expect(compact(runFamilies(FAMILIES, loadFixture(name)))).toEqual([]);
  });
});
