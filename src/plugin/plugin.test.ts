import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Plugin } from './plugin.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mpc-plugin-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const version = (component: string, extra = '') =>
  `<?php\n$plugin->component = '${component}';\n$plugin->version = 2026010100;\n${extra}`;

describe('Plugin.load', () => {
  it('reads the component and the install path of the type', () => {
    const p = Plugin.load(tree({ 'version.php': version('block_foo') }));
    expect([p.component, p.type, p.name, p.typeInfo?.path]).toEqual([
      'block_foo',
      'block',
      'foo',
      'blocks',
    ]);
  });

  it('finds subplugins from db/subplugins.json and keeps their files to themselves', () => {
    const p = Plugin.load(
      tree({
        'version.php': version('mod_foo'),
        'db/subplugins.json': JSON.stringify({ subplugintypes: { fooreport: 'report' } }),
        'report/bar/version.php': version('fooreport_bar'),
        'report/bar/lib.php': '<?php',
        'report/README.txt': 'not a subplugin',
      }),
    );
    expect(p.subplugins.map((s) => [s.component, s.prefix, s.typeInfo?.path])).toEqual([
      ['fooreport_bar', 'report/bar/', 'mod/foo/report'],
    ]);
    expect(p.files).toContain('report/README.txt');
    expect(p.files).not.toContain('report/bar/lib.php');
    expect(p.subplugins[0]?.files).toEqual(['lib.php', 'version.php']);
  });

  it('reads legacy plugintypes paths relative to the Moodle root', () => {
    const p = Plugin.load(
      tree({
        'version.php': version('mod_foo'),
        'db/subplugins.json': JSON.stringify({ plugintypes: { fooreport: 'mod/foo/report' } }),
        'report/bar/version.php': version('fooreport_bar'),
      }),
    );
    expect(p.subplugins.map((s) => s.component)).toEqual(['fooreport_bar']);
  });

  it('leaves third-party locations, dot-folders and symlinks out of the linted files', () => {
    const root = tree({
      'version.php': version('local_foo'),
      'thirdpartylibs.xml':
        '<libraries><library><location>vendor/lib</location><name>x</name></library></libraries>',
      'vendor/lib/a.php': '<?php',
      'classes/a.php': '<?php',
      '.git/config': '',
    });
    symlinkSync('/etc/passwd', path.join(root, 'passwd.php'));
    const p = Plugin.load(root);
    expect(p.files).toEqual(['classes/a.php', 'thirdpartylibs.xml', 'version.php']);
    expect(p.allFiles).toContain('vendor/lib/a.php');
    expect(p.hasDir('vendor/lib')).toBe(true);
  });

  it('derives target branches from supported, else requires, capped by incompatible', () => {
    const branches = (extra: string) =>
      Plugin.load(tree({ 'version.php': version('local_foo', extra) }))
        .targetBranches()
        .map((b) => b.branch);
    expect(branches('$plugin->supported = [401, 405];')).toEqual([401, 402, 403, 404, 405]);
    expect(branches('$plugin->requires = 2024100700;')).toEqual([405, 500, 501, 502, 503]);
    expect(branches('$plugin->requires = 2024100700; $plugin->incompatible = 501;')).toEqual([
      405, 500,
    ]);
    const p = Plugin.load(
      tree({ 'version.php': version('local_foo', '$plugin->supported = [401, 405];') }),
    );
    expect(p.phpRange()).toEqual({ min: '7.4', max: '8.3' });
  });
});
