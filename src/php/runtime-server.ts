// A PHP web server runtime: one worker (one php-wasm instance) that answers many HTTP requests,
// one at a time, for the smoke crawl and `serve`. A fresh runtime per request (PhpRuntime.request)
// pays the boot and a cold WebAssembly engine every time (2.5–5 s a Moodle page here); a warm
// instance answers the same page in about 0.5 s. Each request keeps its own bounds (time, output,
// bytes written) and its own database session; a request that runs over its time or crashes PHP
// ends the worker, and the next request starts a new one. PHP's state ends with each request, as in
// any web server; what persists between requests is on disk (the site's dataroot and database).
import { Worker, type MessagePort } from 'node:worker_threads';
import {
  classifyCrash,
  JSPI_STACK_KB,
  PhpCrashError,
  PhpRuntimeError,
  PhpTimeoutError,
  RunOutput,
} from './runtime-limits.js';
import type { PhpRunLimits } from './runtime-limits.js';

export interface PhpHttpRequest {
  method?: string;
  /** Path (and query) or absolute URL on `absoluteUrl`. */
  url: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
}

export interface PhpHttpResponse extends PhpRunLimits {
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

export interface ServerWorkerInput {
  loaderPath: string;
  build: 'jspi' | 'asyncify';
  intl?: { soPath: string; icuDataPath: string; phpVersion: string };
  processId: number;
  mounts: unknown[];
  argv: string[];
  env: Record<string, string>;
  cwd: undefined;
  ini: Record<string, string>;
  serve: true;
}

export interface ServerRequest extends PhpHttpRequest {
  documentRoot: string;
  absoluteUrl: string;
  pathAliases?: { urlPrefix: string; fsPath: string }[];
}

export interface PhpServerOptions {
  workerUrl: URL;
  input: () => ServerWorkerInput;
  limits: { maxOutputBytes: number; diskQuotaBytes: number; workerHeapMb: number };
  /** A worker is replaced after this many requests (php-wasm's memory grows slowly). */
  maxRequestsPerWorker?: number;
}

interface Pending {
  id: number;
  output: RunOutput;
  started: number;
  phpStarted: boolean;
  bootMs: number;
  timer: NodeJS.Timeout;
  resolve: (r: PhpHttpResponse) => void;
  reject: (e: Error) => void;
  argv: string[];
}

type Message =
  | { type: 'ready' }
  | { type: 'started' }
  | {
      type: 'response';
      id: number;
      status: number;
      headers: Record<string, string[]>;
      body: Uint8Array;
      errors: string;
      exitCode: number;
    }
  | { type: 'error'; id?: number; name?: string; message: string };

/** Requests in order, one at a time, on a warm worker. */
export class PhpServer {
  private worker: Worker | undefined;
  private served = 0;
  private nextId = 1;
  private current: Pending | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private workerStarted = 0;

  constructor(private readonly options: PhpServerOptions) {}

