// Finds the WASM build of one PHP version. @php-wasm/node depends on every PHP version (~470 MB);
// we depend on none of them at run time. The pinned per-version package (@php-wasm/node-8-3, ...)
// comes from node_modules when a developer installed it, otherwise from the npm registry: downloaded
// once, checked against a pinned sha512, extracted atomically into a user cache directory.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { extract } from 'tar';
import { cacheRoot } from '../core/cache-dir.js';
import { downloadFile, type HttpOptions } from '../core/http.js';

/** The @php-wasm release every runtime package is pinned to. 3.1.55+ require Node >= 24.18. */
export const PHP_WASM_VERSION = '3.1.56';

export const DEFAULT_REGISTRY_URL = 'https://registry.npmjs.org';

/** `dist.integrity` of each pinned package, as published; a download must match it byte for byte. */
const PINNED_INTEGRITY = {
  '7.4':
    'sha512-Zj5aHoY2c43kcO6BhM+JWz+06nq7WcHkp3R428Ij6QqxFFFp0VlF5NbrqtWmppK8xY2ZoV+f0NQsnYsBBEjM7A==',
  '8.0':
    'sha512-KWThNeQGRMhk1sWCfsS89vyBuhOtoK83hWLgdiaPZoG8Gcv6G6xeALTReCUkAxWLPHaBKwdUK93gQoxpt867Iw==',
  '8.1':
    'sha512-q98eZevp4+apYNjyeJvTh6ymuPxnDtwe84u8xw/Jui5xQTnbKIWEdUsZptGlnVXM6eSOzjC7Kyto2lF7UEBEJg==',
  '8.2':
    'sha512-A2n+6GYN/Qq58JTWcpq44gGb+zKtT5CYDf6rJlnVsrClvOToUL/DTcGTvkT4HHjkC9cPBLnDVZ6ns91ugq6n1g==',
  '8.3':
    'sha512-FGj6HK9zlh+3Zoh/qOSP7WS1zPWvWMW1oBVojRzedW1j5XxlbXydcypUYpAcsdlQdrVFJ3VzSqytXK4QmQwaFQ==',
  '8.4':
    'sha512-fam1tyIcDqyJrgUvm3gW37FZhE02YOL2nYUJpLwq0B9QA4WxQo2wx0W1Tg9LBoIeD7JtvEOHk1soyg6awLPMDQ==',
  '8.5':
    'sha512-dCalDHUAcX+/VgQbioj0HpzPb+cgTT6kpV12JBegtE0GgOXN2SJnZDi+8LGyVY8DH6APX9MqSYsppKRc+dACBQ==',
} as const;

/**
 * @php-wasm/node itself, for one file: `shared/icu.dat`, the ICU data the per-version packages'
 * intl extension (`<build>/extensions/intl/intl.so`) needs. Moodle requires intl (dates go through
 * IntlDateFormatter from 4.3); without it every page that shows a date fails.
 */
const ICU_PACKAGE: PackageSpec = {
  name: '@php-wasm/node',
  version: PHP_WASM_VERSION,
  integrity:
    'sha512-zpxaoHY8pRNC7qt0kLHim5XUVwLv6nWChis6LbDWVnEF7Gv4Ls7+zTRk+ukQUNfDvRuF11vUzgcMdN7I63Sa/w==',
};

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

/**
 * Each package ships PHP twice: `asyncify/` (Binaryen's Asyncify, runs on any engine) and `jspi/`
 * (JavaScript Promise Integration: WebAssembly.Suspending, on by default from Node 24).
 */
export type PhpWasmBuild = 'jspi' | 'asyncify';

/** Whether this engine runs JSPI WebAssembly; @php-wasm/node asks the same question. */
export function hasJspi(): boolean {
  const wasm = (globalThis as { WebAssembly?: { Suspending?: unknown } }).WebAssembly;
  return typeof wasm?.Suspending === 'function';
}

/**
 * The build to run: JSPI when the engine has it, asyncify elsewhere. MPC_PHP_WASM_BUILD=jspi or
 * =asyncify picks one (bench, tests); asking for jspi where the engine lacks it is an error.
 */
