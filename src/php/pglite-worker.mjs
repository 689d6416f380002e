// The database of one site when it runs on PostgreSQL: a PGlite instance (PostgreSQL compiled to
// WebAssembly) in its own worker thread. Plain JavaScript on purpose, like php-worker.mjs: the
// bundle ships it as its own entry. It lives as long as the site; PHP runs come and go.
//
// The parent (pglite.ts) owns the policy; this file only does what it is told:
// - `session`: a MessagePort for one PHP run. Sessions are served one at a time, in order; the
//   port of a waiting session is not read until its turn, so its messages simply wait.
// - `end`: that PHP run is over (exited, timed out or crashed): its transaction is rolled back and
//   its session state discarded, as when a connection closes, and the next session starts.
// - `close`: shut PostgreSQL down.
// Every reply is data; an error of PostgreSQL is an answer ({ok: false, ...}), never a throw, so PHP
// gets false from pg_query() and Moodle throws its own dml exception.
// A query that never ends blocks this thread: the parent then terminates it (the database is lost;
// the run that caused it already ends in a timeout finding).
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

/**
 * `dataDir`: a host folder holding the cluster (PGlite's NODEFS), created by initdb when empty.
 * @typedef {{ pglitePath: string, dataDir: string }} DbWorkerInput
 */

const input = /** @type {DbWorkerInput} */ (workerData);

/** @param {unknown} message @param {ArrayBuffer[]} [transfer] */
function post(message, transfer) {
  parentPort?.postMessage(message, transfer);
}

// What libpq gives PHP: every value as PostgreSQL's text output (booleans 't'/'f', bytea '\x…'),
// every parameter sent as text for the server to type. A Proxy covers every type id, including
// the array types PGlite registers later (arrays stay '{1,2}' text). It replaces the instance's
// own tables: PGlite merges per-query parsers with a spread, which a Proxy does not survive.
const identity = (value) => value;
const TEXT = new Proxy({}, { get: () => identity, has: () => true });

