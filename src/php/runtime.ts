// The PhpRuntime seam: what the pipeline, checks and blueprint steps use to run PHP. The only
// module (with its worker) that touches php-wasm. Every cli() call gets a fresh WASM runtime in its
// own worker thread: php-wasm runtimes are single-use after cli(), leak memory on large includes,
// and a worker is the one thing we can kill when PHP loops forever.
import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  resolveRuntimePackage,
  type PhpVersion,
  type RuntimePackage,
  type RuntimePackageOptions,
} from './runtime-package.js';

export interface PhpMount {
  /** Host file or directory; must exist. */
  hostPath: string;
  /** Absolute path inside PHP's virtual filesystem. */
  vfsPath: string;
  /** Writes, creates, deletes, renames and chmods under a read-only mount fail with EROFS. */
  readOnly: boolean;
}

export interface PhpCliOptions {
  /** Working directory inside the VFS (PHP's getcwd()). */
  cwd?: string;
  /** The whole environment PHP sees besides Emscripten's synthetic defaults. Nothing is inherited. */
  env?: Record<string, string>;
  /** Kill the runtime after this long; the call then rejects with PhpTimeoutError. */
  timeoutMs?: number;
  /** PHP's memory_limit, e.g. '512M'. */
  memoryLimit?: string;
  /** Extra php.ini entries for this invocation. */
  ini?: Record<string, string>;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface PhpCliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Wall time of the whole call, runtime boot included. */
  durationMs: number;
  /** Part of durationMs spent starting the worker, loading WASM and mounting. */
  bootMs: number;
}

export interface PhpRuntime {
  readonly phpVersion: PhpVersion;
  readonly mounts: readonly PhpMount[];
  /** Runs `php <args>` (argv[0] must be 'php') in a fresh runtime. */
  cli(argv: readonly string[], options?: PhpCliOptions): Promise<PhpCliResult>;
  /**
   * Serves one HTTP request with PHPRequestHandler in a fresh runtime (same mounts, read-only
   * rules, no network), after a chdir into the requested script's folder.
   */
  request(request: PhpHttpRequest, options: PhpHttpOptions): Promise<PhpHttpResponse>;
}

export interface PhpHttpRequest {
  method?: string;
  /** Path (and query) or absolute URL on `absoluteUrl`. */
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export interface PhpHttpOptions extends Omit<PhpCliOptions, 'cwd' | 'env'> {
  /** VFS folder URLs are served from. */
  documentRoot: string;
  /** What $_SERVER says the site is, e.g. http://localhost (must match Moodle's wwwroot). */
  absoluteUrl: string;
  /** URL prefixes served from VFS folders outside the document root. */
  pathAliases?: { urlPrefix: string; fsPath: string }[];
}

export interface PhpHttpResponse {
  status: number;
  /** Lower-case header names, each with all its values (Set-Cookie may repeat). */
  headers: Record<string, string[]>;
  body: Uint8Array;
  text: string;
  /** PHP's error output (display_errors=stderr) for the request. */
  errors: string;
  exitCode: number;
  durationMs: number;
  bootMs: number;
}

export interface PhpRuntimeOptions {
  phpVersion: PhpVersion;
  mounts: readonly PhpMount[];
  /** Used when a call passes no timeoutMs. */
  defaultTimeoutMs?: number;
  /** php.ini entries for every call; per-call `ini` wins. */
  ini?: Record<string, string>;
  runtimePackage?: RuntimePackageOptions;
  /** Already resolved package (skips resolution); mainly for tests and reuse across runtimes. */
  resolvedPackage?: RuntimePackage;
  /** Where php-worker.mjs lives; defaults to beside this module (src/php or dist/). */
  workerUrl?: URL;
}

export class PhpTimeoutError extends Error {
  override readonly name = 'PhpTimeoutError';
  constructor(
    readonly timeoutMs: number,
    readonly argv: readonly string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`PHP did not finish within ${timeoutMs} ms and was stopped: ${argv.join(' ')}`);
  }
}

/** php-wasm failed (crash, missing mount, runtime load error) rather than PHP exiting non-zero. */
export class PhpRuntimeError extends Error {
  override readonly name = 'PhpRuntimeError';
  constructor(
    message: string,
    readonly stdout = '',
    readonly stderr = '',
  ) {
    super(message);
  }
}

export const DEFAULT_TIMEOUT_MS = 10 * 60_000;

