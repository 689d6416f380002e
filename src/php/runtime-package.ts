// Finds the WASM build of one PHP version. @php-wasm/node depends on every PHP version (~470 MB);
// we depend on none of them at run time. The pinned per-version package (@php-wasm/node-8-3, ...)
// comes from node_modules when a developer installed it, otherwise from the npm registry: downloaded
// once, checked against a pinned sha512, extracted atomically into a user cache directory.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { extract } from 'tar';

/** The @php-wasm release every runtime package is pinned to. 3.1.55+ require Node 24. */
export const PHP_WASM_VERSION = '3.1.54';

export const DEFAULT_REGISTRY_URL = 'https://registry.npmjs.org';

/** `dist.integrity` of each pinned package, as published; a download must match it byte for byte. */
const PINNED_INTEGRITY = {
  '7.4':
    'sha512-X9i3UCopzF1sfZ2Ix50cT06LTZgAYbpi1g9mlhrDE5+JyyezV/YmJzY/8BIeiD1VN80rr26um+k+2CYqsgabxQ==',
  '8.0':
    'sha512-wh57ixwcacO6rqKir6Cp5NyYbncIqyt3sUD7gdXVt9/ZGI5q5ysuR5UQ4mfERKBA2rfnaCpYKpQgVPmrs92oaQ==',
  '8.1':
    'sha512-MLJ9lLGMnfitXwf6diQYJNG+k7Pv3Fzh/ZcbYsqwdITBPd4gy05BDwirIoboh3tvu3NLMhzydVz4dpJ5UYbSKw==',
  '8.2':
    'sha512-a01+IU7ZPxYPvgwnIYzC6ob4Eu0MFwbQ1OH0JKzm/pdFnaiRNC3bvHF4bp3pjaL6266vb8D3ojBvP3hMYiX3AA==',
  '8.3':
    'sha512-vZhfYqySKtpxb1+JvOHdGvZG82vhD7WgH5PYm7xjOYxQiXftqOtBLjwN5ZPg4562MMKrWFOLKHnW2JrxtvfyoQ==',
  '8.4':
    'sha512-I0CKNOqxq2MfW+GDiKnKRMdVKZlYqtkHtmnAHbdMDBoE72DO73m/79z7CI0HNzVcQsHfCkbXj2XxS3/yEztjkA==',
  '8.5':
    'sha512-n0R+XHuv7rkCmZ+y156khHjrni1Ij/jqVU41MDsie/aCC+gRqBLM+BXOOJ5CSejkFd0pj83kZcFJHrqVy8I/nw==',
} as const;

export type PhpVersion = keyof typeof PINNED_INTEGRITY;
export const PHP_VERSIONS = Object.keys(PINNED_INTEGRITY) as PhpVersion[];

export function isPhpVersion(value: string): value is PhpVersion {
  return Object.hasOwn(PINNED_INTEGRITY, value);
}

export interface PackageSpec {
  name: string;
  version: string;
  /** Expected `dist.integrity`; when absent the registry's own value is trusted. */
  integrity?: string;
}

export interface RuntimePackage {
  spec: PackageSpec;
  /** Directory holding the package's package.json. */
  dir: string;
  /** The Emscripten loader module (`asyncify/php_8_3.js`) handed to loadPHPRuntime(). */
  loaderPath: string;
  source: 'node_modules' | 'cache' | 'download';
}

export interface RuntimePackageOptions {
  /** Root of the tool's cache; the package goes under `<cacheDir>/php/`. */
  cacheDir?: string;
  registryUrl?: string;
  /** Look in node_modules first (default true). Off in tests of the download path. */
  useNodeModules?: boolean;
  fetch?: typeof globalThis.fetch;
}

export function runtimePackageSpec(phpVersion: PhpVersion): PackageSpec {
  return {
    name: `@php-wasm/node-${phpVersion.replace('.', '-')}`,
    version: PHP_WASM_VERSION,
    integrity: PINNED_INTEGRITY[phpVersion],
  };
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.MPC_CACHE_DIR;
  if (explicit) return explicit;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg || join(homedir(), '.cache'), 'moodle-plugin-check');
}

/**
 * Asyncify builds run on every Node we support; JSPI builds need Node 24+ and a feature flag on
 * some versions, so we never pick them (and never extract them from a download).
 */
function loaderPathOf(dir: string, spec: PackageSpec): string {
  const match = /node-(\d+)-(\d+)$/.exec(spec.name);
  const loader = match ? `php_${match[1]!}_${match[2]!}.js` : 'php.js';
  return join(dir, 'asyncify', loader);
}

