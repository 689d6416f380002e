// Over 400 lines: the worker is its own bundle entry, and what it does while PHP runs (mounts,
// bounds, streaming, the VFS guards) has to live in it; splitting it would add worker entry files.
// One PHP CLI invocation inside a worker thread. Plain JavaScript on purpose: Node 20 cannot start a
// worker from a .ts file, and the bundle ships this file as its own entry (dist/php-worker.mjs).
// The parent (runtime.ts) owns every policy decision; this file only applies what it is given:
// a fresh WASM runtime, the declared mounts (read-only ones enforced in the VFS), no network, no
// host environment, then `php.cli(argv)` with output streamed back as messages. Two bounds are
// applied here because only here can they be applied while PHP runs: the output kept per stream
// (the parent sizes the shared buffers) and the bytes PHP may write into files (ENOSPC beyond).
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import {
  loadPHPRuntime,
  PHP,
  PHPRequestHandler,
  resolvePHPExtension,
  setPhpIniEntries,
  withResolvedPHPExtensions,
} from '@php-wasm/universal';
import { createSpawnHandler } from '@php-wasm/util';

// Emscripten errno values (see ERRNO_CODES in the php_8_x.js loaders).
const EACCES = 2;
const ENOENT = 44;
const ENOSPC = 51;
const EROFS = 69;
const O_ACCMODE = 3;
const O_RDONLY = 0;

const OPENSSL_DIR = '/root/install/ssl';
const OPENSSL_CNF = `HOME = .
[ req ]
distinguished_name = req_distinguished_name
[ req_distinguished_name ]
`;

/** @typedef {{ hostPath: string, vfsPath: string, readOnly: boolean, changing?: boolean, isFile: boolean }} WorkerMount */
/**
 * What the parent shares with this worker (runtime.ts reads it back even after a crash or a
 * terminate()): `control` holds BigInt64 counters at the CONTROL_* indices, `stdoutTail` and
 * `stderrTail` the last bytes of each stream once its head is full.
 * @typedef {{ control: SharedArrayBuffer, stdoutTail: SharedArrayBuffer, stderrTail: SharedArrayBuffer }} SharedState
 */
/**
 * @typedef {{
 *   loaderPath: string, build: 'jspi' | 'asyncify', processId: number, mounts: WorkerMount[],
 *   argv: string[], env: Record<string, string>, cwd: string | undefined, ini: Record<string, string>,
 *   limits: { maxOutputBytes: number, diskQuotaBytes: number, jspiStackKb: number },
 *   shared: SharedState, db?: import('node:worker_threads').MessagePort
 * }} WorkerInput
 */

// Indices into SharedState.control; runtime.ts has the same list.
const CONTROL_STDOUT_BYTES = 0;
const CONTROL_STDERR_BYTES = 1;
const CONTROL_WRITTEN_BYTES = 2;
const CONTROL_QUOTA_REFUSED = 3;

/**
 * @param {unknown} message
 * @param {ArrayBuffer[]} [transfer]
 */
function post(message, transfer) {
  parentPort?.postMessage(message, transfer);
}

/**
 * A WebSocket that never connects. Emscripten's SOCKFS tunnels every PHP TCP connection through a
 * WebSocket class: on Node it calls `require('ws')` and then `Module.websocket.decorator`.
 * @php-wasm/node's loadNodeRuntime() starts a local WebSocket-to-TCP proxy for it; we do not.
 * Throwing from the constructor is not an option: the asyncify connect() path does not catch it
 * and the worker dies. So the socket is created closed and fails on the next tick, and PHP sees
 * "Connection refused" (curl, file_get_contents, fsockopen). Closed from the start matters for the
 * asyncify build where WebAssembly.Suspending exists (Node 24): php-wasm's blocking connect() then
 * waits for the socket with Asyncify.handleSleep, which traps ("unreachable") there unless the
 * answer is known at once. The JSPI build refuses the same way (see suspendingConnect()).
 */
class NoNetworkWebSocket extends EventEmitter {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  CONNECTING = 0;
  OPEN = 1;
  CLOSING = 2;
  CLOSED = 3;
  binaryType = 'arraybuffer';
  readyState = 3;

  /** @param {string} url */
  constructor(url) {
    super();
    this.url = url;
    setImmediate(() => {
      this.emit('error', new Error('network access is disabled'));
      this.emit('close');
    });
  }