const RESERVED_VFS_ROOTS = ['/internal', '/proc', '/dev', '/request'];

/** Resolves the runtime package once; each cli() then boots from it. */
export async function createPhpRuntime(options: PhpRuntimeOptions): Promise<PhpRuntime> {
  const mounts = options.mounts.map(validateMount);
  assertDistinctMounts(mounts);
  const pkg =
    options.resolvedPackage ??
    (await resolveRuntimePackage(options.phpVersion, options.runtimePackage));
  const workerUrl = options.workerUrl ?? new URL('./php-worker.mjs', import.meta.url);
  const baseIni = options.ini ?? {};
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  let nextProcessId = 1;

  return {
    phpVersion: options.phpVersion,
    mounts: mounts.map(({ hostPath, vfsPath, readOnly }) => ({ hostPath, vfsPath, readOnly })),
    cli(argv, cliOptions = {}) {
      if (argv[0] !== 'php') {
        return Promise.reject(new Error(`PhpRuntime.cli: argv[0] must be 'php', got ${argv[0]}`));
      }
      const ini = { ...baseIni, ...cliOptions.ini };
      if (cliOptions.memoryLimit !== undefined) ini.memory_limit = cliOptions.memoryLimit;
      return runInWorker(workerUrl, {
        input: {
          loaderPath: pkg.loaderPath,
          processId: nextProcessId++,
          mounts,
          argv: [...argv],
          env: { ...cliOptions.env },
          cwd: cliOptions.cwd,
          ini,
        },
        timeoutMs: cliOptions.timeoutMs ?? defaultTimeoutMs,
        onStdout: cliOptions.onStdout,
        onStderr: cliOptions.onStderr,
      });
    },
    async request(request, httpOptions) {
      const ini = { ...baseIni, ...httpOptions.ini };
      if (httpOptions.memoryLimit !== undefined) ini.memory_limit = httpOptions.memoryLimit;
      const result = await runInWorker(workerUrl, {
        input: {
          loaderPath: pkg.loaderPath,
          processId: nextProcessId++,
          mounts,
          argv: ['php', request.url],
          env: {},
          cwd: undefined,
          ini,
          request: {
            method: request.method ?? 'GET',
            url: request.url,
            headers: { ...request.headers },
            ...(request.body !== undefined
              ? {
                  body:
                    typeof request.body === 'string'
                      ? new TextEncoder().encode(request.body)
                      : request.body,
                }
              : {}),
            documentRoot: httpOptions.documentRoot,
            absoluteUrl: httpOptions.absoluteUrl,
            pathAliases: httpOptions.pathAliases ?? [],
          },
        },
        timeoutMs: httpOptions.timeoutMs ?? defaultTimeoutMs,
        onStdout: httpOptions.onStdout,
        onStderr: httpOptions.onStderr,
      });
      const response = result.response;
      if (!response) throw new PhpRuntimeError('php-wasm answered the request without a response');
      return {
        ...response,
        text: Buffer.from(response.body).toString('utf8'),
        durationMs: result.durationMs,
        bootMs: result.bootMs,
      };
    },
  };
}

interface WorkerResponse {
  status: number;
  headers: Record<string, string[]>;
  body: Uint8Array;
  errors: string;
  exitCode: number;
}

interface WorkerMount extends PhpMount {
  isFile: boolean;
}

function validateMount(mount: PhpMount): WorkerMount {
  const { vfsPath } = mount;
  if (!posix.isAbsolute(vfsPath) || posix.normalize(vfsPath) !== vfsPath || vfsPath === '/') {
    throw new Error(`PHP mount target must be a normalised absolute path below /: ${vfsPath}`);
  }
  if (vfsPath.endsWith('/')) throw new Error(`PHP mount target has a trailing slash: ${vfsPath}`);
  const reserved = RESERVED_VFS_ROOTS.find((r) => vfsPath === r || vfsPath.startsWith(`${r}/`));
  if (reserved) throw new Error(`PHP mount target ${vfsPath} is inside php-wasm's ${reserved}`);
  let hostPath: string;
  try {
    hostPath = realpathSync(mount.hostPath);
  } catch {
    throw new Error(`PHP mount source does not exist: ${mount.hostPath}`);
  }
  const stat = statSync(hostPath);
  if (!stat.isFile() && !stat.isDirectory()) {
    throw new Error(`PHP mount source is neither a file nor a directory: ${mount.hostPath}`);
  }
  return { hostPath, vfsPath, readOnly: mount.readOnly, isFile: stat.isFile() };
}

