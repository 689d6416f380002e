// The layers of DESIGN.md, enforced: no import cycle anywhere in src/, and every import points down
// the list below (a folder may import itself and anything under it, never above). madge reads the
// TypeScript imports, type-only ones included.
import path from 'node:path';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Top to bottom. The Action and the CLI are peers at the top; report sits on core alone. */
const LAYERS = [
  ['action', 'cli'],
  ['serve'],
  ['pipeline'],
  ['checks'],
  ['style'],
  ['blueprint'],
  ['config'],
  ['phpunit'],
  ['moodle'],
  ['php'],
  ['plugin'],
  ['report'],
  ['core'],
] as const;

const rank = (file: string): number => {
  const top = file.split('/')[0] ?? '';
  const i = LAYERS.findIndex((l) => (l as readonly string[]).includes(top));
  return i < 0 ? LAYERS.length : i;
};

let graph: Record<string, string[]>;
let cycles: string[][];
beforeAll(async () => {
  const result = await madge(path.join(ROOT, 'src'), {
    fileExtensions: ['ts', 'mjs'],
    tsConfig: path.join(ROOT, 'tsconfig.json'),
    // Tests and their helpers may reach across layers to set things up.
    excludeRegExp: [/\.test\.ts$/, /(^|\/)testing\.ts$/, /fake-github\.ts$/],
  });
  graph = result.obj();
  cycles = result.circular();
}, 60_000);

describe('architecture', () => {
  it('has no import cycle', () => {
    expect(cycles).toEqual([]);
  });

  it('imports only downwards through the layers', () => {
    const up: string[] = [];
    for (const [from, tos] of Object.entries(graph))
      for (const to of tos)
        if (!from.startsWith('..') && !to.startsWith('..') && rank(to) < rank(from))
          up.push(`${from} -> ${to}`);
    expect(up).toEqual([]);
  });

  it('sees the whole tree (a broken resolver would find no edges and pass anything)', () => {
    expect(Object.keys(graph).length).toBeGreaterThan(100);
    expect(graph['pipeline/phases/lint.ts']).toContain('checks/run.ts');
  });

  it('keeps @actions/* in src/action and php-wasm in src/php', async () => {
    const { readFileSync } = await import('node:fs');
    const offenders = Object.keys(graph).filter((f) => {
      const text = readFileSync(path.join(ROOT, 'src', f), 'utf8');
      const actions = /from '@actions\//.test(text) && !f.startsWith('action/');
      const phpWasm = /from '@php-wasm\//.test(text) && !f.startsWith('php/');
      return actions || phpWasm;
    });
    expect(offenders).toEqual([]);
  });

  it('keeps files under ~400 lines, or says at the top why not', async () => {
    const { readFileSync } = await import('node:fs');
    const long = Object.keys(graph).filter((f) => {
      if (!/\.(ts|mjs)$/.test(f)) return false;
      const text = readFileSync(path.join(ROOT, 'src', f), 'utf8');
      const head = text.split('\n').slice(0, 5).join('\n');
      return text.split('\n').length > 420 && !/^\/\/ Over 400 lines: \S/m.test(head);
    });
    expect(long).toEqual([]);
  });

  it('below the CLI and the Action, names inputs with input(), never as a flag', async () => {
    const { readFileSync } = await import('node:fs');
    const flag = /['`"][^'`"]*--(moodle|php|offline|no-moodle|upgrade-from|timeout|blueprint)\b/;
    const offenders = Object.keys(graph)
      .filter((f) => /\.(ts|mjs)$/.test(f) && rank(f) > rank('pipeline/x.ts') - 1)
      .flatMap((f) =>
        readFileSync(path.join(ROOT, 'src', f), 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${f}:${i + 1}` }))
          // Comments, rule documentation (which names both) and whole command lines may.
          .filter(
            ({ line }) =>
              flag.test(line) &&
              !/^\s*(\/\/|\*|\/\*)|^\s*(fix|why):|moodle-plugin-check \w/.test(line),
          )
          .map(({ at }) => at),
      );
    expect(offenders).toEqual([]);
  });
});