  send() {
    throw new Error('network access is disabled');
  }

  // php-wasm's blocking connect() (stream_socket_client()) listens the DOM way.
  addEventListener(/** @type {string} */ type, /** @type {(...a: any[]) => void} */ listener) {
    this.on(type, listener);
  }

  removeEventListener(/** @type {string} */ type, /** @type {(...a: any[]) => void} */ listener) {
    this.off(type, listener);
  }

  close() {
    this.readyState = 3;
  }
}

/**
 * Emscripten's SOCKFS turns listen() (stream_socket_server(), a bound UDP socket) into a host
 * WebSocket server from `require('ws').Server`: a real host port. Refused like a syscall instead:
 * an object named ErrnoError is what the syscall wrappers turn into `-errno`, so PHP gets a normal
 * failure (stream_socket_server(): "Unable to connect") and no port is ever opened.
 */
class NoListenServer {
  constructor() {
    throw Object.assign(new Error('listening for connections is disabled'), {
      name: 'ErrnoError',
      errno: EACCES,
    });
  }
}
NoNetworkWebSocket.Server = NoListenServer;

// The `ws` package is not installed beside a downloaded runtime package (and must not be used
// anyway); answer the loader's require('ws') with the refusing class. Worker-local patch.
const originalLoad = /** @type {any} */ (Module)._load;
/** @type {any} */ (Module)._load = function (/** @type {string} */ request, ...rest) {
  return request === 'ws' ? NoNetworkWebSocket : originalLoad.call(this, request, ...rest);
};

/**
 * NODEFS has no read-only flag. Its node/stream operations are shared by every NODEFS node, so we
 * wrap the mutating ones and refuse them (EROFS) when the node belongs to a mount declared
 * read-only (`mount.opts.readOnly`).
 */
function enforceReadOnlyMounts(FS) {
  const NODEFS = FS.filesystems.NODEFS;
  const isReadOnly = (node) => Boolean(node?.mount?.opts?.readOnly);
  const deny = () => {
    throw new FS.ErrnoError(EROFS);
  };
  const nodeOps = NODEFS.node_ops;
  for (const [name, nodeOf] of [
    ['setattr', (args) => [args[0]]],
    ['mknod', (args) => [args[0]]],
    ['rename', (args) => [args[0], args[1]]],
    ['unlink', (args) => [args[0]]],
    ['rmdir', (args) => [args[0]]],
    ['symlink', (args) => [args[0]]],
  ]) {
    const original = nodeOps[name];
    nodeOps[name] = function (...args) {
      if (nodeOf(args).some(isReadOnly)) deny();
      return original.apply(this, args);
    };
  }
  const streamOps = NODEFS.stream_ops;
  const originalOpen = streamOps.open;
  streamOps.open = function (stream) {
    if (isReadOnly(stream.node) && (stream.flags & O_ACCMODE) !== O_RDONLY) deny();
    return originalOpen.call(this, stream);
  };
  for (const name of ['setattr', 'write', 'msync']) {
    const original = streamOps[name];
    streamOps[name] = function (stream, ...rest) {
      if (isReadOnly(stream.node)) deny();
      return original.call(this, stream, ...rest);
    };
  }
}

/**
 * NODEFS answers a lookup of a name it has not seen with an lstat() on the host, and caches only
 * names that exist. Moodle probes many files that do not exist (file_exists() of lang files,
 * db/*.php, classes per component...): in a cold install that was ~12 s of host lstat() calls that
 * throw ENOENT. A read-only mount cannot change during a run (the cached tree, our PHP files, the
 * plugin), so each of its folders is listed once and a name that is not there fails at once.
 */
function cacheReadOnlyLookups(FS) {
  const NODEFS = FS.filesystems.NODEFS;
  const nodeOps = NODEFS.node_ops;
  const originalLookup = nodeOps.lookup;
  /** @type {WeakMap<object, Set<string> | null>} */
  const listings = new WeakMap();
  const missing = new FS.ErrnoError(ENOENT);
  memoiseReadOnlyPaths(FS, missing);
  nodeOps.lookup = function (parent, name) {
    if (parent?.mount?.opts?.readOnly && !parent.mount.opts.changing) {
      let names = listings.get(parent);
      if (names === undefined) {
        try {
          names = new Set(readdirSync(NODEFS.realPath(parent)));
        } catch {
          names = null; // not listable: leave it to NODEFS
        }
        listings.set(parent, names);
      }
      if (names !== null && !names.has(name)) throw missing;
    }
    return originalLookup.call(this, parent, name);
  };
}

