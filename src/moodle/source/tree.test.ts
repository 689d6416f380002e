import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { MINI_45, MINI_52, tempDir, writeMiniTree } from '../testing.js';
import { branchLabel, parseCoreVersion, readMoodleTree, releaseLabel } from './tree.js';

describe('readMoodleTree', () => {
  it('reads a classic tree, and a stray config.php does not matter', () => {
    const dir = writeMiniTree(tempDir('tree'), MINI_45);
    writeFileSync(path.join(dir, 'config.php'), "<?php $CFG->dbtype = 'mysqli';\n");
    const t = readMoodleTree(dir);
    expect(t).toMatchObject({
      root: dir,
      layout: 'classic',
      webRoot: dir,
      versionFile: path.join(dir, 'version.php'),
      componentsJson: path.join(dir, 'lib', 'components.json'),
      version: 2024100707.03,
      release: '4.5.7+ (Build: 20251024)',
      branch: '405',
    });
  });

  it('reads a 5.2 public/ tree with lib/components.json at the root', () => {
    const dir = writeMiniTree(tempDir('tree'), MINI_52);
    const t = readMoodleTree(dir);
    expect(t.layout).toBe('public');
    expect(t.webRoot).toBe(path.join(dir, 'public'));
    expect(t.versionFile).toBe(path.join(dir, 'public', 'version.php'));
    expect(t.componentsJson).toBe(path.join(dir, 'lib', 'components.json'));
  });

  it('finds components.json under public/lib when it is not at the root', () => {
    const dir = writeMiniTree(tempDir('tree'), { ...MINI_52, componentsUnderPublic: true });
    expect(readMoodleTree(dir).componentsJson).toBe(
      path.join(dir, 'public', 'lib', 'components.json'),
    );
  });

  it('rejects a folder that is not Moodle, naming the missing file', () => {
    const empty = tempDir('tree');
    expect(() => readMoodleTree(empty)).toThrow(UserError);
    expect(() => readMoodleTree(empty)).toThrow(/version\.php: missing/);

    const noComponents = tempDir('tree');
    writeFileSync(
      path.join(noComponents, 'version.php'),
      "<?php $version = 1; $release = '4.5'; $branch = '405';",
    );
    expect(() => readMoodleTree(noComponents)).toThrow(/lib\/components\.json: missing/);

    expect(() => readMoodleTree(path.join(empty, 'nope'))).toThrow(/no such directory/);
  });

  it('rejects a plugin folder: its version.php has no $release', () => {
    const dir = tempDir('tree');
    mkdirSync(path.join(dir, 'lib'));
    writeFileSync(path.join(dir, 'lib', 'components.json'), '{}');
    writeFileSync(
      path.join(dir, 'version.php'),
      "<?php\n$plugin->version = 2024010100;\n$plugin->component = 'local_x';\n",
    );
    expect(() => readMoodleTree(dir)).toThrow(/no \$version, \$release, \$branch/);
  });

  it('reports a syntax error in version.php with its line', () => {
    expect(() => parseCoreVersion('<?php\n$version = ;\n', '/m/version.php')).toThrow(
      /\/m\/version\.php:2: cannot parse it/,
    );
  });
});

describe('labels', () => {
  it('names the point release of a $release', () => {
    expect(releaseLabel('4.5.7+ (Build: 20251024)')).toBe('4.5.7+');
    expect(releaseLabel('4.1.20 (Build: 20250811)')).toBe('4.1.20');
    expect(releaseLabel('5.0 (Build: 20250414)')).toBe('5.0.0');
    expect(releaseLabel('5.1dev (Build: 20250601)')).toBe('5.1dev');
    expect(releaseLabel('5.0+ (Build: 20250501)')).toBe('5.0.0+');
  });

  it('turns $branch into a branch name', () => {
    expect(branchLabel('405')).toBe('4.5');
    expect(branchLabel('500')).toBe('5.0');
    expect(branchLabel('39')).toBe('3.9');
    expect(branchLabel('311')).toBe('3.11');
  });
});

// The real trees on this machine, when present: layout and version facts only (fast).
const REAL: [string, string, 'classic' | 'public', string][] = [
  ['4.1', '401', 'classic', '4.1.20'],
  ['4.5', '405', 'classic', '4.5.7+'],
  ['5.0', '500', 'classic', '5.0.0'],
  ['5.2', '502', 'public', '5.2.1+'],
];
describe.each(REAL)('the Moodle %s source tree', (name, branch, layout, label) => {
  const dir = `/work/moodle-src/${name}`;
  it.skipIf(!existsSync(dir))(`reads as ${layout}, branch ${branch}`, () => {
    const t = readMoodleTree(dir);
    expect(t.layout).toBe(layout);
    expect(t.branch).toBe(branch);
    expect(releaseLabel(t.release)).toBe(label);
    expect(existsSync(t.componentsJson)).toBe(true);
  });
});
