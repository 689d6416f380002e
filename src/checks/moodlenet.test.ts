import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Plugin } from '../plugin/plugin.js';
import { runCheck } from '../pipeline/pipeline.js';
import { blankCommentsAndStrings, moodlenetFamily } from './moodlenet.js';
import { runFamilies } from './run.js';
import { compact } from './testing.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../fixtures/moodlenet');
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function pkg(files: Record<string, string>): Plugin {
  const root = mkdtempSync(path.join(tmpdir(), 'mpc-mnet-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return Plugin.load(root);
}

const manifest = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    name: 'x',
    type: 'module',
    exports: { '.': './main.mjs' },
    peerDependencies: { '@moodlenet/core': '^0.2.0' },
    ...extra,
  });
const GOOD_MAIN =
  "import { connectPkg } from '@moodlenet/core'\nawait connectPkg(import.meta, {})\n";

describe('moodlenet/*', () => {
  it('a package as the developer guide writes it has no finding', () => {
    expect(
      compact(runFamilies([moodlenetFamily], Plugin.load(path.join(FIXTURES, 'good')))),
    ).toEqual([]);
  });

  it('trips every rule on the bad fixture, at its line', () => {
    expect(
      compact(runFamilies([moodlenetFamily], Plugin.load(path.join(FIXTURES, 'bad')))),
    ).toEqual([
      'moodlenet/api-without-validation src/server/main.js:4',
      'moodlenet/core-not-peer package.json:7',
      'moodlenet/main-not-esm src/server/main.js:1',
      'moodlenet/no-connection src/server/main.js:7',
      'moodlenet/not-esm package.json',
      'moodlenet/peer-range package.json:10',
    ]);
  });

  it('exports["."] must name a file of the package; conditional exports count', () => {
    const lintOf = (files: Record<string, string>) =>
      compact(runFamilies([moodlenetFamily], pkg(files)));
    expect(lintOf({ 'package.json': manifest({ exports: { '.': './nope.mjs' } }) })).toEqual([
      'moodlenet/main-missing package.json:1',
    ]);
    expect(lintOf({ 'package.json': manifest({ exports: { '.': '../outside.mjs' } }) })).toEqual([
      'moodlenet/main-missing package.json:1',
    ]);
    expect(lintOf({ 'package.json': manifest({ exports: undefined }) })).toEqual([
      'moodlenet/no-main-export package.json:1',
    ]);
    expect(
      lintOf({
        'package.json': manifest({ exports: { '.': { import: './main.mjs' } } }),
        'main.mjs': GOOD_MAIN,
      }),
    ).toEqual([]);
    expect(lintOf({ 'package.json': '{"peerDependencies": {"@moodlenet/core": ' })).toEqual([
      'moodlenet/package-json-invalid package.json',
    ]);
  });

  it('calls in comments and strings do not count; a real validation argument does', () => {
    const lintOf = (main: string) =>
      compact(
        runFamilies([moodlenetFamily], pkg({ 'package.json': manifest(), 'main.mjs': main })),
      );
    expect(
      lintOf("// connectPkg(import.meta, {})\nconst s = 'connectPkg(import.meta)'\nexport {}\n"),
    ).toEqual(['moodlenet/no-connection main.mjs']);
    expect(
      lintOf(
        `${GOOD_MAIN}const a = defApi(ctx => async (x = fn(1, 2)) => [x, 'a,b'], ) // one argument\n`,
      ),
    ).toEqual(['moodlenet/api-without-validation main.mjs:3']);
    expect(lintOf(`${GOOD_MAIN}const a = defApi(ctx => async () => 1, () => true)\n`)).toEqual([]);
    expect(blankCommentsAndStrings("a('x,y') /* b */ `c`")).toBe(
      "a('   ')         `c`".replace('c', ' '),
    );
  });

  it('check detects the kind: MoodleNet rules only, the Moodle phases skipped with the reason', async () => {
    const { report } = await runCheck({
      pluginDir: path.join(FIXTURES, 'bad'),
      moodle: true,
      moodleOptions: { offline: true, timeoutMs: 60_000 },
    });
    expect(new Set(report.findings.map((f) => f.ruleId.split('/')[0]))).toEqual(
      new Set(['moodlenet']),
    );
    expect(report.phases.find((p) => p.name === 'install')?.detail).toBe(
      'skipped: a MoodleNet package (package.json with @moodlenet/core), not a Moodle plugin',
    );
  });
});