/**
 * Emscripten resolves every path from the root on each call, normalising it once per component;
 * with Moodle's hundreds of thousands of file_exists() calls that was ~9 s of a cold install.
 * A path that ends in a read-only mount, or fails inside one (`missing`, thrown by the listing
 * cache above), resolves the same way for the rest of the run unless a folder, symlink or mount
 * on the way changes: those operations (rare: cache purges, Moodle's temp folders) empty the memo.
 */
function memoiseReadOnlyPaths(FS, missing) {
  // One map per option combination that changes the answer (follow the last symlink, follow a
  // mount at the end): no key string to build on this hot path.
  /** @type {Map<string, { path: string, node: any } | typeof missing>[]} */
  const memos = [new Map(), new Map(), new Map(), new Map()];
  let size = 0;
  let chars = 0;
  const MAX_ENTRIES = 500_000;
  // Keys are whole paths: PHP can make them 4 KB long each, which would fill the worker's heap.
  const MAX_CHARS = 64 * 1024 * 1024;
  const originalLookupPath = FS.lookupPath;
  FS.lookupPath = function (path, opts = {}) {
    if (typeof path !== 'string' || path[0] !== '/' || opts.parent || opts.noent_okay)
      return originalLookupPath.call(this, path, opts);
    const memo = memos[(opts.follow ? 2 : 0) + (opts.follow_mount === false ? 1 : 0)];
    const hit = memo.get(path);
    if (hit === missing) throw missing;
    if (hit !== undefined) return { path: hit.path, node: hit.node };
    if (size >= MAX_ENTRIES || chars >= MAX_CHARS) forget();
    try {
      const result = originalLookupPath.call(this, path, opts);
      if (result.node?.mount?.opts?.readOnly && !result.node.mount.opts.changing) {
        memo.set(path, result);
        size++;
        chars += path.length;
      }
      return result;
    } catch (e) {
      if (e === missing) {
        memo.set(path, missing);
        size++;
        chars += path.length;
      }
      throw e;
    }
  };
  function forget() {
    for (const memo of memos) memo.clear();
    size = 0;
    chars = 0;
  }
  /** Regular files never lie on the way to another path, so removing or moving one is harmless. */
  const isRegularFile = (path) => {
    try {
      return FS.isFile(FS.lstat(path).mode);
    } catch {
      return true; // absent: nothing to forget
    }
  };
  const wrap = (name, shouldForget) => {
    const original = FS[name];
    FS[name] = function (...args) {
      if (shouldForget(...args)) forget();
      return original.apply(this, args);
    };
  };
  wrap('mount', () => true);
  wrap('unmount', () => true);
  wrap('rmdir', () => true);
  wrap('unlink', (path) => typeof path !== 'string' || !isRegularFile(path));
  wrap('rename', (from, to) => !isRegularFile(from) || !isRegularFile(to));
  // chmod, lchmod and fchmod all end here; a folder's mode decides who may look inside it.
  wrap('doChmod', (_stream, node) => !FS.isFile(node.mode));
}

/**
 * Bytes one run may write into files: every writable NODEFS mount (the site's database and
 * dataroot) and the in-memory filesystem (/tmp, which is host memory). Counted in the two write
 * operations, from arm() on (our own setup writes are not PHP's); a write that would pass the
 * quota fails with ENOSPC, which PHP reports as a normal write error. Bytes written, not bytes
 * kept: rewriting a file counts again, deleting one gives nothing back.
 * @param {any} FS
 * @param {number} quota
 * @param {BigInt64Array} control
 */
function enforceDiskQuota(FS, quota, control) {
  let written = 0;
  let armed = false;
  let counters = control;
  const count = (length) => {
    if (!armed) return;
    if (written + length > quota) {
      Atomics.add(counters, CONTROL_QUOTA_REFUSED, 1n);
      throw new FS.ErrnoError(ENOSPC);
    }
    written += length;
    Atomics.store(counters, CONTROL_WRITTEN_BYTES, BigInt(written));
  };
  const { NODEFS, MEMFS } = FS.filesystems;
  for (const ops of [NODEFS.stream_ops, MEMFS.stream_ops]) {
    const original = ops.write;
    // msync() writes through this same operation, so mapped writes are counted once.
    ops.write = function (stream, buffer, offset, length, position, canOwn) {
      count(length);
      return original.call(this, stream, buffer, offset, length, position, canOwn);
    };
  }
  // MEMFS files got a copy of its operations when the filesystem was set up.
  if (MEMFS.ops_table?.file?.stream) MEMFS.ops_table.file.stream.write = MEMFS.stream_ops.write;
  return {
    /** From now on writes count; with `next`, against a new run's counters, from zero. */
    arm(/** @type {BigInt64Array | undefined} */ next) {
      if (next) {
        counters = next;
        written = 0;
      }
      armed = true;
    },
  };
}