export function phpWasmBuild(
  env: NodeJS.ProcessEnv = process.env,
  jspi: boolean = hasJspi(),
): PhpWasmBuild {
  const wanted = env.MPC_PHP_WASM_BUILD;
  if (wanted === undefined || wanted === '') return jspi ? 'jspi' : 'asyncify';
  if (wanted !== 'jspi' && wanted !== 'asyncify') {
    throw new Error(`MPC_PHP_WASM_BUILD must be jspi or asyncify, not ${JSON.stringify(wanted)}`);
  }
  if (wanted === 'jspi' && !jspi) {
    throw new Error(
      `MPC_PHP_WASM_BUILD=jspi, but Node ${process.version} has no WebAssembly.Suspending (JSPI)`,
    );
  }
  return wanted;
}

export interface RuntimePackage {
  spec: PackageSpec;
  /** Directory holding the package's package.json. */
  dir: string;
  build: PhpWasmBuild;
  /** The Emscripten loader module (`jspi/php_8_3.js`) handed to loadPHPRuntime(). */
  loaderPath: string;
  source: 'node_modules' | 'cache' | 'download';
  /** The intl extension of this build and its ICU data, when both are at hand. */
  intl?: { soPath: string; icuDataPath: string; phpVersion: string };
}

export interface RuntimePackageOptions {
  /** Root of the tool's cache; the package goes under `<cacheDir>/php/`. */
  cacheDir?: string;
  registryUrl?: string;
  /** Look in node_modules first (default true). Off in tests of the download path. */
  useNodeModules?: boolean;
  fetch?: typeof globalThis.fetch;
  /** Which of the package's builds to load; default phpWasmBuild(). */
  build?: PhpWasmBuild;
  /** Retries and deadlines of the tarball download (the Moodle downloads' defaults). */
  http?: HttpOptions;
  /**
   * Load the intl extension (default true). Its ICU data comes like the package (node_modules,
   * the cache, the registry); when it cannot be had, PHP runs without intl and says so.
   */
  intl?: boolean;
}

export function runtimePackageSpec(phpVersion: PhpVersion): PackageSpec {
  return {
    name: `@php-wasm/node-${phpVersion.replace('.', '-')}`,
    version: PHP_WASM_VERSION,
    integrity: PINNED_INTEGRITY[phpVersion],
  };
}

/** The tool's cache folder (MPC_CACHE_DIR, else the platform's place, as for Moodle trees). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return cacheRoot({ env });
}

/** The package as loaded: its folder, the build and that build's loader (`jspi/php_8_3.js`). */
function located(
  spec: PackageSpec,
  dir: string,
  source: RuntimePackage['source'],
  options: RuntimePackageOptions,
): RuntimePackage {
  const build = options.build ?? phpWasmBuild();
  const match = /node-(\d+)-(\d+)$/.exec(spec.name);
  const loader = match ? `php_${match[1]!}_${match[2]!}.js` : 'php.js';
  return { spec, dir, build, loaderPath: join(dir, build, loader), source };
}

export async function resolveRuntimePackage(
  phpVersion: PhpVersion,
  options: RuntimePackageOptions = {},
): Promise<RuntimePackage> {
  const spec = runtimePackageSpec(phpVersion);
  let pkg: RuntimePackage | undefined;
  if (options.useNodeModules !== false) {
    const dir = await findInNodeModules(spec);
    if (dir) pkg = located(spec, dir, 'node_modules', options);
  }
  pkg ??= await fetchRuntimePackage(spec, options);
  return withIntl(pkg, options);
}

const icuData = new Map<string, Promise<string | undefined>>();

