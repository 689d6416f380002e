// The coding-style tools' download against a local HTTP server: GitHub-style zipballs fetched
// with retries, the archive's folder checked against the pinned commit, the extracted files
// against the pinned content digest; then served from the cache offline. A zip of the right
// commit with other files is refused and leaves nothing in the cache.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveServer, FAST_HTTP, tempDir } from '../moodle/testing.js';
import { contentDigest, ensureToolchain, type ToolPackage } from './toolchain.js';

const REF = 'c25837893ead6fc67199334a6d63b0049577350e';
const FILES: Record<string, string> = {
  'composer.json': '{"name":"moodlehq/moodle-cs"}',
  'moodle/ruleset.xml': '<?xml version="1.0"?><ruleset name="moodle"/>\n',
  'moodle/Sniffs/A.php': '<?php\nclass A {}\n',
  'moodle/Tests/ATest.php': '<?php // tests are outside the digest\n',
};

const zipball = (files: Record<string, string>): Buffer =>
  Buffer.from(
    zipSync(
      Object.fromEntries(
        Object.entries(files).map(([k, v]) => [
          `moodlehq-moodle-cs-${REF.slice(0, 7)}/${k}`,
          new TextEncoder().encode(v),
        ]),
      ),
    ),
  );

/** The digest the pin would carry: computed on the same files laid out on disk. */
function digestOf(files: Record<string, string>): string {
  const dir = tempDir('cs-digest-src');
  for (const [k, v] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, k)), { recursive: true });
    writeFileSync(path.join(dir, k), v);
  }
  const d = contentDigest(dir);
  rmSync(dir, { recursive: true, force: true });
  return d;
}

describe('the coding-style toolchain downloaded from a local server', () => {
  let server: Awaited<ReturnType<typeof archiveServer>>;
  const roots: string[] = [];
  const pkg = (url: string, digest: string): ToolPackage => ({
    name: 'moodlehq/moodle-cs',
    version: '3.7.0',
    reference: REF,
    sourceUrl: undefined,
    dist: { type: 'zip', url, shasum: '' },
    autoload: {},
    bin: [],
    mount: 'moodle-cs',
    digest,
  });
  beforeAll(async () => {
    server = await archiveServer(
      {
        '/flaky.zip': zipball(FILES),
        '/tampered.zip': zipball({
          ...FILES,
          'moodle/Sniffs/A.php': '<?php\nclass A { /* changed */ }\n',
        }),
      },
      { '/flaky.zip': [503, 'truncated', 'ok'], '/tampered.zip': ['ok'] },
    );
  });
  afterAll(async () => {
    await server.close();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('retries, checks the commit and the digest, caches, then works offline', async () => {
    const root = tempDir('cs-download');
    roots.push(root);
    const p = pkg(`${server.base}/flaky.zip`, digestOf(FILES));
    const first = await ensureToolchain({ root, packages: [p], http: FAST_HTTP });
    expect(first.ok).toBe(true);
    expect(server.hits.get('/flaky.zip')).toBe(3);
    const again = await ensureToolchain({ root, packages: [p], offline: true });
    expect(again.ok).toBe(true);
    expect(server.hits.get('/flaky.zip')).toBe(3);
  });

  it('an archive of the right commit with other files is refused and removed', async () => {
    const root = tempDir('cs-tampered-dl');
    roots.push(root);
    const p = pkg(`${server.base}/tampered.zip`, digestOf(FILES));
    const got = await ensureToolchain({ root, packages: [p], http: FAST_HTTP });
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.why).toMatch(/is not the pinned one \(content digest/);
    const offline = await ensureToolchain({ root, packages: [p], offline: true });
    expect(offline.ok).toBe(false);
    if (!offline.ok) expect(offline.why).toMatch(/not in the cache \(offline\)/);
  });
});
