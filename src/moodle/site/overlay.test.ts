import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { overlayMounts } from './overlay.js';

function tree(files: string[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mpc-overlay-'));
  for (const f of files) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), '');
  }
  return root;
}

describe('overlayMounts', () => {
  it('opens only the folders on the way to an injection and mounts everything else read-only', () => {
    const root = tree([
      'index.php',
      'version.php',
      'lib/setup.php',
      'lib/dml/moodle_database.php',
      'lib/ddl/x.php',
      'mod/forum/version.php',
      'admin/environment.xml',
      'admin/cli/upgrade.php',
    ]);
    const mounts = overlayMounts(root, '/www/moodle', [
      { rel: 'config.php', hostPath: '/run/config.php' },
      { rel: 'lib/dml/sqlite3_pdo_moodle_database.php', hostPath: '/ours/driver.php' },
      { rel: 'admin/environment.xml', hostPath: '/run/environment.xml' },
      { rel: 'mod/board', hostPath: '/plugin' },
    ]);
    const shown = mounts.map(
      (m) => `${m.vfsPath} <- ${m.hostPath.replace(root, '<tree>')}${m.readOnly ? '' : ' (rw)'}`,
    );
    expect(shown).toEqual([
      '/www/moodle/index.php <- <tree>/index.php',
      '/www/moodle/version.php <- <tree>/version.php',
      '/www/moodle/admin/cli <- <tree>/admin/cli',
      '/www/moodle/lib/ddl <- <tree>/lib/ddl',
      '/www/moodle/lib/setup.php <- <tree>/lib/setup.php',
      '/www/moodle/lib/dml/moodle_database.php <- <tree>/lib/dml/moodle_database.php',
      '/www/moodle/mod/forum <- <tree>/mod/forum',
      '/www/moodle/admin/environment.xml <- /run/environment.xml',
      '/www/moodle/config.php <- /run/config.php',
      '/www/moodle/lib/dml/sqlite3_pdo_moodle_database.php <- /ours/driver.php',
      '/www/moodle/mod/board <- /plugin',
    ]);
    // No mount point sits inside a folder mounted from the tree (it would be created there).
    const treeFolders = mounts.filter(
      (m) =>
        m.hostPath.startsWith(root) && !m.hostPath.endsWith('.php') && !m.hostPath.endsWith('.xml'),
    );
    for (const m of mounts) {
      for (const f of treeFolders)
        expect(m.vfsPath.startsWith(`${f.vfsPath}/`), `${m.vfsPath} in ${f.vfsPath}`).toBe(false);
    }
    expect(mounts.every((m) => m.readOnly)).toBe(true);
  });

  it('refuses injections that escape the tree', () => {
    expect(() =>
      overlayMounts(tree(['a.php']), '/www/moodle', [{ rel: '../etc/passwd', hostPath: '/x' }]),
    ).toThrow(/escapes/);
  });
});
