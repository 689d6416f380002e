import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MINI_45, MINI_52, tempDir, writeMiniTree } from '../moodle/testing.js';
import { runCli as run } from './testing.js';

let saved: string | undefined;
let cache = '';
beforeEach(() => {
  saved = process.env.MPC_CACHE_DIR;
  cache = tempDir('cli-cache');
  process.env.MPC_CACHE_DIR = cache;
});
afterEach(() => {
  if (saved === undefined) delete process.env.MPC_CACHE_DIR;
  else process.env.MPC_CACHE_DIR = saved;
});

describe('moodle import / list / remove', () => {
  it('imports, lists and removes trees', async () => {
    const t45 = writeMiniTree(tempDir('cli-tree'), MINI_45);
    const t52 = writeMiniTree(tempDir('cli-tree'), MINI_52);
    const imported = await run('moodle', 'import', t45);
    expect(imported.code).toBe(0);
    expect(imported.out).toContain('as local-4.5.7+');
    expect((await run('moodle', 'import', t52)).code).toBe(0);

    const again = await run('moodle', 'import', t45);
    expect(again.out).toContain('replaces the previous entry');

    const list = await run('moodle', 'list');
    expect(list.code).toBe(0);
    const lines = list.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^local-4\.5\.7\+\s+4\.5\.7\+ \(Build: 20251024\)\s+4\.5 \(405\)\s+classic\s+imported from /,
    );
    expect(lines[1]).toMatch(/^local-5\.2\.1\+\s+.*5\.2 \(502\)\s+public\s+imported from /);

    const removed = await run('moodle', 'remove', 'local-4.5.7+');
    expect(removed).toMatchObject({ code: 0, out: 'Removed local-4.5.7+.\n' });
    expect((await run('moodle', 'list')).out).not.toContain('local-4.5.7+');
  });

  it('marks an imported folder that is gone', async () => {
    const t45 = writeMiniTree(tempDir('cli-tree'), MINI_45);
    await run('moodle', 'import', t45);
    rmSync(t45, { recursive: true });
    expect((await run('moodle', 'list')).out).toContain('folder gone');
  });

  it('says how to register a tree when the cache is empty', async () => {
    const r = await run('moodle', 'list');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`No Moodle trees in ${cache}`);
    expect(r.out).toContain('moodle import <dir>');
  });

  it('exits 2 on a folder that is not Moodle, naming the missing file', async () => {
    const r = await run('moodle', 'import', tempDir('cli-tree'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/version\.php: missing/);
  });

  it('exits 2 when removing an unknown id', async () => {
    const r = await run('moodle', 'remove', '9.9.9');
    expect(r.code).toBe(2);
    expect(r.err).toContain('No Moodle tree 9.9.9 in the cache.');
  });
});
