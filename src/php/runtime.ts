// Over 400 lines: the PhpRuntime seam and the worker protocol it speaks are one contract (options,
// mounts, messages, errors); its limits and package lookup already live apart (runtime-limits.ts,
// runtime-package.ts).
// The PhpRuntime seam: what the pipeline, checks and blueprint steps use to run PHP. The only
// module (with its worker) that touches php-wasm. Every cli() call gets a fresh WASM runtime in its
// own worker thread: php-wasm runtimes are single-use after cli(), leak memory on large includes,
// and a worker is the one thing we can kill when PHP loops forever.
import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { Worker, type MessagePort } from 'node:worker_threads';
import {
  classifyCrash,
  DEFAULT_DISK_QUOTA_BYTES,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_WORKER_HEAP_MB,
  describeCrash,
  JSPI_STACK_KB,
  PhpCrashError,
  PhpRuntimeError,
  PhpTimeoutError,
  RunOutput,
  RUNTIME_INI,
  type PhpCrashKind,
  type PhpRunLimits,
} from './runtime-limits.js';
import {
  resolveRuntimePackage,
  type PhpVersion,
  type RuntimePackage,
  type RuntimePackageOptions,
} from './runtime-package.js';
import { PhpServer, type PhpHttpRequest, type PhpHttpResponse } from './runtime-server.js';

export {
  DEFAULT_DISK_QUOTA_BYTES,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_WORKER_HEAP_MB,
  describeCrash,
  PhpCrashError,
  PhpRuntimeError,
  PhpTimeoutError,
  type PhpCrashKind,
  type PhpRunLimits,
  PhpServer,
  type PhpHttpRequest,
  type PhpHttpResponse,
};

export interface PhpMount {
  /** Host file or directory; must exist. */
  hostPath: string;
  /** Absolute path inside PHP's virtual filesystem. */
  vfsPath: string;
  /** Writes, creates, deletes, renames and chmods under a read-only mount fail with EROFS. */
  readOnly: boolean;
  /**
   * The host changes it while PHP runs (files written between a warm server's requests, a plugin
   * being edited under `serve`): its lookups are not memoised like other read-only mounts'.
   */
  changing?: boolean;
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
  /**
   * Streamed output: every byte that is kept, so the chunks add up to the result's stdout
   * (stderr): the head as PHP prints it, then, when the run ends, the dropped-bytes line and the
   * tail (see PhpRuntimeOptions.maxOutputBytes).
   */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /**
   * The site's database session (PgliteDatabase.session().port): PHP's pg_* bridge talks to
   * PostgreSQL through it. Moved into the run's worker; usable for one call only.
   */
  db?: MessagePort;
  /**
   * Progress events PHP sends with post_message_to_js('mpc:phpunit:<text>') (our PHPUnit results
   * collector, php/phpunit/results.php): each one's text, in order. Nothing else is forwarded.
   */
  onProgress?: (text: string) => void;
  /**
   * With onProgress: every event restarts the time limit, so `timeoutMs` bounds the time between
   * two events (one test) rather than the whole run; `maxTotalMs` still bounds the whole run.
   */
  timeoutRestartsOnProgress?: boolean;
  maxTotalMs?: number;
}

export interface PhpCliResult extends PhpRunLimits {
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
  /**
   * A warm web server on these mounts: one php-wasm instance answering requests one at a time
   * (runtime-server.ts). `ini` applies to every request; close() it when done.
   */
  server(options: { ini?: Record<string, string>; memoryLimit?: string }): PhpServer;
}

export interface PhpHttpOptions extends Omit<PhpCliOptions, 'cwd' | 'env'> {
  /** VFS folder URLs are served from. */
  documentRoot: string;
  /** What $_SERVER says the site is, e.g. http://localhost (must match Moodle's wwwroot). */
  absoluteUrl: string;
  /** URL prefixes served from VFS folders outside the document root. */
  pathAliases?: { urlPrefix: string; fsPath: string }[];
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
  /**
   * Output kept per stream (stdout, stderr) and run: the first half and the last half; what lies
   * between is counted (`stdoutDroppedBytes`) and replaced by one line saying so. A web request
   * keeps the first maxOutputBytes of its body. Default DEFAULT_MAX_OUTPUT_BYTES (8 MiB).
   */
  maxOutputBytes?: number;
  /**
   * Bytes one run may write into files (writable mounts and the in-memory /tmp); a write beyond
   * fails with ENOSPC inside PHP and the result says `diskQuotaExceeded`. Default 2 GiB.
   */
  diskQuotaBytes?: number;
  /** JavaScript heap of each run's worker, in MB (WASM memory is not on it). Default 1024. */
  workerHeapMb?: number;
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
  const baseIni = { ...RUNTIME_INI, ...options.ini };
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limits: WorkerLimits = {
    maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
    diskQuotaBytes: options.diskQuotaBytes ?? DEFAULT_DISK_QUOTA_BYTES,
    workerHeapMb: options.workerHeapMb ?? DEFAULT_WORKER_HEAP_MB,
  };
  let nextProcessId = 1;