/** The package with its intl extension, when the build has one and the ICU data can be had. */
async function withIntl(
  pkg: RuntimePackage,
  options: RuntimePackageOptions,
): Promise<RuntimePackage> {
  // MPC_PHP_INTL=0: PHP without intl (to measure what it costs; Moodle then fails on dates).
  if (options.intl === false || process.env.MPC_PHP_INTL === '0') return pkg;
  const soPath = join(pkg.dir, pkg.build, 'extensions', 'intl', 'intl.so');
  if (!existsSync(soPath)) return pkg;
  const key = `${options.cacheDir ?? ''}|${options.registryUrl ?? ''}`;
  let found = icuData.get(key);
  if (!found) {
    found = npmPackageDir(
      ICU_PACKAGE,
      options,
      /^package\/(package\.json|LICENSE|shared\/icu\.dat)$/,
    )
      .then(({ dir }) => {
        const file = join(dir, 'shared', 'icu.dat');
        return existsSync(file) ? file : undefined;
      })
      // No registry (offline, a closed network): PHP runs without intl, and the site says so.
      .catch(() => undefined);
    icuData.set(key, found);
  }
  const icuDataPath = await found;
  const phpVersion = /node-(\d+)-(\d+)$/.exec(pkg.spec.name)?.slice(1, 3).join('.') ?? '';
  return icuDataPath ? { ...pkg, intl: { soPath, icuDataPath, phpVersion } } : pkg;
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
  const { dir, source } = await fetchNpmPackage(
    spec,
    options,
    /^package\/(package\.json|LICENSE|(asyncify|jspi)(\/.*)?)$/,
  );
  return located(spec, dir, source, options);
}

/** Where to look for and keep an npm package (the registry, the cache, node_modules). */
export type NpmPackageOptions = Pick<
  RuntimePackageOptions,
  'cacheDir' | 'registryUrl' | 'useNodeModules' | 'fetch' | 'http'
>;

/**
 * The folder of a pinned npm package: node_modules when it holds exactly that version (unless
 * `useNodeModules` is false), else the cache, else downloaded from the registry, verified against
 * the pinned integrity and unpacked (only the paths `keep` matches) into the cache.
 */
export async function npmPackageDir(
  spec: PackageSpec,
  options: NpmPackageOptions,
  keep: RegExp,
): Promise<{ dir: string; source: RuntimePackage['source'] }> {
  if (options.useNodeModules !== false) {
    const dir = await findInNodeModules(spec);
    if (dir) return { dir, source: 'node_modules' };
  }
  return fetchNpmPackage(spec, options, keep);
}

async function fetchNpmPackage(
  spec: PackageSpec,
  options: NpmPackageOptions,
  keep: RegExp,
): Promise<{ dir: string; source: 'cache' | 'download' }> {
  const cacheRoot = join(options.cacheDir ?? defaultCacheDir(), 'php');
  const dir = join(cacheRoot, `${spec.name.replace(/^@/, '').replace('/', '+')}@${spec.version}`);
  if (existsSync(join(dir, COMPLETE_MARKER))) return { dir, source: 'cache' };

  const fetchImpl = options.fetch ?? globalThis.fetch;
  const registryUrl = (options.registryUrl ?? DEFAULT_REGISTRY_URL).replace(/\/+$/, '');
  const { tarball, integrity } = await fetchDist(fetchImpl, registryUrl, spec);
  const bytes = await download(fetchImpl, tarball, cacheRoot, options.http);
  const actual = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
  if (actual !== integrity) {
    throw new Error(
      `${spec.name}@${spec.version}: downloaded tarball does not match its integrity ` +
        `(expected ${integrity}, got ${actual}); refusing to use it`,
    );
  }

  await mkdir(cacheRoot, { recursive: true });
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging, { recursive: true });
    const archive = join(staging, '.package.tgz');
    await writeFile(archive, bytes);
    await extract({ file: archive, cwd: staging, strip: 1, filter: (path) => keep.test(path) });
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
  return { dir, source: 'download' };
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

/**
 * The tarball, with the retrying client Moodle downloads use (back-off on network errors, 5xx,
 * 408, 429; idle, throughput and overall deadlines); the integrity is checked by the caller.
 */
async function download(
  fetchImpl: typeof globalThis.fetch,
  url: string,
  dir: string,
  http: HttpOptions = {},
): Promise<Buffer> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `.download-${process.pid}-${randomBytes(4).toString('hex')}.tgz`);
  try {
    await downloadFile(url, file, { ...http, fetch: fetchImpl });
    return await readFile(file);
  } finally {
    await rm(file, { force: true });
  }
}