/**
 * One output stream, bounded: the first `limit - tail.length` bytes go to `forward` as they come,
 * later bytes overwrite a ring in the shared `tail` (so the last ones survive a crash or a
 * terminate()), and the stream's total is kept in `control[index]`; the parent works out the tail
 * and what was dropped from the total alone. Chunks are views into WASM memory: copied or lost.
 * @param {number} limit
 * @param {Uint8Array} tail
 * @param {BigInt64Array} control
 * @param {number} index
 * @param {(chunk: Uint8Array) => void} forward
 */
function boundedOutput(limit, tail, control, index, forward) {
  const headLimit = Math.max(0, limit - tail.length);
  const ring = tail.length;
  let total = 0;
  return (/** @type {Uint8Array} */ chunk) => {
    let rest = chunk;
    if (total < headLimit) {
      const take = Math.min(rest.length, headLimit - total);
      if (take > 0) forward(rest.slice(0, take));
      total += take;
      rest = rest.subarray(take);
    }
    if (rest.length > 0 && ring > 0) {
      // Byte n after the head lives at ring[n % ring]; only the last `ring` bytes can survive.
      const from = rest.length > ring ? rest.subarray(rest.length - ring) : rest;
      const start = (total - headLimit + rest.length - from.length) % ring;
      const first = Math.min(from.length, ring - start);
      tail.set(from.subarray(0, first), start);
      if (first < from.length) tail.set(from.subarray(first), 0);
    }
    total += rest.length;
    Atomics.store(control, index, BigInt(total));
  };
}

/**
 * Routes php-wasm's output callbacks through boundedOutput(). php-wasm assigns Module.onStdout and
 * Module.onStderr before every run; accessors keep our bound in front of whatever it assigns.
 * A CLI run posts its kept head straight to the parent (live, and nothing piles up in php-wasm's
 * streams while PHP runs without yielding); a web request hands it to php-wasm, which builds the
 * response body and error text from it, and keeps no tail (a body with a hole is no body).
 * @param {any} module the Emscripten module
 * @param {WorkerInput} input
 * @param {boolean} cli
 */
function boundOutput(module, input, cli) {
  const control = new BigInt64Array(input.shared.control);
  for (const [type, index, tailBuffer] of /** @type {const} */ ([
    ['stdout', CONTROL_STDOUT_BYTES, input.shared.stdoutTail],
    ['stderr', CONTROL_STDERR_BYTES, input.shared.stderrTail],
  ])) {
    const property = type === 'stdout' ? 'onStdout' : 'onStderr';
    /** @type {((chunk: Uint8Array) => void) | undefined} */
    let phpWasmListener;
    const forward = cli
      ? (/** @type {Uint8Array} */ chunk) => post({ type, chunk }, [chunk.buffer])
      : (/** @type {Uint8Array} */ chunk) => phpWasmListener?.(chunk);
    const tail = cli ? new Uint8Array(tailBuffer) : new Uint8Array(0);
    const bounded = boundedOutput(input.limits.maxOutputBytes, tail, control, index, forward);
    Object.defineProperty(module, property, {
      configurable: true,
      get: () => bounded,
      set: (listener) => {
        phpWasmListener = listener;
      },
    });
  }
}

/**
 * php-wasm 3.1.56's JSPI build runs connect() through Asyncify.handleSleep, which returns a
 * Promise, but suspends only on imports named like `wasm_connect`; the module imports
 * `__syscall_connect`, so the Promise reached WebAssembly as 0 and every connect() "succeeded"
 * at once: stream_socket_client() and fsockopen() returned a socket whose writes then failed,
 * instead of "Connection refused". Instantiating the module ourselves (Emscripten's
 * instantiateWasm hook) lets that import suspend like the others.
 * @param {{ dependencyFilename: string }} loader
 */
