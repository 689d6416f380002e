// PostgreSQL in the process: a PGlite instance per site, in its own worker thread (pglite-worker.mjs),
// that every PHP run of the site talks to through a MessagePort of its own (a session). This
// module starts and stops that worker and hands out sessions. The cluster lives in a host folder
// of the site (PGlite's NODEFS): a snapshot is a copy of that folder once close() has shut it down.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { npmPackageDir, type NpmPackageOptions, type PackageSpec } from './runtime-package.js';

/** The PGlite release we run (PostgreSQL 18.7 inside); pinned like the PHP runtimes. */
export const PGLITE_SPEC: PackageSpec = {
  name: '@electric-sql/pglite',
  version: '0.5.17',
  integrity:
    'sha512-8SvKjiUjaU+0O0dbxjOfN+jXz14TEqDWbwDkYOW1aQ11y/ph2JvFVI27ABBo5nfw+ZfSqy4hKCNlbnbB1TDE+g==',
};

const DEFAULT_MAX_GROWTH_BYTES = 2 * 1024 ** 3;

/** How long a session's end (rollback) may take before the database counts as hung. */
const END_TIMEOUT_MS = 10_000;
/** Starting PostgreSQL: initdb (~3 s) or a data dir restored (~0.5 s), on a slow machine. */
const START_TIMEOUT_MS = 120_000;

/** The entry module of the package, from node_modules or the cache (downloaded, verified). */
export async function pgliteEntry(options: NpmPackageOptions = {}): Promise<string> {
  const { dir } = await npmPackageDir(
    PGLITE_SPEC,
    options,
    // Only the runtime: the contrib extension tarballs and source maps are not used.
    /^package\/(package\.json|LICENSE|dist\/[^/]+\.(js|wasm|data)|dist\/(fs|worker)\/.*\.js)$/,
  );
  return join(dir, 'dist/index.js');
}

export class PgliteError extends Error {
  override name = 'PgliteError';
}

/** One PHP run's connection: give `port` to the PHP worker, call end() once it has stopped. */
export interface PgliteSession {
  port: MessagePort;
  end(): Promise<void>;
}

type DbMessage =
  | { type: 'ready'; serverVersion: string; startMs: number }
  | { type: 'error'; message: string }
  | { type: 'fatal'; message: string }
  | { type: 'ended' | 'closed'; id: number };

export interface PgliteStartOptions {
  /** Host folder of the cluster: an existing one is opened, an empty or missing one initialised. */
  dataDir: string;
  /** The PGlite entry module; pgliteEntry() when absent. */
  entry?: string;
  package?: NpmPackageOptions;
  /** Where pglite-worker.mjs lives; beside this module by default (src/php or dist/). */
  workerUrl?: URL;
  /** How long a session's end may take before the database counts as hung (default 10 s). */
  endTimeoutMs?: number;
  /** How much the cluster may grow (the site's disk quota); default 2 GiB. */
  maxGrowthBytes?: number;
}

