// PHPUnit's packages: the lock's closure, the production download (a 127.0.0.1 server serving
// GitHub-style zipballs: retried, verified against the locked commit), the offline import (what
// .gitattributes export-ignores left out) and the vendor/ with its generated autoloader, run in php-wasm.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { createPhpRuntime } from '../php/runtime.js';
import { archiveServer, FAST_HTTP, tempDir } from '../moodle/testing.js';
import { phpunitPackages, type LockedPackage } from './lock.js';
import { buildVendor } from './vendor.js';
import { ensurePackages, exportIgnored, importPackages, isCached, packageDir } from './packages.js';

const REF_A = 'a'.repeat(40);
const REF_B = 'b0b0b0b'.padEnd(40, '1');

function lockWith(packages: object[], dev: object[] = []): string {
  const dir = tempDir('lock');
  writeFileSync(path.join(dir, 'composer.lock'), JSON.stringify({ packages, 'packages-dev': dev }));
  return dir;
}

const entry = (
  name: string,
  ref: string,
  require: Record<string, string> = {},
  extra: object = {},
) => ({
  name,
  version: '1.0.0',
  source: { type: 'git', url: `https://github.com/${name}.git`, reference: ref },
  dist: {
    type: 'zip',
    url: `https://api.github.com/repos/${name}/zipball/${ref}`,
    reference: ref,
    shasum: '',
  },
  require,
  autoload: { classmap: ['src/'] },
  ...extra,
});

describe('phpunitPackages', () => {
  it('is phpunit/phpunit and what it requires, transitively, without platform packages', () => {
    const dir = lockWith(
      [entry('other/runtime', REF_B)],
      [
        entry('phpunit/phpunit', REF_A, {
          php: '>=8.1',
          'ext-dom': '*',
          'sebastian/diff': '^4',
          'Doctrine/Instantiator': '^1',
        }),
        entry('sebastian/diff', REF_B, { php: '>=7.3' }),
        entry('doctrine/instantiator', REF_B),
        entry('behat/behat', REF_A),
      ],
    );
    expect(phpunitPackages(dir).map((p) => p.name)).toEqual([
      'phpunit/phpunit',
      'sebastian/diff',
      'doctrine/instantiator',
    ]);
  });

  it('refuses a lock without PHPUnit, an unlocked requirement, a bad name or commit, naming the file', () => {
    expect(() => phpunitPackages(lockWith([]))).toThrow(/composer\.lock: no phpunit\/phpunit/);
    expect(() =>
      phpunitPackages(lockWith([], [entry('phpunit/phpunit', REF_A, { 'x/y': '1' })])),
    ).toThrow(/x\/y is required/);
    expect(() => phpunitPackages(lockWith([], [entry('phpunit/phpunit', 'main')]))).toThrow(
      /no source commit/,
    );
    expect(() =>
      phpunitPackages(
        lockWith(
          [],
          [entry('phpunit/phpunit', REF_A, { '../../etc': '1' }), entry('../../etc', REF_A)],
        ),
      ),
    ).toThrow(UserError);
    expect(() => phpunitPackages(tempDir('nolock'))).toThrow(
      /cannot read the Moodle tree’s composer\.lock/,
    );
  });
});

describe('exportIgnored', () => {
  it('leaves out what .gitattributes marks export-ignore, anchored or anywhere', () => {
    const dir = tempDir('attrs');
    writeFileSync(
      path.join(dir, '.gitattributes'),
      '/tests export-ignore\n*.neon  export-ignore\n/src text\n# /src export-ignore\n',
    );
    const ignored = exportIgnored(dir);
    expect(ignored('tests/FooTest.php')).toBe(true);
    expect(ignored('src/tests/keep.php')).toBe(false);
    expect(ignored('phpstan.neon')).toBe(true);
    expect(ignored('sub/x.neon')).toBe(true);
    expect(ignored('src/A.php')).toBe(false);
    expect(ignored('.git')).toBe(true);
  });
});

