// The bounds of one PHP run and what they did, shared by runtime.ts and php-worker.mjs: the
// output kept per stream, the bytes PHP may write into files, the engine stack PHP may use, how a
// run that died (rather than exited) is named, and the errors that carry all of it.
import { StringDecoder } from 'node:string_decoder';

/**
 * Output kept per stream and run: the first half as it comes, the last half when the run ends
 * (an install's errors come last; the way in comes first). Moodle's install of a plugin prints a
 * few KB; a site install well under 1 MB.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * Bytes one run may write into files. Measured on Moodle 4.5: a cold site install writes 194 MB
 * (SQLite rewrites pages, and every rewrite counts), installing mod_example 1.9 MB. 2 GiB is ten
 * cold installs, and still fits the free disk (and memory, for /tmp) of a CI runner.
 */
export const DEFAULT_DISK_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * The worker's JavaScript heap (V8 old generation). A Moodle run needs well under 200 MB of it
 * (WASM memory is not on it); with a limit, running out ends the worker, not the whole process.
 */
export const DEFAULT_WORKER_HEAP_MB = 1024;

/**
 * php.ini of every run. php-wasm's PHP 8.3 build has a 1 MiB WebAssembly stack, and PHP cannot
 * find its size by itself, so recursion through internal calls (array_map, usort, __get,
 * __toString, serialize()) overran it and corrupted memory: an abort, a hang or a wrong result.
 * With the limit set PHP throws "Maximum call stack size … reached. Infinite recursion?" at the
 * line that recursed, with half the stack left for Moodle's error handling. PHP < 8.3 ignores it.
 */
export const RUNTIME_INI: Readonly<Record<string, string>> = {
  'zend.max_allowed_stack_size': String(512 * 1024),
};

/**
 * Native stack, in KB, of the JSPI build's WebAssembly. JSPI runs it on V8's secondary stacks,
 * 984 KB by default, where the asyncify build has the worker's whole 4 MB stack. With 984 KB,
 * recursion through internal calls overflowed the engine stack (a crash) at about 2,300 levels,
 * before PHP's own check above fired at about 2,600. With 3000 KB the engine stack ends at about
 * 7,400 levels: after PHP's check, before the 1 MiB WebAssembly stack (about 7,900), whose overrun
 * would corrupt memory instead of failing cleanly.
 */
export const JSPI_STACK_KB = 3000;

/** What the bounds did in one run; on every result and on the errors of a run that did not end. */
export interface PhpRunLimits {
  /** Bytes of stdout PHP printed beyond what was kept (the middle of the stream). */
  stdoutDroppedBytes: number;
  stderrDroppedBytes: number;
  /** The output limit that applied, per stream. */
  maxOutputBytes: number;
  /** Bytes PHP wrote into files: writable mounts and the in-memory /tmp. */
  writtenBytes: number;
  /** A write failed with ENOSPC because it would have passed the disk quota. */
  diskQuotaExceeded: boolean;
  /** The quota that applied, in bytes. */
  diskQuotaBytes: number;
}

/** How a run died, when it did not exit and was not stopped at its time limit. */
export type PhpCrashKind =
  'stack-overflow' | 'out-of-memory' | 'wasm-abort' | 'wasm-trap' | 'worker-died' | 'runtime-error';