function suspendingConnect(loader) {
  return (
    /** @type {{ env: Record<string, any> }} */ imports,
    /** @type {(instance: WebAssembly.Instance, module: WebAssembly.Module) => void} */ receive,
  ) => {
    const Suspending = /** @type {any} */ (WebAssembly).Suspending;
    const connect = imports.env.__syscall_connect;
    if (typeof connect === 'function' && !(connect instanceof Suspending)) {
      imports.env.__syscall_connect = new Suspending(connect);
    }
    WebAssembly.instantiate(readFileSync(loader.dependencyFilename), imports).then(
      ({ instance, module }) => receive(instance, module),
      (error) => {
        // Emscripten waits on `receive` for ever; an uncaught error ends the worker instead.
        setImmediate(() => {
          throw error;
        });
      },
    );
    return {};
  };
}

/**
 * The build's intl extension, loaded as @php-wasm/node loads it: the side module, and the ICU data
 * at the name and place ICU looks for (ICU_DATA).
 * @param {WorkerInput} input
 */
function intlExtension(input) {
  const intl = /** @type {{ soPath: string, icuDataPath: string, phpVersion: string }} */ (
    input.intl
  );
  return resolvePHPExtension({
    source: { format: 'so', name: 'intl', bytes: new Uint8Array(readFileSync(intl.soPath)) },
    phpVersion: intl.phpVersion,
    env: { ICU_DATA: ICU_DIR },
  });
}

/**
 * Where ICU finds its data: the host file, mounted read-only, so a run that never formats a date
 * or a number does not hold a 30 MB copy of it.
 */
const ICU_DIR = '/mpc-icu';

/** @param {WorkerInput} input */
async function main(input) {
  if (input.build === 'jspi') {
    // The stacks JSPI runs WebAssembly on (see JSPI_STACK_KB): V8 sizes each new one from the
    // first flag and checks it against the second. Process-wide, but only JSPI stacks read them
    // after startup (a worker's own stack has its own limit); every JSPI worker sets the same.
    v8.setFlagsFromString(`--wasm-stack-switching-stack-size=${input.limits.jspiStackKb}`);
    v8.setFlagsFromString(`--stack-size=${input.limits.jspiStackKb}`);
  }
  const loader = await import(pathToFileURL(input.loaderPath).href);
  /** @type {any} */
  let emscripten;
  const options = {
    // What @php-wasm/node's loadNodeRuntime() passes: the loader is already the build's own.
    phpWasmAsyncMode: input.build,
    processId: input.processId,
    // `_` would otherwise carry the host path of the Node entry script into PHP's environment.
    thisProgram: '/usr/local/bin/php',
    websocket: { decorator: () => NoNetworkWebSocket, serverDecorator: () => NoListenServer },
    // No host environment: Emscripten's synthetic defaults (HOME=/home/web_user, ...) plus `env`.
    ENV: {},
    onRuntimeInitialized(module) {
      emscripten = module;
    },
    ...(input.build === 'jspi' ? { instantiateWasm: suspendingConnect(loader) } : {}),
  };
  const runtimeId = await loadPHPRuntime(
    loader,
    input.intl ? withResolvedPHPExtensions(options, [await intlExtension(input)]) : options,
  );
  const php = new PHP(runtimeId);
  // An HTTP request (runtime.request()) runs PHP as a web SAPI; everything else as the CLI.
  if (!input.request && !input.serve) await php.setSapiName('cli');
  // Without a handler, exec()/proc_open() hang the runtime; with this one they fail (non-zero exit,
  // no output), which Moodle's callers already handle.
  php.setSpawnHandler(
    createSpawnHandler((command, processApi) => {
      processApi.stderr(`${command.join(' ')}: running programs is disabled\n`);
      processApi.exit(127);
    }),
  );
  if (input.db) connectDatabase(php, input.db);
  forwardProgress(php);
  const FS = emscripten.FS;
  enforceReadOnlyMounts(FS);
  cacheReadOnlyLookups(FS);
  const quota = enforceDiskQuota(
    FS,
    input.limits.diskQuotaBytes,
    new BigInt64Array(input.shared.control),
  );
  if (!input.serve) boundOutput(emscripten, input, !input.request);
  // The WASM OpenSSL was built with OPENSSLDIR=/root/install/ssl and ships no openssl.cnf, so
  // openssl_pkey_new()/openssl_csr_new() fail with "fopen: No such file or directory" (Moodle's
  // LTI key generation warns at install). A minimal config at the compiled-in path fixes them.
  FS.mkdirTree(OPENSSL_DIR);
  FS.writeFile(`${OPENSSL_DIR}/openssl.cnf`, OPENSSL_CNF);

  if (input.intl) {
    FS.mkdirTree(ICU_DIR);
    FS.writeFile(`${ICU_DIR}/icudt74l.dat`, '');
    FS.mount(
      FS.filesystems.NODEFS,
      { root: input.intl.icuDataPath, readOnly: true },
      `${ICU_DIR}/icudt74l.dat`,
    );
  }
  // Parents before children, so a nested mount lands inside its parent mount.
  const mounts = [...input.mounts].sort((a, b) => a.vfsPath.length - b.vfsPath.length);
  for (const mount of mounts) {
    if (mount.isFile) {
      FS.mkdirTree(mount.vfsPath.slice(0, mount.vfsPath.lastIndexOf('/')) || '/');
      if (!php.fileExists(mount.vfsPath)) FS.writeFile(mount.vfsPath, '');
    } else {
      FS.mkdirTree(mount.vfsPath);
    }
    FS.mount(
      FS.filesystems.NODEFS,
      { root: mount.hostPath, readOnly: mount.readOnly, changing: mount.changing === true },
      mount.vfsPath,
    );
  }

  if (Object.keys(input.ini).length > 0) await setPhpIniEntries(php, input.ini);
  // php.cli() ignores its `cwd` option; the VFS working directory is what PHP's getcwd() sees.
  if (input.cwd !== undefined) php.chdir(input.cwd);

  if (input.request) {
    await serveRequest(php, input.request, quota);
    return;
  }
  if (input.serve) {
    serveRequests(php, emscripten, input, quota);
    return;
  }

  post({ type: 'started' });
  quota.arm();
  // Output reaches the parent through boundOutput(); php-wasm's own streams stay empty.
  const response = await php.cli(input.argv, { env: input.env });
  const exitCode = await response.exitCode;
  post({ type: 'exit', exitCode });
}