/** A running PGlite. Every method but close() rejects once it has failed or was stopped. */
export class PgliteDatabase {
  private nextId = 1;
  private readonly replies = new Map<number, (message: DbMessage) => void>();
  private failure: string | undefined;
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    readonly serverVersion: string,
    readonly startMs: number,
    private readonly endTimeoutMs: number,
  ) {
    worker.on('message', (message: DbMessage) => {
      if (message.type === 'fatal') this.failure ??= message.message;
      if ('id' in message) {
        const reply = this.replies.get(message.id);
        this.replies.delete(message.id);
        reply?.(message);
      }
    });
    const stop = (why: string): void => {
      this.failure ??= why;
      for (const reply of this.replies.values()) reply({ type: 'error', message: why });
      this.replies.clear();
    };
    worker.on('error', (error) => {
      stop(`PGlite failed: ${error.message}`);
    });
    worker.on('exit', () => {
      stop('PGlite stopped');
    });
  }

  static async start(options: PgliteStartOptions): Promise<PgliteDatabase> {
    const entry = options.entry ?? (await pgliteEntry(options.package));
    const workerUrl = options.workerUrl ?? new URL('./pglite-worker.mjs', import.meta.url);
    mkdirSync(options.dataDir, { recursive: true });
    const worker = new Worker(workerUrl, {
      workerData: {
        pglitePath: entry,
        dataDir: options.dataDir,
        maxGrowthBytes: options.maxGrowthBytes ?? DEFAULT_MAX_GROWTH_BYTES,
      },
      // Nothing of the host environment reaches PostgreSQL.
      env: {},
      stdout: true,
      stderr: true,
    });
    const diagnostics: string[] = [];
    const keep = (chunk: Buffer): void => {
      if (diagnostics.join('').length < 16_384) diagnostics.push(chunk.toString('utf8'));
    };
    worker.stdout.on('data', keep);
    worker.stderr.on('data', keep);
    const ready = await new Promise<{ serverVersion: string; startMs: number }>(
      (resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new PgliteError(`PGlite did not start within ${START_TIMEOUT_MS / 1000} s`));
        }, START_TIMEOUT_MS);
        const fail = (why: string): void => {
          clearTimeout(timer);
          const detail = diagnostics.join('').trim();
          reject(new PgliteError(`PGlite did not start: ${why}${detail ? `\n${detail}` : ''}`));
        };
        worker.once('message', (message: DbMessage) => {
          clearTimeout(timer);
          if (message.type === 'ready') resolve(message);
          else fail('message' in message ? message.message : message.type);
        });
        worker.once('error', (error) => {
          fail(error.message);
        });
        worker.once('exit', (code) => {
          fail(`its worker exited (code ${code})`);
        });
      },
    ).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    return new PgliteDatabase(
      worker,
      ready.serverVersion,
      ready.startMs,
      options.endTimeoutMs ?? END_TIMEOUT_MS,
    );
  }

  /** Why the database cannot be used any more, if it cannot. */
  get failed(): string | undefined {
    return this.failure;
  }

  private ask(
    message: Record<string, unknown>,
    transfer: MessagePort[] = [],
    timeoutMs?: number,
  ): Promise<DbMessage> {
    if (this.failure !== undefined) return Promise.reject(new PgliteError(this.failure));
    if (this.closed) return Promise.reject(new PgliteError('PGlite was closed'));
    const id = this.nextId++;
    return new Promise<DbMessage>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.replies.delete(id);
              reject(new PgliteError(`PGlite did not answer within ${timeoutMs / 1000} s`));
            }, timeoutMs);
      this.replies.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.type === 'error') reject(new PgliteError(reply.message));
        else resolve(reply);
      });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /**
   * A connection for one PHP run. Sessions are served one after the other: a second run's queries
   * wait until the first run's session has ended.
   */
  session(): PgliteSession {
    const { port1, port2 } = new MessageChannel();
    const id = this.nextId++;
    if (this.failure === undefined && !this.closed) {
      this.worker.postMessage({ type: 'session', id, port: port1 }, [port1]);
    } else {
      port1.close();
    }
    let ended: Promise<void> | undefined;
    return {
      port: port2,
      end: () => {
        ended ??= this.endSession(id);
        return ended;
      },
    };
  }

  /**
   * Rolls back what the run left open. A database that does not answer is stuck in a statement
   * that never ends (the PHP run was stopped for it): it is terminated, and the site is lost.
   */
  private async endSession(id: number): Promise<void> {
    if (this.failure !== undefined || this.closed) return;
    const replies = this.replies;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        replies.delete(id);
        this.failure ??= `PGlite was stopped: a statement was still running ${this.endTimeoutMs / 1000} s after its PHP run ended`;
        void this.worker.terminate().then(() => {
          resolve();
        });
      }, this.endTimeoutMs);
      replies.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage({ type: 'end', id });
    });
  }

  /** Shuts PostgreSQL down and ends the worker; safe to call more than once or after a failure. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failure === undefined) {
      await this.ask({ type: 'close' }, [], END_TIMEOUT_MS).catch(() => undefined);
    }
    this.closed = true;
    await this.worker.terminate();
  }
}
