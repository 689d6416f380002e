import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { listEntries } from './cache.js';
import { importMoodle } from './import.js';
import { checkImported } from './resolve.js';
import { MINI_45, MINI_52, tempDir, writeMiniTree } from '../testing.js';

/** Every path under `dir` with its size and mtime: proof that nothing was written there. */
function snapshot(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort().map((rel) => {
    const st = statSync(path.join(dir, rel));
    return `${rel} ${st.size} ${st.mtimeMs}`;
  });
}

describe('importMoodle', () => {
  it('registers a tree read-only, with its path and fingerprint', async () => {
    const tree = writeMiniTree(tempDir('imp-tree'), MINI_45);
    const root = tempDir('imp-cache');
    const before = snapshot(tree);
    const { meta, replaced } = await importMoodle(tree, root);
    expect(snapshot(tree)).toEqual(before);
    expect(replaced).toBeUndefined();
    expect(meta).toMatchObject({
      id: 'local-4.5.7+',
      release: '4.5.7+ (Build: 20251024)',
      branch: '405',
      version: 2024100707.03,
      layout: 'classic',
      files: 3,
      source: { kind: 'import', path: tree, fingerprint: { files: 3 } },
    });
    expect(listEntries(root).map((e) => e.id)).toEqual(['local-4.5.7+']);
  });

  it('replaces the entry when the same release is imported again', async () => {
    const root = tempDir('imp-cache');
    const first = writeMiniTree(tempDir('imp-tree'), MINI_45);
    const second = writeMiniTree(tempDir('imp-tree'), MINI_45);
    await importMoodle(first, root);
    const again = await importMoodle(second, root);
    expect(again.replaced?.source).toMatchObject({ path: first });
    expect(listEntries(root).map((e) => e.meta?.source)).toMatchObject([{ path: second }]);
  });

  it('keeps one entry per release', async () => {
    const root = tempDir('imp-cache');
    await importMoodle(writeMiniTree(tempDir('imp-tree'), MINI_45), root);
    await importMoodle(writeMiniTree(tempDir('imp-tree'), MINI_52), root);
    expect(listEntries(root).map((e) => `${e.id} ${e.meta?.layout}`)).toEqual([
      'local-4.5.7+ classic',
      'local-5.2.1+ public',
    ]);
  });

  it('refuses a folder that is not Moodle, and writes nothing', async () => {
    const root = tempDir('imp-cache');
    await expect(importMoodle(tempDir('imp-tree'), root)).rejects.toThrow(UserError);
    await expect(importMoodle(tempDir('imp-tree'), root)).rejects.toThrow(/version\.php/);
    expect(listEntries(root)).toEqual([]);
  });
});

describe('checkImported (staleness)', () => {
  it('accepts an unchanged tree', async () => {
    const tree = writeMiniTree(tempDir('imp-tree'), MINI_45);
    const { meta } = await importMoodle(tree, tempDir('imp-cache'));
    expect(checkImported(meta).release).toBe(MINI_45.release);
  });

  it('reports a changed version.php as stale, with the fix', async () => {
    const tree = writeMiniTree(tempDir('imp-tree'), MINI_45);
    const { meta } = await importMoodle(tree, tempDir('imp-cache'));
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(tree, 'version.php'), later, later);
    let err: unknown;
    try {
      checkImported(meta);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/is stale: version\.php changed/);
    expect((err as UserError).hint).toContain(`moodle import ${tree}`);
  });

  it('reports added files as stale', async () => {
    const tree = writeMiniTree(tempDir('imp-tree'), MINI_45);
    const { meta } = await importMoodle(tree, tempDir('imp-cache'));
    writeFileSync(path.join(tree, 'extra.php'), '<?php');
    expect(() => checkImported(meta)).toThrow(/file count 3 → 4/);
  });
});