/**
 * Progress events of our PHPUnit results collector (php/phpunit/results.php): `mpc:phpunit:<text>`
 * goes to the parent as is; it can neither ask for nor get anything back.
 * @param {PHP} php
 */
function forwardProgress(php) {
  php.onMessage((data) => {
    const text = String(data);
    if (!text.startsWith('mpc:phpunit:')) return '';
    // PHP code under test can send these too: an event over 256 KiB is dropped, not forwarded.
    if (text.length <= 256 * 1024)
      post({ type: 'progress', text: text.slice('mpc:phpunit:'.length) });
    return 'ok';
  });
}

/**
 * The site's PostgreSQL (PGlite, in its own worker): PHP's pg_* bridge (php/lib/dml/pglite_bridge.php)
 * sends each request as `pg:<json>` through post_message_to_js() and waits for the answer, which
 * comes back over this run's session port. That is all a PHP message can do here: any other
 * message gets an empty answer. When the database is gone the pending and later requests get an
 * error answer at once instead of hanging PHP.
 * @param {PHP} php
 * @param {import('node:worker_threads').MessagePort} port
 */
function connectDatabase(php, port) {
  const gone = JSON.stringify({ ok: false, severity: 'FATAL', message: 'the database is gone' });
  /** @type {Map<number, (reply: string) => void>} */
  const pending = new Map();
  let closed = false;
  let next = 1;
  port.on('message', (message) => {
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    resolve?.(String(message.reply));
  });
  port.on('close', () => {
    closed = true;
    for (const resolve of pending.values()) resolve(gone);
    pending.clear();
  });
  return php.onMessage((data) => {
    const text = String(data);
    if (!text.startsWith('pg:')) return '';
    if (closed) return gone;
    return new Promise((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      port.postMessage({ id, body: text.slice(3) });
    });
  });
}

/**
 * One HTTP request through PHPRequestHandler. The handler does not chdir into the script's folder,
 * so Moodle's `require('../config.php')` would fail: we resolve the script as the handler does
 * (folder → index.php, path info → the .php prefix) and chdir there after the handler's own chdir.
 * @param {PHP} php
 * @param {{ method: string, url: string, headers: Record<string, string>, body?: Uint8Array,
 *   documentRoot: string, absoluteUrl: string, pathAliases: { urlPrefix: string, fsPath: string }[] }} request
 * @param {{ arm(): void }} quota
 */
