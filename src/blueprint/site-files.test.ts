// SiteFiles on real folders with the links a hostile checkout or PHP step can leave: every read
// and write that would leave its root through a link is refused, and nothing outside is touched.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { runBlueprint } from './executor.js';
import { loadBlueprint } from './parse.js';
import type { BlueprintSite } from './site-api.js';
import { SiteFiles } from './site-files.js';

const FIXTURE_BLUEPRINTS = path.resolve(import.meta.dirname, '../../fixtures/hostile/blueprints');

let dir: string;
let files: SiteFiles;
let secret: string;
const PLUGIN = '/www/moodle/local/hostileleak';

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mpc-site-files-'));
  secret = path.join(dir, 'secret.txt');
  writeFileSync(secret, 'canary');
  const tree = path.join(dir, 'tree');
  mkdirSync(path.join(tree, 'local'), { recursive: true });
  writeFileSync(path.join(tree, 'version.php'), '<?php');
  const plugin = path.join(dir, 'plugin');
  mkdirSync(path.join(plugin, 'classes'), { recursive: true });
  writeFileSync(path.join(plugin, 'version.php'), '<?php');
  symlinkSync('/proc/self/environ', path.join(plugin, 'leak-env'));
  symlinkSync(secret, path.join(plugin, 'leak-file'));
  symlinkSync('/', path.join(plugin, 'leak-root'));
  symlinkSync(secret, path.join(plugin, 'classes', 'leak.php'));
  symlinkSync('version.php', path.join(plugin, 'inside'));
  const persist = path.join(dir, 'persist');
  mkdirSync(persist);
  // What a PHP step's symlink() leaves in the writable mount.
  symlinkSync(dir, path.join(persist, 'up'));
  symlinkSync('../../../..', path.join(persist, 'rel'));
  files = new SiteFiles({
    treeRoot: tree,
    persistDir: persist,
    layerDir: path.join(dir, 'layer'),
    mounts: () => [{ hostPath: plugin, vfsPath: PLUGIN, readOnly: true }],
    inject: () => () => undefined,
  });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const refused = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('not refused');
};

describe('SiteFiles confinement', () => {
  it.each([
    [`${PLUGIN}/leak-env`],
    [`${PLUGIN}/leak-file`],
    [`${PLUGIN}/leak-root/etc/passwd`],
    [`${PLUGIN}/classes/leak.php`],
    ['/persist/up/secret.txt'],
    ['/persist/rel/etc/passwd'],
  ])('refuses to read %s', (vfs) => {
    expect(refused(() => files.read(vfs, 'f'))).toMatch(
      /leads outside the site through a symbolic link/,
    );
    expect(files.exists(vfs)).toBe(false);
  });

  it('reads what stays inside, links included', () => {
    expect(new TextDecoder().decode(files.read(`${PLUGIN}/inside`, 'f'))).toBe('<?php');
    expect(new TextDecoder().decode(files.read('/www/moodle/version.php', 'f'))).toBe('<?php');
  });

  it('refuses to copy or unzip from a link out, and to write through one', () => {
    expect(
      refused(() => {
        files.copy(`${PLUGIN}/leak-file`, '/persist/copied', 'f');
      }),
    ).toMatch(/leads outside/);
    expect(
      refused(() => {
        files.copy(`${PLUGIN}/leak-root/etc`, '/www/moodle/etc', 'f');
      }),
    ).toMatch(/leads outside/);
    expect(
      refused(() => {
        files.write('/persist/up/planted', new Uint8Array(1), 'f');
      }),
    ).toMatch(/leads outside/);
    expect(
      refused(() => {
        files.mkdir('/persist/rel/tmp/planted', 'f');
      }),
    ).toMatch(/leads outside/);
    expect(existsSync(path.join(dir, 'planted'))).toBe(false);
    expect(existsSync('/tmp/planted')).toBe(false);
    expect(existsSync(path.join(dir, 'persist', 'copied'))).toBe(false);
  });

  it('refuses to move or overwrite the plugin under test', () => {
    expect(
      refused(() => {
        files.move(`${PLUGIN}/leak-env`, '/persist/moved', 'f');
      }),
    ).toMatch(/provided by moodle-plugin-check/);
    expect(
      refused(() => {
        files.write(`${PLUGIN}/evil.php`, new Uint8Array(1), 'f');
      }),
    ).toMatch(/provided by moodle-plugin-check/);
  });
});

/** The hostile fixture blueprints whose harm is in the filesystem steps, run on real SiteFiles. */
describe('hostile fixture blueprints on real SiteFiles', () => {
  const noPhp = (): never => {
    throw new Error('no PHP in this test');
  };
  const site = (): BlueprintSite => ({
    webRoot: '/www/moodle',
    branch: 405,
    files,
    runOps: noPhp,
    runPhp: noPhp,
    request: noPhp,
    upgrade: noPhp,
  });
  it.each([
    ['vfs-plugin-link', /leak-env: leads outside the site through a symbolic link/],
    ['copy-plugin-link', /leak-file: leads outside the site through a symbolic link/],
    ['copy-plugin-root-link', /leak-root\/etc\/passwd: leads outside the site/],
    ['unzip-plugin-link', /classes\/leak\.php: leads outside the site/],
    ['move-plugin-link', /provided by moodle-plugin-check .* cannot be changed by a blueprint/],
    ['write-into-plugin', /provided by moodle-plugin-check .* cannot be changed by a blueprint/],
  ])('%s fails at its step with the reason, and writes nothing', async (name, reason) => {
    const loaded = await loadBlueprint(path.join(FIXTURE_BLUEPRINTS, `${name}.json`));
    const r = await runBlueprint(loaded, site());
    expect(r.steps[0]?.status).toBe('failed');
    expect(r.steps[0]?.error).toMatch(reason);
    expect(r.steps[0]?.error).not.toContain('canary');
    expect(readdirSync(path.join(dir, 'persist')).sort()).toEqual(['rel', 'up']);
    expect(existsSync(path.join(dir, 'layer'))).toBe(false);
  });
});
