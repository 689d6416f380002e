import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPhpRuntime } from './runtime.js';
import {
  defaultCacheDir,
  fetchRuntimePackage,
  hasJspi,
  phpWasmBuild,
  resolveRuntimePackage,
  runtimePackageSpec,
  type PackageSpec,
} from './runtime-package.js';

const NAME = '@fake/node-8-3';
const VERSION = '1.0.0';

describe('fetchRuntimePackage against a local registry', () => {
  let work: string;
  let cacheDir: string;
  let server: Server;
  let registryUrl: string;
  let tarball: Buffer;
  let integrity: string;
  let served: { tarball: Buffer; integrity: string };
  const hits: string[] = [];
  /** The next N tarball requests answer 503. */
  let failures = 0;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mpc-runtime-package-'));
    const src = join(work, 'src');
    mkdirSync(join(src, 'package', 'asyncify', '8_3_0'), { recursive: true });
    mkdirSync(join(src, 'package', 'jspi'), { recursive: true });
    writeFileSync(
      join(src, 'package', 'package.json'),
      JSON.stringify({ name: NAME, version: VERSION }),
    );
    writeFileSync(join(src, 'package', 'asyncify', 'php_8_3.js'), 'export const fake = true;\n');
    writeFileSync(join(src, 'package', 'asyncify', '8_3_0', 'php_8_3.wasm'), 'wasm');
    writeFileSync(join(src, 'package', 'jspi', 'php_8_3.js'), 'export const fake = true;\n');
    writeFileSync(join(src, 'package', 'index.js'), 'not wanted');
    const file = join(work, 'pkg.tgz');
    await create({ gzip: true, file, cwd: src, portable: true }, ['package']);
    tarball = await readFile(file);
    integrity = `sha512-${createHash('sha512').update(tarball).digest('base64')}`;

    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === `/@fake%2fnode-8-3/${VERSION}`) {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            name: NAME,
            version: VERSION,
            dist: { tarball: `${registryUrl}/tarballs/pkg.tgz`, integrity: served.integrity },
          }),
        );
      } else if (req.url === '/tarballs/pkg.tgz') {
        if (failures > 0) {
          failures--;
          res.statusCode = 503;
          res.end('busy');
          return;
        }
        res.end(served.tarball);
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    registryUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    cacheDir = mkdtempSync(join(work, 'cache-'));
    served = { tarball, integrity };
    hits.length = 0;
  });

  const spec = (extra: Partial<PackageSpec> = {}): PackageSpec => ({
    name: NAME,
    version: VERSION,
    ...extra,
  });

  it('downloads, verifies and extracts both builds (nothing else), then serves them from the cache', async () => {
    const first = await fetchRuntimePackage(spec({ integrity }), {
      cacheDir,
      registryUrl,
      build: 'asyncify',
    });
    expect(first.source).toBe('download');
    expect(first.dir).toBe(join(cacheDir, 'php', `fake+node-8-3@${VERSION}`));
    expect(first.build).toBe('asyncify');
    expect(first.loaderPath).toBe(join(first.dir, 'asyncify', 'php_8_3.js'));
    expect(existsSync(first.loaderPath)).toBe(true);
    expect(readdirSync(first.dir).sort()).toEqual([
      '.mpc-complete',
      'asyncify',
      'jspi',
      'package.json',
    ]);
    expect(readdirSync(join(cacheDir, 'php'))).toEqual([`fake+node-8-3@${VERSION}`]);

    const second = await fetchRuntimePackage(spec({ integrity }), {
      cacheDir,
      registryUrl,
      build: 'jspi',
    });
    expect(second.source).toBe('cache');
    expect(second.loaderPath).toBe(join(first.dir, 'jspi', 'php_8_3.js'));
    expect(existsSync(second.loaderPath)).toBe(true);
    expect(hits.filter((url) => url.endsWith('.tgz'))).toHaveLength(1);
  });

  it('retries a tarball download the registry answers 503, then verifies it', async () => {
    failures = 2;
    const pkg = await fetchRuntimePackage(spec({ integrity }), {
      cacheDir,
      registryUrl,
      http: { baseDelayMs: 10, maxDelayMs: 20 },
    });
    expect(pkg.source).toBe('download');
    expect(hits.filter((url) => url.endsWith('.tgz'))).toHaveLength(3);
    expect(readdirSync(join(cacheDir, 'php'))).toEqual([`fake+node-8-3@${VERSION}`]);
  });

  it('trusts the registry integrity when none is pinned', async () => {
    const pkg = await fetchRuntimePackage(spec(), { cacheDir, registryUrl });
    expect(pkg.source).toBe('download');
  });

  it('refuses a tarball that does not match its integrity and leaves nothing behind', async () => {
    served = { tarball: Buffer.concat([tarball, Buffer.from('x')]), integrity };
    await expect(fetchRuntimePackage(spec(), { cacheDir, registryUrl })).rejects.toThrow(
      /does not match its integrity/,
    );
    expect(existsSync(join(cacheDir, 'php')) ? readdirSync(join(cacheDir, 'php')) : []).toEqual([]);
  });

  it('refuses registry metadata that disagrees with the pinned integrity, before downloading', async () => {
    await expect(
      fetchRuntimePackage(spec({ integrity: 'sha512-pinned' }), { cacheDir, registryUrl }),
    ).rejects.toThrow(/but this tool pins sha512-pinned/);
    expect(hits.some((url) => url.endsWith('.tgz'))).toBe(false);
  });

  it('reports a registry error', async () => {
    await expect(
      fetchRuntimePackage(spec({ version: '9.9.9' }), { cacheDir, registryUrl }),
    ).rejects.toThrow(/registry answered 404/);
  });
});