/** Serialises the work of this thread: PGlite runs one statement at a time anyway. */
let chain = Promise.resolve();
/** @template T @param {() => Promise<T>} task @returns {Promise<T>} */
function serial(task) {
  const run = chain.then(task, task);
  chain = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/** @type {any} */
let pg;
/** @type {any} PGlite's exports: the class and its wire protocol serialiser. */
let PGlite;
/** @type {any} */
let protocol;
/** Set once PostgreSQL has failed in a way it cannot recover from (out of memory, a WASM trap). */
let fatal = '';

/** @param {any} error */
function errorAnswer(error) {
  if (error && typeof error === 'object' && typeof error.severity === 'string') {
    // A DatabaseError: PostgreSQL refused the statement; the database is fine.
    return {
      ok: false,
      severity: error.severity,
      code: error.code,
      message: error.message,
      detail: error.detail,
      hint: error.hint,
      position: error.position,
    };
  }
  // Anything else means PGlite itself broke (a trap, out of memory): no later query can succeed.
  fatal = `PGlite stopped: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  post({ type: 'fatal', message: fatal });
  return { ok: false, severity: 'FATAL', message: fatal };
}

/** @param {any} result */
function resultAnswer(result) {
  return {
    ok: true,
    rows: result?.rows ?? [],
    fields: (result?.fields ?? []).map((f) => [f.name, f.dataTypeID]),
    affected: result?.affectedRows ?? 0,
  };
}

/** @param {Uint8Array[]} parts */
function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * libpq's PQexecParams in one exchange: Parse (unnamed statement, parameter types left to the
 * server), Bind (text values), Describe, Execute, Sync. PGlite's own query() takes two (it asks
 * for the parameter types first, to serialise JavaScript values we do not have): measured
 * 0.24–0.29 ms per query here against 0.37–0.55 ms.
 * @param {string} sql @param {(string | null)[]} params
 */
async function extendedQuery(sql, params) {
  const S = protocol.serialize;
  const message = concat([
    S.parse({ text: sql, types: [] }),
    S.bind({ values: params }),
    S.describe({ type: 'P' }),
    S.execute({}),
    S.sync(),
  ]);
  const { messages } = await pg.execProtocol(message, { throwOnError: false });
  const answer = { ok: true, rows: [], fields: [], affected: 0 };
  for (const m of messages) {
    switch (m.name) {
      case 'error':
        return errorAnswer(m);
      case 'rowDescription':
        answer.fields = m.fields.map((f) => [f.name, f.dataTypeID]);
        break;
      case 'dataRow':
        answer.rows.push(m.fields);
        break;
      case 'commandComplete': {
        const words = String(m.text).split(' ');
        if (['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(words[0] ?? ''))
          answer.affected = Number(words.at(-1)) || 0;
        break;
      }
    }
  }
  return answer;
}

/** One request of PHP's bridge (pglite_bridge.php), as its JSON text; the answer as JSON text. */
async function answer(body) {
  if (fatal) return JSON.stringify({ ok: false, severity: 'FATAL', message: fatal });
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    return JSON.stringify({ ok: false, message: 'malformed request from PHP' });
  }
  const options = { rowMode: 'array' };
  try {
    switch (request.op) {
      case 'connect':
        return JSON.stringify({ ok: true, server_version: serverVersion });
      case 'exec': {
        // The simple query protocol, as libpq's PQexec: several statements allowed, the last
        // result is the answer.
        const results = await pg.exec(String(request.sql), options);
        return JSON.stringify(resultAnswer(results.at(-1)));
      }
      case 'query': {
        const params = Array.isArray(request.params)
          ? request.params.map((p) => (p === null ? null : String(p)))
          : [];
        return JSON.stringify(await extendedQuery(String(request.sql), params));
      }
      default:
        return JSON.stringify({ ok: false, message: `unknown request ${String(request.op)}` });
    }
  } catch (error) {
    return JSON.stringify(errorAnswer(error));
  }
}

/** @type {{ id: number, port: import('node:worker_threads').MessagePort }[]} */
const waiting = [];
/** @type {{ id: number, port: import('node:worker_threads').MessagePort } | undefined} */
let active;

function startNext() {
  if (active || waiting.length === 0) return;
  active = waiting.shift();
  const session = active;
  session.port.on('message', (message) => {
    if (active !== session) return;
    serial(async () => {
      const reply = await answer(String(message.body));
      if (active === session) session.port.postMessage({ id: message.id, reply });
    });
  });
}

/** A closed connection: no transaction, cursor, temporary table, lock or setting survives it. */
async function endSession(id) {
  const session = active?.id === id ? active : undefined;
  const queued = waiting.findIndex((s) => s.id === id);
  if (queued >= 0) waiting.splice(queued, 1)[0].port.close();
  if (session) {
    active = undefined;
    session.port.close();
    await serial(async () => {
      if (fatal) return;
      try {
        await pg.exec('ROLLBACK; DISCARD ALL;');
      } catch (error) {
        errorAnswer(error);
      }
    });
  }
  startNext();
}

let serverVersion = '';

async function main() {
  const started = performance.now();
  ({ PGlite, protocol } = await import(pathToFileURL(input.pglitePath).href));
  pg = await PGlite.create({ dataDir: input.dataDir });
  pg.parsers = TEXT;
  pg.serializers = TEXT;
  const version = await pg.query('SHOW server_version', [], { rowMode: 'array' });
  serverVersion = String(version.rows[0]?.[0] ?? '');
  post({ type: 'ready', serverVersion, startMs: performance.now() - started });

  parentPort?.on('message', (message) => {
    switch (message.type) {
      case 'session':
        waiting.push({ id: message.id, port: message.port });
        startNext();
        break;
      case 'end':
        endSession(message.id).then(() => post({ type: 'ended', id: message.id }));
        break;
      case 'ping':
        serial(async () => post({ type: 'pong', id: message.id }));
        break;
      case 'close':
        serial(async () => {
          try {
            if (!fatal) await pg.close();
          } finally {
            post({ type: 'closed', id: message.id });
          }
        });
        break;
    }
  });
}

main().catch((error) => {
  post({
    type: 'error',
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
});