  /** Answers one request after those already queued; `db` is this request's database session. */
  request(
    request: ServerRequest,
    options: {
      timeoutMs: number;
      db?: () => Promise<{ port: MessagePort; end: () => Promise<void> }>;
    },
  ): Promise<PhpHttpResponse> {
    const run = this.chain.then(async () => {
      if (this.closed) throw new PhpRuntimeError('the PHP server is closed');
      const session = options.db ? await options.db() : undefined;
      try {
        return await this.send(request, options.timeoutMs, session?.port);
      } finally {
        await session?.end();
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Ends the worker after the requests already queued; the next request starts a fresh one. Call
   * it after another PHP run changed the site's files: a worker's filesystem remembers the files
   * it has seen, so one deleted by another process (a cache purged by upgrade.php) would still
   * look present to it.
   */
  recycle(): Promise<void> {
    const run = this.chain.then(() => this.stop());
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
    await this.stop();
  }

  private async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.served = 0;
    if (w) await w.terminate();
  }

  /** Output bounds and counters for one request (a web response: the head of its body). */
  private newOutput(): RunOutput {
    const { limits } = this.options;
    return new RunOutput({
      maxOutputBytes: limits.maxOutputBytes,
      diskQuotaBytes: limits.diskQuotaBytes,
      mode: 'request',
      onStdout: undefined,
      onStderr: undefined,
    });
  }

  private spawn(): Worker {
    const { limits } = this.options;
    // The worker sets up its disk quota on these; each request brings its own.
    const output = this.newOutput();
    this.workerStarted = performance.now();
    const worker = new Worker(this.options.workerUrl, {
      workerData: {
        ...this.options.input(),
        limits: {
          maxOutputBytes: limits.maxOutputBytes,
          diskQuotaBytes: limits.diskQuotaBytes,
          jspiStackKb: JSPI_STACK_KB,
        },
        shared: output.shared,
      },
      env: {},
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: limits.workerHeapMb },
    });
    // php-wasm's own console output is not the request's; drained so it never blocks.
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on('message', (m: Message) => {
      this.onMessage(worker, m);
    });
    worker.on('error', (e: Error & { code?: string }) => {
      this.onGone(worker, e.name, e.message, e.code);
    });
    worker.on('exit', (code) => {
      this.onGone(worker, 'WorkerExit', `the PHP worker exited (code ${code})`, 'WORKER_EXIT');
    });
    return worker;
  }

  private send(
    request: ServerRequest,
    timeoutMs: number,
    db: MessagePort | undefined,
  ): Promise<PhpHttpResponse> {
    const max = this.options.maxRequestsPerWorker ?? 200;
    if (this.worker && this.served >= max) void this.stop();
    const fresh = this.worker === undefined;
    const worker = (this.worker ??= this.spawn());
    this.served++;
    const output = this.newOutput();
    const id = this.nextId++;
    const argv = ['php', request.url];
    return new Promise<PhpHttpResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.current;
        if (p?.id !== id) return;
        this.current = undefined;
        void this.stop().then(() => {
          const { stdout, stderr, limits: used } = output.finish();
          reject(new PhpTimeoutError(timeoutMs, argv, stdout, stderr, used));
        });
      }, timeoutMs);
      this.current = {
        id,
        output,
        started: fresh ? this.workerStarted : performance.now(),
        phpStarted: false,
        bootMs: 0,
        timer,
        resolve,
        reject,
        argv,
      };
      const body =
        request.body === undefined
          ? undefined
          : typeof request.body === 'string'
            ? new TextEncoder().encode(request.body)
            : request.body;
      worker.postMessage(
        {
          type: 'request',
          id,
          shared: output.shared,
          ...(db ? { db } : {}),
          request: {
            method: request.method ?? 'GET',
            url: request.url,
            headers: { ...request.headers },
            ...(body ? { body } : {}),
            documentRoot: request.documentRoot,
            absoluteUrl: request.absoluteUrl,
            pathAliases: request.pathAliases ?? [],
          },
        },
        db ? [db] : [],
      );
    });
  }

  private onMessage(worker: Worker, m: Message): void {
    if (worker !== this.worker) return;
    const p = this.current;
    if (m.type === 'ready' || !p) return;
    if (m.type === 'started') {
      p.phpStarted = true;
      p.bootMs = performance.now() - p.started;
      return;
    }
    if (m.id !== undefined && m.id !== p.id) return;
    clearTimeout(p.timer);
    this.current = undefined;
    const { stdout, stderr, limits: used } = p.output.finish();
    if (m.type === 'error') {
      // PHP died inside the request: the instance cannot be trusted with another.
      void this.stop();
      p.reject(
        new PhpCrashError(
          classifyCrash(m.name ?? 'Error', m.message),
          `${m.name ?? 'Error'}: ${m.message}`,
          p.argv,
          stdout,
          stderr,
          used,
        ),
      );
      return;
    }
    p.resolve({
      status: m.status,
      headers: m.headers,
      body: new Uint8Array(m.body),
      text: Buffer.from(m.body).toString('utf8'),
      errors: m.errors,
      exitCode: m.exitCode,
      durationMs: performance.now() - p.started,
      bootMs: p.bootMs,
      ...used,
    });
  }

  private onGone(worker: Worker, name: string, message: string, code?: string): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    this.served = 0;
    const p = this.current;
    if (!p) return;
    clearTimeout(p.timer);
    this.current = undefined;
    const { stdout, stderr, limits: used } = p.output.finish();
    p.reject(
      p.phpStarted
        ? new PhpCrashError(
            classifyCrash(name, message, code),
            `${name}: ${message}`,
            p.argv,
            stdout,
            stderr,
            used,
          )
        : new PhpRuntimeError(`php-wasm failed: ${message}`, stdout, stderr, used),
    );
  }
}