describe('php-wasm build choice', () => {
  it('picks jspi where the engine has WebAssembly.Suspending, asyncify elsewhere', () => {
    expect(phpWasmBuild({}, true)).toBe('jspi');
    expect(phpWasmBuild({}, false)).toBe('asyncify');
    expect(phpWasmBuild({ MPC_PHP_WASM_BUILD: '' }, true)).toBe('jspi');
    expect(phpWasmBuild({})).toBe(hasJspi() ? 'jspi' : 'asyncify');
  });

  it('follows MPC_PHP_WASM_BUILD, and refuses jspi without JSPI or an unknown build', () => {
    expect(phpWasmBuild({ MPC_PHP_WASM_BUILD: 'asyncify' }, true)).toBe('asyncify');
    expect(phpWasmBuild({ MPC_PHP_WASM_BUILD: 'jspi' }, true)).toBe('jspi');
    expect(() => phpWasmBuild({ MPC_PHP_WASM_BUILD: 'jspi' }, false)).toThrow(
      /no WebAssembly.Suspending/,
    );
    expect(() => phpWasmBuild({ MPC_PHP_WASM_BUILD: 'wasm64' }, true)).toThrow(
      /must be jspi or asyncify/,
    );
  });
});

describe('runtime package naming', () => {
  it('pins one package per PHP version', () => {
    expect(runtimePackageSpec('8.3')).toMatchObject({
      name: '@php-wasm/node-8-3',
      version: '3.1.56',
      integrity: expect.stringMatching(/^sha512-/) as unknown,
    });
  });

  it('puts the cache under MPC_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ MPC_CACHE_DIR: '/c' })).toBe('/c');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'moodle-plugin-check'));
    expect(defaultCacheDir({})).toMatch(/\.cache[/\\]moodle-plugin-check$/);
  });
});

// Opt-in: downloads the real 21 MB package from registry.npmjs.org and boots PHP from the cache.
describe.runIf(process.env.MPC_NETWORK === '1')('real npm registry download', () => {
  it('boots PHP 8.3 from a downloaded package', { timeout: 120_000 }, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'mpc-real-download-'));
    try {
      const pkg = await resolveRuntimePackage('8.3', { cacheDir, useNodeModules: false });
      expect(pkg.source).toBe('download');
      const builds = hasJspi() ? (['asyncify', 'jspi'] as const) : (['asyncify'] as const);
      for (const build of builds) {
        const resolvedPackage = await resolveRuntimePackage('8.3', {
          cacheDir,
          useNodeModules: false,
          build,
        });
        const php = await createPhpRuntime({ phpVersion: '8.3', mounts: [], resolvedPackage });
        const result = await php.cli(['php', '-r', 'echo PHP_VERSION;']);
        expect(result.stdout).toMatch(/^8\.3\./);
      }
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
