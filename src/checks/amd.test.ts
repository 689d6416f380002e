import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Plugin } from '../plugin/plugin.js';
import { amdFamily, buildPathOf } from './amd.js';
import { compact } from './testing.js';
import type { Finding } from './types.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A local plugin with these files (path → content). */
function plugin(files: Record<string, string>): Plugin {
  const root = mkdtempSync(path.join(tmpdir(), 'mpc-amd-'));
  roots.push(root);
  const all = {
    'version.php': "<?php\n$plugin->component = 'local_amdtest';\n$plugin->version = 2026010100;\n",
    ...files,
  };
  for (const [rel, text] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return Plugin.load(root);
}

function lintPlugin(p: Plugin): string[] {
  const found: Finding[] = [];
  amdFamily.run({
    plugin: p,
    report: (ruleId, where, message) => {
      found.push({ ruleId, severity: 'error', message, ...where });
    },
  });
  return compact(found);
}

const map = (source: string): string =>
  JSON.stringify({
    version: 3,
    file: 'x.min.js',
    sources: ['../src/x.js'],
    sourcesContent: [source],
    mappings: '',
  });

describe('amd family', () => {
  it('maps sources to builds, folders included', () => {
    expect(buildPathOf('amd/src/x.js')).toBe('amd/build/x.min.js');
    expect(buildPathOf('amd/src/local/y.js')).toBe('amd/build/local/y.min.js');
  });

  it('passes builds whose map holds the current source, CRLF checkouts included', () => {
    const src = 'export const a = 1;\nexport const b = 2;\n';
    expect(
      lintPlugin(
        plugin({
          'amd/src/x.js': src.replace(/\n/g, '\r\n'),
          'amd/build/x.min.js': 'define("local_amdtest/x",[],function(){});',
          'amd/build/x.min.js.map': map(src),
        }),
      ),
    ).toEqual([]);
  });

  it('finds a missing build, a stale one at its first changed line, an orphan, and an unreadable map', () => {
    expect(
      lintPlugin(
        plugin({
          'amd/src/missing.js': 'x',
          'amd/src/stale.js': 'line 1\nline 2 changed\nline 3\n',
          'amd/build/stale.min.js': 'define()',
          'amd/build/stale.min.js.map': map('line 1\nline 2\nline 3\n'),
          'amd/src/nomap.js': 'y',
          'amd/build/nomap.min.js': 'define()',
          'amd/build/gone.min.js': 'define()',
        }),
      ),
    ).toEqual([
      'amd/build-missing amd/src/missing.js',
      'amd/build-orphan amd/build/gone.min.js',
      'amd/build-stale amd/src/stale.js:2',
      'amd/not-checked amd/build/nomap.min.js',
    ]);
  });

  it('leaves third-party code alone', () => {
    expect(
      lintPlugin(
        plugin({
          'thirdpartylibs.xml':
            '<?xml version="1.0"?>\n<libraries><library><location>amd/src/vendor.js</location><name>v</name><version>1</version><license>MIT</license></library></libraries>\n',
          'amd/src/vendor.js': 'z',
          'amd/build/vendor.min.js': 'define()',
        }),
      ),
    ).toEqual([]);
  });
});