export async function resolveRuntimePackage(
  phpVersion: PhpVersion,
  options: RuntimePackageOptions = {},
): Promise<RuntimePackage> {
  const spec = runtimePackageSpec(phpVersion);
  if (options.useNodeModules !== false) {
    const dir = await findInNodeModules(spec);
    if (dir) return { spec, dir, loaderPath: loaderPathOf(dir, spec), source: 'node_modules' };
  }
  return fetchRuntimePackage(spec, options);
}

/** The package's directory when node_modules holds exactly the pinned version. */
async function findInNodeModules(spec: PackageSpec): Promise<string | undefined> {
  let manifestPath: string;
  try {
    manifestPath = createRequire(import.meta.url).resolve(`${spec.name}/package.json`);
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { version?: unknown };
  return manifest.version === spec.version ? dirname(manifestPath) : undefined;
}

const COMPLETE_MARKER = '.mpc-complete';

/** Returns the cached package, downloading and verifying it first when the cache lacks it. */
export async function fetchRuntimePackage(
  spec: PackageSpec,
  options: RuntimePackageOptions = {},
): Promise<RuntimePackage> {
  const cacheRoot = join(options.cacheDir ?? defaultCacheDir(), 'php');
  const dir = join(cacheRoot, `${spec.name.replace(/^@/, '').replace('/', '+')}@${spec.version}`);
  if (existsSync(join(dir, COMPLETE_MARKER))) {
    return { spec, dir, loaderPath: loaderPathOf(dir, spec), source: 'cache' };
  }

  const fetchImpl = options.fetch ?? globalThis.fetch;
  const registryUrl = (options.registryUrl ?? DEFAULT_REGISTRY_URL).replace(/\/+$/, '');
  const { tarball, integrity } = await fetchDist(fetchImpl, registryUrl, spec);
  const bytes = await download(fetchImpl, tarball);
  const actual = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
  if (actual !== integrity) {
    throw new Error(
      `${spec.name}@${spec.version}: downloaded tarball does not match its integrity ` +
        `(expected ${integrity}, got ${actual}); refusing to use it`,
    );
  }

  // Extract beside the final directory and rename: readers never see a half-written package, and
  // two processes racing on a cold cache both end with one complete copy.
  await mkdir(cacheRoot, { recursive: true });
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging, { recursive: true });
    const archive = join(staging, '.package.tgz');
    await writeFile(archive, bytes);
    await extract({
      file: archive,
      cwd: staging,
      strip: 1,
      filter: (path) => /^package\/(package\.json|LICENSE|asyncify(\/.*)?)$/.test(path),
    });
    await rm(archive);
    await writeFile(join(staging, COMPLETE_MARKER), `${integrity}\n`);
    try {
      await rename(staging, dir);
    } catch (error) {
      if (!existsSync(join(dir, COMPLETE_MARKER))) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { spec, dir, loaderPath: loaderPathOf(dir, spec), source: 'download' };
}

async function fetchDist(
  fetchImpl: typeof globalThis.fetch,
  registryUrl: string,
  spec: PackageSpec,
): Promise<{ tarball: string; integrity: string }> {
  const url = `${registryUrl}/${spec.name.replace('/', '%2f')}/${spec.version}`;
  const response = await fetchImpl(url, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    throw new Error(
      `${spec.name}@${spec.version}: registry answered ${response.status} for ${url}`,
    );
  }
  const metadata = (await response.json()) as { dist?: { tarball?: unknown; integrity?: unknown } };
  const tarball = metadata.dist?.tarball;
  const published = metadata.dist?.integrity;
  if (typeof tarball !== 'string' || typeof published !== 'string') {
    throw new Error(
      `${spec.name}@${spec.version}: registry metadata has no dist.tarball/integrity`,
    );
  }
  if (!/^https?:\/\//.test(tarball)) {
    throw new Error(`${spec.name}@${spec.version}: unexpected tarball URL ${tarball}`);
  }
  if (spec.integrity !== undefined && spec.integrity !== published) {
    throw new Error(
      `${spec.name}@${spec.version}: registry publishes integrity ${published}, ` +
        `but this tool pins ${spec.integrity}`,
    );
  }
  return { tarball, integrity: spec.integrity ?? published };
}

async function download(fetchImpl: typeof globalThis.fetch, url: string): Promise<Buffer> {
  const response = await fetchImpl(url);
  if (!response.ok) throw new Error(`download of ${url} failed: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}