describe('download and import', () => {
  let server: Awaited<ReturnType<typeof archiveServer>>;
  let root = '';
  const pkg = (name: string, ref: string, url: string, shasum = ''): LockedPackage => ({
    name,
    version: '1.0.0',
    reference: ref,
    sourceUrl: undefined,
    dist: { type: 'zip', url, shasum },
    autoload: { classmap: ['src/'] },
    bin: [],
  });
  const zipball = (folder: string): Buffer =>
    Buffer.from(
      zipSync({
        [`${folder}/composer.json`]: new TextEncoder().encode('{"name":"acme/lib"}'),
        [`${folder}/src/A.php`]: new TextEncoder().encode('<?php\nnamespace Acme;\nclass A {}\n'),
      }),
    );

  beforeAll(async () => {
    server = await archiveServer(
      {
        '/good.zip': zipball(`acme-lib-${REF_B.slice(0, 7)}`),
        '/flaky.zip': zipball(`acme-lib-${REF_B.slice(0, 7)}`),
        '/other.zip': zipball('acme-lib-1234567'),
      },
      { '/good.zip': ['ok'], '/flaky.zip': [503, 'truncated', 'ok'], '/other.zip': ['ok'] },
    );
    root = tempDir('composer-cache');
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('downloads with retries, checks the archive is the locked commit, extracts it', async () => {
    const p = pkg('acme/lib', REF_B, `${server.base}/flaky.zip`);
    await ensurePackages([p], { root, http: FAST_HTTP });
    expect(isCached(p, root)).toBe(true);
    expect(readFileSync(path.join(packageDir(p, root), 'src/A.php'), 'utf8')).toContain('class A');
    expect(server.hits.get('/flaky.zip')).toBe(3);
  });

  it('refuses an archive of another commit, a wrong sha1, and says how to get them offline', async () => {
    const other = pkg('acme/other', REF_B, `${server.base}/other.zip`);
    const sha = pkg('acme/sha', REF_B, `${server.base}/good.zip`, 'f'.repeat(40));
    const err = await ensurePackages([other, sha], { root, http: FAST_HTTP }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(
      /2 of its 2 packages.*acme\/other.*not the archive of commit b0b0b0b11111.*acme\/sha.*sha1 .* is not the locked f{40}/s,
    );
    expect((err as UserError).hint).toMatch(/phpunit import <dir>/);
    expect(isCached(other, root)).toBe(false);
    const offline = await ensurePackages([pkg('acme/off', REF_A, `${server.base}/good.zip`)], {
      root,
      offline: true,
    }).catch((e: unknown) => e);
    expect((offline as Error).message).toMatch(/acme\/off 1\.0\.0 \(aaaaaaaaaaaa\): offline/);
  });

  it('imports <vendor>/<name>/<commit>/ folders without their export-ignored files, and nothing else', () => {
    const src = tempDir('import-src');
    const at = path.join(src, 'acme', 'tool', REF_A);
    mkdirSync(path.join(at, 'src'), { recursive: true });
    mkdirSync(path.join(at, 'tests'), { recursive: true });
    writeFileSync(path.join(at, 'composer.json'), '{"name": "acme/tool"}');
    writeFileSync(path.join(at, '.gitattributes'), '/tests export-ignore\n');
    writeFileSync(path.join(at, 'src/T.php'), '<?php class T {}');
    writeFileSync(path.join(at, 'tests/TTest.php'), '<?php');
    mkdirSync(path.join(src, 'acme', 'wrong', REF_A), { recursive: true });
    writeFileSync(
      path.join(src, 'acme', 'wrong', REF_A, 'composer.json'),
      '{"name": "acme/other"}',
    );
    expect(importPackages(src, root)).toEqual([
      { name: 'acme/tool', reference: REF_A, replaced: false },
    ]);
    const dest = packageDir({ name: 'acme/tool', reference: REF_A }, root);
    expect(existsSync(path.join(dest, 'src/T.php'))).toBe(true);
    expect(existsSync(path.join(dest, 'tests'))).toBe(false);
    expect(existsSync(path.join(at, 'tests/TTest.php'))).toBe(true); // the source is only read
    expect(() => importPackages(tempDir('empty'), root)).toThrow(/no package sources found/);
  });

  it('builds a vendor/ whose autoloader loads classmap, PSR-4 and files packages in PHP', async () => {
    const packages: LockedPackage[] = [
      { ...pkg('acme/lib', REF_B, ''), autoload: { classmap: ['src/'] } },
      {
        ...pkg('acme/tool', REF_A, ''),
        autoload: { 'psr-4': { 'Acme\\Tool\\': 'src/' }, files: ['src/helpers.php'] },
      },
    ];
    mkdirSync(path.join(packageDir(packages[1]!, root), 'src/Sub'), { recursive: true });
    writeFileSync(
      path.join(packageDir(packages[1]!, root), 'src/Sub/Thing.php'),
      '<?php\nnamespace Acme\\Tool\\Sub;\nclass Thing { const X = 7; }\n',
    );
    writeFileSync(
      path.join(packageDir(packages[1]!, root), 'src/helpers.php'),
      '<?php\nfunction acme_helper() { return "h"; }\n',
    );
    const { scanClassmapFor } = await import('./run.js');
    const vendor = await buildVendor(packages, scanClassmapFor('8.3'), root);
    const runtime = await createPhpRuntime({
      phpVersion: '8.3',
      mounts: [{ hostPath: vendor, vfsPath: '/v', readOnly: true }],
    });
    const r = await runtime.cli(
      [
        'php',
        '-r',
        'require "/v/autoload.php"; echo (new Acme\\A()) instanceof Acme\\A ? "A" : "-", Acme\\Tool\\Sub\\Thing::X, acme_helper(), class_exists("Acme\\\\Nope") ? "!" : ".";',
      ],
      { env: {}, timeoutMs: 60_000 },
    );
    expect(r.stdout).toBe('A7h.');
    expect(readFileSync(path.join(vendor, 'composer/autoload_classmap.php'), 'utf8')).toContain(
      "'Acme\\\\A' => 'acme/lib/src/A.php'",
    );
    expect(existsSync(path.join(vendor, 'bin/phpunit'))).toBe(true);
  });
});