function assertDistinctMounts(mounts: readonly WorkerMount[]): void {
  const seen = new Set<string>();
  for (const { vfsPath } of mounts) {
    if (seen.has(vfsPath)) throw new Error(`Two PHP mounts target ${vfsPath}`);
    seen.add(vfsPath);
  }
}

type WorkerMessage =
  | { type: 'started' }
  | { type: 'stdout' | 'stderr'; chunk: Uint8Array }
  | { type: 'exit'; exitCode: number }
  | ({ type: 'response' } & WorkerResponse)
  | { type: 'error'; message: string; stack?: string };

interface WorkerRun {
  input: {
    loaderPath: string;
    processId: number;
    mounts: WorkerMount[];
    argv: string[];
    env: Record<string, string>;
    cwd: string | undefined;
    ini: Record<string, string>;
    request?: {
      method: string;
      url: string;
      headers: Record<string, string>;
      body?: Uint8Array;
      documentRoot: string;
      absoluteUrl: string;
      pathAliases: { urlPrefix: string; fsPath: string }[];
    };
  };
  timeoutMs: number;
  onStdout: ((chunk: string) => void) | undefined;
  onStderr: ((chunk: string) => void) | undefined;
}

function runInWorker(
  workerUrl: URL,
  run: WorkerRun,
): Promise<PhpCliResult & { response?: WorkerResponse }> {
  const started = performance.now();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  // Output of the worker's own console (php-wasm's logger), kept for error messages only.
  const diagnostics: Buffer[] = [];
  const text = (chunks: Buffer[]): string => Buffer.concat(chunks).toString('utf8');

  return new Promise<PhpCliResult & { response?: WorkerResponse }>((resolve, reject) => {
    const worker = new Worker(workerUrl, {
      workerData: run.input,
      // The worker gets an empty process.env: nothing of the host environment reaches php-wasm.
      env: {},
      stdout: true,
      stderr: true,
    });
    worker.stdout.on('data', (chunk: Buffer) => diagnostics.push(chunk));
    worker.stderr.on('data', (chunk: Buffer) => diagnostics.push(chunk));
    let bootMs = 0;
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
      // terminate() is the only reliable stop for WASM stuck in a loop; harmless after exit.
      void worker.terminate();
    };
    const timer = setTimeout(() => {
      settle(() => {
        reject(new PhpTimeoutError(run.timeoutMs, run.input.argv, text(stdout), text(stderr)));
      });
    }, run.timeoutMs);

    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'started':
          bootMs = performance.now() - started;
          break;
        case 'stdout':
        case 'stderr': {
          const chunk = Buffer.from(message.chunk);
          (message.type === 'stdout' ? stdout : stderr).push(chunk);
          const listener = message.type === 'stdout' ? run.onStdout : run.onStderr;
          listener?.(chunk.toString('utf8'));
          break;
        }
        case 'exit':
          settle(() => {
            resolve({
              exitCode: message.exitCode,
              stdout: text(stdout),
              stderr: text(stderr),
              durationMs: performance.now() - started,
              bootMs,
            });
          });
          break;
        case 'response':
          settle(() => {
            const { status, headers, body, errors } = message;
            resolve({
              exitCode: message.exitCode,
              stdout: text(stdout),
              stderr: text(stderr),
              durationMs: performance.now() - started,
              bootMs,
              response: {
                status,
                headers,
                body: new Uint8Array(body),
                errors,
                exitCode: message.exitCode,
              },
            });
          });
          break;
        case 'error':
          settle(() => {
            const detail = text(diagnostics).trim();
            reject(
              new PhpRuntimeError(
                `php-wasm failed: ${message.message}${detail ? `\n${detail}` : ''}`,
                text(stdout),
                text(stderr),
              ),
            );
          });
          break;
      }
    });
    worker.on('error', (error) => {
      settle(() => {
        reject(
          new PhpRuntimeError(`PHP worker crashed: ${error.message}`, text(stdout), text(stderr)),
        );
      });
    });
    worker.on('exit', (code) => {
      settle(() => {
        reject(
          new PhpRuntimeError(
            `PHP worker exited (code ${code}) before PHP finished\n${text(diagnostics)}`.trim(),
            text(stdout),
            text(stderr),
          ),
        );
      });
    });
  });
}