/** Names a crash from what the worker reported (an error's name and message, or its code). */
export function classifyCrash(name: string, message: string, code?: string): PhpCrashKind {
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') return 'out-of-memory';
  if (code === 'WORKER_EXIT') return 'worker-died';
  if (/Maximum call stack size exceeded|call stack exhausted/i.test(message))
    return 'stack-overflow';
  if (
    /out of memory|Array buffer allocation failed|Cannot allocate Wasm memory|Memory\.grow|Aborted\(OOM/i.test(
      message,
    )
  )
    return 'out-of-memory';
  if (name === 'RuntimeError') return /^Aborted\(/.test(message) ? 'wasm-abort' : 'wasm-trap';
  return 'runtime-error';
}

/** The crash in words, for findings: "a stack overflow (deep or endless recursion)". */
export function describeCrash(kind: PhpCrashKind): string {
  switch (kind) {
    case 'stack-overflow':
      return 'a stack overflow (deep or endless recursion)';
    case 'out-of-memory':
      return 'the PHP runtime ran out of memory (beyond what memory_limit catches)';
    case 'wasm-abort':
      return 'the WebAssembly runtime aborted';
    case 'wasm-trap':
      return 'a WebAssembly trap (an invalid memory access or an unreachable instruction)';
    case 'worker-died':
      return 'its worker thread died';
    case 'runtime-error':
      return 'php-wasm failed';
  }
}

const NO_LIMITS_USED: PhpRunLimits = {
  stdoutDroppedBytes: 0,
  stderrDroppedBytes: 0,
  maxOutputBytes: 0,
  writtenBytes: 0,
  diskQuotaExceeded: false,
  diskQuotaBytes: 0,
};

/** An error of one run, with its output so far and what the bounds did (never lost on failure). */
abstract class PhpRunError extends Error implements PhpRunLimits {
  readonly stdoutDroppedBytes: number;
  readonly stderrDroppedBytes: number;
  readonly maxOutputBytes: number;
  readonly writtenBytes: number;
  readonly diskQuotaExceeded: boolean;
  readonly diskQuotaBytes: number;
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
    limits: PhpRunLimits,
  ) {
    super(message);
    this.stdoutDroppedBytes = limits.stdoutDroppedBytes;
    this.stderrDroppedBytes = limits.stderrDroppedBytes;
    this.maxOutputBytes = limits.maxOutputBytes;
    this.writtenBytes = limits.writtenBytes;
    this.diskQuotaExceeded = limits.diskQuotaExceeded;
    this.diskQuotaBytes = limits.diskQuotaBytes;
  }
}

export class PhpTimeoutError extends PhpRunError {
  override readonly name = 'PhpTimeoutError';
  constructor(
    readonly timeoutMs: number,
    readonly argv: readonly string[],
    stdout: string,
    stderr: string,
    limits: PhpRunLimits = NO_LIMITS_USED,
  ) {
    super(
      `PHP did not finish within ${timeoutMs} ms and was stopped: ${argv.join(' ')}`,
      stdout,
      stderr,
      limits,
    );
  }
}

/** php-wasm failed (crash, missing mount, runtime load error) rather than PHP exiting non-zero. */
export class PhpRuntimeError extends PhpRunError {
  override readonly name: string = 'PhpRuntimeError';
  constructor(message: string, stdout = '', stderr = '', limits: PhpRunLimits = NO_LIMITS_USED) {
    super(message, stdout, stderr, limits);
  }
}

/**
 * PHP died while it ran (after the runtime had booted): a stack overflow, a WebAssembly trap or
 * abort, the worker out of memory. The code PHP ran caused it, so callers report it as a finding;
 * a plain PhpRuntimeError (the runtime did not boot) is a failure of the tool.
 */
export class PhpCrashError extends PhpRuntimeError {
  override readonly name = 'PhpCrashError';
  constructor(
    readonly kind: PhpCrashKind,
    /** What the engine said, e.g. "RangeError: Maximum call stack size exceeded". */
    readonly detail: string,
    readonly argv: readonly string[],
    stdout: string,
    stderr: string,
    limits: PhpRunLimits,
  ) {
    super(
      `PHP crashed: ${describeCrash(kind)} (${detail}): ${argv.join(' ')}`,
      stdout,
      stderr,
      limits,
    );
  }
}

// Indices into the shared control block; php-worker.mjs has the same list.
const CONTROL_STDOUT_BYTES = 0;
const CONTROL_STDERR_BYTES = 1;
const CONTROL_WRITTEN_BYTES = 2;
const CONTROL_QUOTA_REFUSED = 3;
const CONTROL_SLOTS = 4;

export interface RunOutputOptions {
  maxOutputBytes: number;
  diskQuotaBytes: number;
  /**
   * `cli`: the worker posts the head here and keeps the tail in shared memory. `request`: the
   * head stays in the worker, where php-wasm builds the response body and error text from it,
   * and there is no tail (a body with a hole is no body); only the counts come here.
   */
  mode: 'cli' | 'request';
  onStdout: ((chunk: string) => void) | undefined;
  onStderr: ((chunk: string) => void) | undefined;
}

type StreamName = 'stdout' | 'stderr';

/**
 * The parent's half of the output bound: collects the head the worker posts, and reads the tail
 * and the counters from memory shared with the worker, which stays readable after the worker
 * crashed or was terminated.
 */
export class RunOutput {
  /** Handed to the worker (workerData shares SharedArrayBuffers rather than copying them). */
  readonly shared: {
    control: SharedArrayBuffer;
    stdoutTail: SharedArrayBuffer;
    stderrTail: SharedArrayBuffer;
  };
  private readonly control: BigInt64Array;
  private readonly heads: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  private readonly headBytes: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  private readonly headLimit: number;
  private readonly decoders: Record<StreamName, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };
  private finished: { stdout: string; stderr: string; limits: PhpRunLimits } | undefined;

  constructor(private readonly options: RunOutputOptions) {
    const max = Math.max(0, Math.floor(options.maxOutputBytes));
    const tail = options.mode === 'cli' ? Math.floor(max / 2) : 0;
    this.headLimit = max - tail;
    this.shared = {
      control: new SharedArrayBuffer(CONTROL_SLOTS * BigInt64Array.BYTES_PER_ELEMENT),
      stdoutTail: new SharedArrayBuffer(tail),
      stderrTail: new SharedArrayBuffer(tail),
    };
    this.control = new BigInt64Array(this.shared.control);
  }

  /** A chunk of the head, as the worker posted it; streamed to the listener at once. */
  push(stream: StreamName, chunk: Uint8Array): void {
    const room = this.headLimit - this.headBytes[stream];
    if (room <= 0) return; // the worker keeps to the limit; this only guards it
    const kept = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(room, chunk.byteLength));
    this.heads[stream].push(kept);
    this.headBytes[stream] += kept.byteLength;
    const text = this.decoders[stream].write(kept);
    if (text) this.listener(stream)?.(text);
  }

  /**
   * The kept output (head, a line saying how much was dropped, tail) and what the bounds did.
   * Call once the worker no longer runs (exited, crashed or terminated); later calls repeat it.
   */
  finish(): { stdout: string; stderr: string; limits: PhpRunLimits } {
    if (this.finished) return this.finished;
    const stdout = this.assemble('stdout', CONTROL_STDOUT_BYTES, this.shared.stdoutTail);
    const stderr = this.assemble('stderr', CONTROL_STDERR_BYTES, this.shared.stderrTail);
    this.finished = {
      stdout: stdout.text,
      stderr: stderr.text,
      limits: {
        stdoutDroppedBytes: stdout.dropped,
        stderrDroppedBytes: stderr.dropped,
        maxOutputBytes: this.options.maxOutputBytes,
        writtenBytes: Number(Atomics.load(this.control, CONTROL_WRITTEN_BYTES)),
        diskQuotaExceeded: Atomics.load(this.control, CONTROL_QUOTA_REFUSED) > 0n,
        diskQuotaBytes: this.options.diskQuotaBytes,
      },
    };
    return this.finished;
  }

  private listener(stream: StreamName): ((chunk: string) => void) | undefined {
    return stream === 'stdout' ? this.options.onStdout : this.options.onStderr;
  }

  private assemble(
    stream: StreamName,
    index: number,
    tailBuffer: SharedArrayBuffer,
  ): { text: string; dropped: number } {
    const total = Number(Atomics.load(this.control, index));
    const ring = new Uint8Array(tailBuffer);
    // Bytes after the head the worker counted; the ring holds the last ring.length of them.
    const beyond = Math.max(0, total - this.headLimit);
    const tailLength = Math.min(beyond, ring.length);
    const start = beyond > ring.length ? beyond % ring.length : 0;
    const wrapped = Math.max(0, start + tailLength - ring.length);
    const tail = Buffer.concat([
      ring.subarray(start, start + tailLength),
      ring.subarray(0, wrapped),
    ]);
    const head = Buffer.concat(this.heads[stream]);
    const headKept =
      this.options.mode === 'cli' ? head.byteLength : Math.min(total, this.headLimit);
    // Head chunks still in flight when the worker was stopped are dropped bytes too.
    const dropped = Math.max(0, total - headKept - tail.byteLength);
    const gap =
      dropped > 0
        ? `\n[moodle-plugin-check: ${dropped} bytes of ${stream} not kept (limit ${this.options.maxOutputBytes} bytes per stream)]\n`
        : '';
    const rest = gap + tail.toString('utf8');
    const unheard = this.decoders[stream].end() + rest;
    if (unheard) this.listener(stream)?.(unheard);
    return { text: head.toString('utf8') + rest, dropped };
  }
}