  return {
    phpVersion: options.phpVersion,
    mounts: mounts.map(({ hostPath, vfsPath, readOnly, changing }) => ({
      hostPath,
      vfsPath,
      readOnly,
      ...(changing ? { changing } : {}),
    })),
    cli(argv, cliOptions = {}) {
      if (argv[0] !== 'php') {
        return Promise.reject(new Error(`PhpRuntime.cli: argv[0] must be 'php', got ${argv[0]}`));
      }
      const ini = { ...baseIni, ...cliOptions.ini };
      if (cliOptions.memoryLimit !== undefined) ini.memory_limit = cliOptions.memoryLimit;
      return runInWorker(workerUrl, limits, {
        input: {
          loaderPath: pkg.loaderPath,
          build: pkg.build,
          ...(pkg.intl ? { intl: pkg.intl } : {}),
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
        db: cliOptions.db,
        onProgress: cliOptions.onProgress,
        restartOnProgress: cliOptions.timeoutRestartsOnProgress === true,
        maxTotalMs: cliOptions.maxTotalMs,
      });
    },
    server(serverOptions) {
      const ini = { ...baseIni, ...serverOptions.ini };
      if (serverOptions.memoryLimit !== undefined) ini.memory_limit = serverOptions.memoryLimit;
      return new PhpServer({
        workerUrl,
        limits,
        input: () => ({
          loaderPath: pkg.loaderPath,
          build: pkg.build,
          ...(pkg.intl ? { intl: pkg.intl } : {}),
          processId: nextProcessId++,
          mounts,
          argv: ['php'],
          env: {},
          cwd: undefined,
          ini,
          serve: true,
        }),
      });
    },
    async request(request, httpOptions) {
      const ini = { ...baseIni, ...httpOptions.ini };
      if (httpOptions.memoryLimit !== undefined) ini.memory_limit = httpOptions.memoryLimit;
      const result = await runInWorker(workerUrl, limits, {
        input: {
          loaderPath: pkg.loaderPath,
          build: pkg.build,
          ...(pkg.intl ? { intl: pkg.intl } : {}),
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
        db: httpOptions.db,
        onProgress: undefined,
        restartOnProgress: false,
        maxTotalMs: undefined,
      });
      const response = result.response;
      if (!response) throw new PhpRuntimeError('php-wasm answered the request without a response');
      return {
        ...response,
        text: Buffer.from(response.body).toString('utf8'),
        durationMs: result.durationMs,
        bootMs: result.bootMs,
        stdoutDroppedBytes: result.stdoutDroppedBytes,
        stderrDroppedBytes: result.stderrDroppedBytes,
        maxOutputBytes: result.maxOutputBytes,
        writtenBytes: result.writtenBytes,
        diskQuotaExceeded: result.diskQuotaExceeded,
        diskQuotaBytes: result.diskQuotaBytes,
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

interface WorkerLimits {
  maxOutputBytes: number;
  diskQuotaBytes: number;
  workerHeapMb: number;
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
  return {
    hostPath,
    vfsPath,
    readOnly: mount.readOnly,
    ...(mount.changing ? { changing: true } : {}),
    isFile: stat.isFile(),
  };
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
  | { type: 'progress'; text: string }
  | ({ type: 'response' } & WorkerResponse)
  | { type: 'error'; name?: string; message: string; stack?: string };

interface WorkerRun {
  input: {
    loaderPath: string;
    build: RuntimePackage['build'];
    intl?: RuntimePackage['intl'];
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
  db: MessagePort | undefined;
  onProgress: ((text: string) => void) | undefined;
  restartOnProgress: boolean;
  maxTotalMs: number | undefined;
}

function runInWorker(
  workerUrl: URL,
  limits: WorkerLimits,
  run: WorkerRun,
): Promise<PhpCliResult & { response?: WorkerResponse }> {
  const started = performance.now();
  const output = new RunOutput({
    maxOutputBytes: limits.maxOutputBytes,
    diskQuotaBytes: limits.diskQuotaBytes,
    mode: run.input.request === undefined ? 'cli' : 'request',
    onStdout: run.onStdout,
    onStderr: run.onStderr,
  });
  // Output of the worker's own console (php-wasm's logger), kept for error messages only.
  const diagnostics: Buffer[] = [];
  let diagnosticBytes = 0;
  const diagnosticText = (): string => Buffer.concat(diagnostics).toString('utf8').trim();

  return new Promise<PhpCliResult & { response?: WorkerResponse }>((resolve, reject) => {
    const worker = new Worker(workerUrl, {
      workerData: {
        ...run.input,
        limits: {
          maxOutputBytes: limits.maxOutputBytes,
          diskQuotaBytes: limits.diskQuotaBytes,
          jspiStackKb: JSPI_STACK_KB,
        },
        shared: output.shared,
        ...(run.db ? { db: run.db } : {}),
      },
      transferList: run.db ? [run.db] : [],
      // The worker gets an empty process.env: nothing of the host environment reaches php-wasm.
      env: {},
      stdout: true,
      stderr: true,
      // Out of heap, V8 then ends this worker with ERR_WORKER_OUT_OF_MEMORY, not the process.
      resourceLimits: { maxOldGenerationSizeMb: limits.workerHeapMb },
    });
    const keepDiagnostic = (chunk: Buffer): void => {
      if (diagnosticBytes > 64 * 1024) return; // php-wasm logs an abort once; never a flood
      diagnostics.push(chunk);
      diagnosticBytes += chunk.byteLength;
    };
    worker.stdout.on('data', keepDiagnostic);
    worker.stderr.on('data', keepDiagnostic);
    let bootMs = 0;
    let phpStarted = false;
    let settled = false;
    // The shared output and counters are read once the worker has stopped writing them.
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(totalTimer);
      // terminate() is the only reliable stop for WASM stuck in a loop; harmless after exit.
      worker.terminate().then(outcome, outcome);
    };
    const timeUp = (ms: number) => (): void => {
      settle(() => {
        const { stdout, stderr, limits: used } = output.finish();
        reject(new PhpTimeoutError(ms, run.input.argv, stdout, stderr, used));
      });
    };
    let timer = setTimeout(timeUp(run.timeoutMs), run.timeoutMs);
    const totalTimer =
      run.maxTotalMs !== undefined ? setTimeout(timeUp(run.maxTotalMs), run.maxTotalMs) : undefined;
    /** A failure after PHP started is a crash of the code it ran; before, one of the runtime. */
    const fail = (name: string, message: string, code?: string): void => {
      settle(() => {
        const { stdout, stderr, limits: used } = output.finish();
        const detail = diagnosticText();
        if (!phpStarted) {
          reject(
            new PhpRuntimeError(
              `php-wasm failed: ${message}${detail ? `\n${detail}` : ''}`,
              stdout,
              stderr,
              used,
            ),
          );
          return;
        }
        const kind = classifyCrash(name, message, code);
        reject(
          new PhpCrashError(kind, `${name}: ${message}`, run.input.argv, stdout, stderr, used),
        );
      });
    };

    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'started':
          bootMs = performance.now() - started;
          phpStarted = true;
          break;
        case 'stdout':
        case 'stderr':
          output.push(message.type, message.chunk);
          break;
        case 'progress':
          if (settled) break;
          if (run.restartOnProgress) {
            clearTimeout(timer);
            timer = setTimeout(timeUp(run.timeoutMs), run.timeoutMs);
          }
          run.onProgress?.(message.text);
          break;
        case 'exit':
          settle(() => {
            const { stdout, stderr, limits: used } = output.finish();
            resolve({
              exitCode: message.exitCode,
              stdout,
              stderr,
              durationMs: performance.now() - started,
              bootMs,
              ...used,
            });
          });
          break;
        case 'response':
          settle(() => {
            const { status, headers, body, errors } = message;
            const { stdout, stderr, limits: used } = output.finish();
            resolve({
              exitCode: message.exitCode,
              stdout,
              stderr,
              durationMs: performance.now() - started,
              bootMs,
              ...used,
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
          fail(message.name ?? 'Error', message.message);
          break;
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      fail(error.name, error.message, error.code);
    });
    worker.on('exit', (code) => {
      fail('WorkerExit', `the PHP worker exited (code ${code}) before PHP finished`, 'WORKER_EXIT');
    });
  });
}