async function serveRequest(php, request, quota) {
  post({ type: 'response', ...(await handle(php, request, quota)) });
}

/**
 * A server runtime (runtime.ts PhpServer): one PHP instance answers many requests, one at a time,
 * in the order they come. Each request brings its own output counters and its own database
 * session, and gets them back bounded and closed; PHP's own state ends with each request as in
 * any web server. The warm instance (compiled WebAssembly, memoised lookups) answers in a fraction
 * of a fresh runtime's time. The parent stops the worker when a request runs over its limit.
 * @param {PHP} php
 * @param {any} emscripten
 * @param {WorkerInput} input
 * @param {{ arm(next?: BigInt64Array): void }} quota
 */
function serveRequests(php, emscripten, input, quota) {
  let queue = Promise.resolve();
  parentPort?.on('message', (message) => {
    if (message?.type !== 'request') return;
    queue = queue
      .then(async () => {
        boundOutput(emscripten, { ...input, shared: message.shared }, false);
        const off = message.db ? connectDatabase(php, message.db) : undefined;
        try {
          const response = await handle(php, message.request, {
            arm: () => quota.arm(new BigInt64Array(message.shared.control)),
          });
          post({ type: 'response', id: message.id, ...response });
        } finally {
          await off?.();
          message.db?.close();
        }
      })
      .catch((error) => {
        post({
          type: 'error',
          id: message.id,
          name: error instanceof Error ? error.name : typeof error,
          message: error instanceof Error ? error.message : String(error),
        });
      });
  });
  post({ type: 'ready' });
}

/** @param {PHP} php @param {any} request @param {{ arm(): void }} quota */
async function handle(php, request, quota) {
  const handler = new PHPRequestHandler({
    php,
    documentRoot: request.documentRoot,
    absoluteUrl: request.absoluteUrl,
    pathAliases: request.pathAliases,
    // Cookies are the caller's business (a jar per blueprint run), not the handler's.
    cookieStore: false,
  });
  const script = resolveScript(php, request);
  if (script) php.chdir(script.slice(0, script.lastIndexOf('/')) || '/');
  post({ type: 'started' });
  quota.arm();
  const response = await handler.request({
    method: /** @type {any} */ (request.method),
    // Absolute: php-wasm takes $_SERVER['SERVER_PORT'] from the request URL, not the handler's.
    url: new URL(request.url, request.absoluteUrl).href,
    headers: request.headers,
    ...(request.body ? { body: request.body } : {}),
  });
  return {
    status: response.httpStatusCode,
    headers: response.headers,
    body: response.bytes,
    errors: response.errors,
    exitCode: response.exitCode,
  };
}

/** The .php file a URL runs, or undefined (static file, 404). */
function resolveScript(php, request) {
  const url = new URL(request.url, request.absoluteUrl);
  const pathname = decodeURIComponent(url.pathname);
  const toFs = (p) => {
    const alias = request.pathAliases.find(
      (a) => p === a.urlPrefix || p.startsWith(`${a.urlPrefix}/`),
    );
    return alias
      ? `${alias.fsPath}${p.slice(alias.urlPrefix.length)}`
      : `${request.documentRoot}${p}`.replace(/\/+/g, '/');
  };
  let candidate = toFs(pathname);
  if (php.isDir(candidate)) candidate = `${candidate.replace(/\/$/, '')}/index.php`;
  if (php.isFile(candidate)) return candidate.endsWith('.php') ? candidate : undefined;
  for (let p = pathname; p.includes('/') && p !== '/';) {
    p = p.slice(0, p.lastIndexOf('/')) || '/';
    const f = toFs(p);
    if (f.endsWith('.php') && php.isFile(f)) return f;
  }
  return undefined;
}

main(/** @type {WorkerInput} */ (workerData)).catch((error) => {
  // PHP's exit() surfaces as an Emscripten ExitStatus; anything else is a runtime failure.
  if (error && typeof error === 'object' && error.name === 'ExitStatus') {
    post({ type: 'exit', exitCode: Number(error.status) });
    return;
  }
  post({
    type: 'error',
    // RangeError (the engine's stack), RuntimeError (a WebAssembly trap or abort), ...
    name: error instanceof Error ? error.name : typeof error,
    message: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
});
