import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.js';
import { UserError } from '../core/errors.js';
import { Plugin } from '../plugin/plugin.js';
import { runCheck } from './pipeline.js';
import { incompatibility, loadOldPlugin } from './upgrade-phase.js';

const NEW = path.resolve('fixtures/upgrade/clean/new');
const OLD = path.resolve('fixtures/upgrade/clean/old');

/** A copy of the old fixture with version.php edited. */
function variant(edit: (code: string) => string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mpc-upgphase-'));
  cpSync(OLD, dir, { recursive: true });
  const file = path.join(dir, 'version.php');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

describe('upgrade-path phase inputs', () => {
  it('says why an old version cannot install on a Moodle (requires, incompatible)', () => {
    const dir = variant((c) =>
      c.replace(
        '$plugin->requires = 2024100700;',
        '$plugin->requires = 2022041900;\n$plugin->incompatible = 405;',
      ),
    );
    try {
      const old = Plugin.load(dir);
      expect(incompatibility(old, 2024100707, 405)).toContain(
        'incompatible with Moodle branch 405',
      );
      expect(incompatibility(old, 2024042200, 404)).toBeUndefined();
      const fresh = Plugin.load(NEW);
      expect(incompatibility(fresh, 2024042200, 404)).toContain('requires Moodle 2024100700');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an old version of another component (exit 2), before any Moodle work', async () => {
    const dir = variant((c) => c.replace("'local_upgdemo'", "'local_other'"));
    try {
      expect(() =>
        loadOldPlugin({ kind: 'dir', dir, label: dir, cleanup: () => undefined }, Plugin.load(NEW)),
      ).toThrow(/declares local_other, but the plugin under test is local_upgdemo/);
      await expect(
        runCheck({ pluginDir: NEW, moodle: true, upgradeFrom: dir }),
      ).rejects.toBeInstanceOf(UserError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CLI: bad --upgrade-from exits 2 naming the option and the fix', async () => {
    const r = await runCli('check', NEW, '--no-moodle', '--upgrade-from', '/nonexistent/old.zip');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--upgrade-from /nonexistent/old.zip: no such file');
    const j = await runCli('check', NEW, '--no-moodle', '--format', 'json', '--upgrade-from', OLD);
    expect(JSON.parse(j.out)).toMatchObject({ upgrade: null });
  });

  it('reports the phase as skipped by --no-moodle, with the upgrade field present', async () => {
    const { report } = await runCheck({ pluginDir: NEW, moodle: false, upgradeFrom: OLD });
    // Skipped phases are listed in run order (environment comes last), so find it by name.
    expect(report.phases.find((p) => p.name === 'upgrade-path')).toMatchObject({
      name: 'upgrade-path',
      status: 'skipped',
      detail: 'skipped by --no-moodle',
    });
    expect(report.upgrade).toBeNull();
  });
});
