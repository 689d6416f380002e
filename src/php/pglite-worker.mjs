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
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

/**
 * `dataDir`: a host folder holding the cluster (PGlite's NODEFS), created by initdb when empty.
 * `maxGrowthBytes`: how much the cluster may grow past its size at start (the site's disk quota).
 * @typedef {{ pglitePath: string, dataDir: string, maxGrowthBytes: number }} DbWorkerInput
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
const TEXT = new Proxy({}, { get: () => identity });

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
 * Statements PostgreSQL keeps parsed and planned, by SQL text: Moodle sends the same few hundred
 * statements again and again, and Parse is most of a query's cost here (measured: 0.13–0.15 ms
 * per query prepared, 0.35–0.57 ms parsed each time). What a program sees is the same: the
 * parameters are untyped text either way, PostgreSQL re-plans a prepared statement when a table
 * it reads changes, and any DDL or the end of a session forgets them all. Only plain DML is kept.
 * @type {Map<string, { name: string, fields: [string, number][] }>}
 */
const prepared = new Map();
const PREPARED_MAX = 1000;
/** Texts seen once, not prepared yet. */
const seen = new Set();
let preparedSeq = 0;
const CACHEABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;
const SCHEMA_CHANGE = /\b(CREATE|ALTER|DROP|TRUNCATE|RENAME|DISCARD|DEALLOCATE|COMMENT)\b/i;

/** Forgets every prepared statement (after DDL, at the end of a session). */
async function forgetPrepared() {
  if (prepared.size === 0) return;
  prepared.clear();
  if (!fatal)
    await pg.execProtocol(protocol.serialize.query('DEALLOCATE ALL'), { throwOnError: false });
}

/** The answer to one exchange's messages: rows, columns, affected count, or the error. */
function collect(messages, fields = []) {
  const answer = { ok: true, rows: [], fields, affected: 0 };
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

/**
 * libpq's PQexecParams, in one exchange with PGlite: Parse (unnamed, parameter types left to the
 * server), Bind (text values), Describe, Execute, Sync. PGlite's own query() takes two (it asks
 * for the parameter types first, to serialise JavaScript values we do not have). Plain DML goes
 * through a prepared statement instead (`prepared`).
 * @param {string} sql @param {(string | null)[]} params
 */
async function extendedQuery(sql, params) {
  const S = protocol.serialize;
  if (SCHEMA_CHANGE.test(sql)) await forgetPrepared();
  if (CACHEABLE.test(sql) && !SCHEMA_CHANGE.test(sql)) {
    let statement = prepared.get(sql);
    // Prepared from the second time a text is seen: a text sent once (values written into the
    // SQL) would pay for a prepare it never reuses.
    if (!statement && !seen.has(sql)) {
      if (seen.size >= PREPARED_MAX) seen.clear();
      seen.add(sql);
    } else if (!statement) {
      const name = `mpc_${++preparedSeq}`;
      const { messages } = await pg.execProtocol(
        concat([
          S.parse({ name, text: sql, types: [] }),
          S.describe({ type: 'S', name }),
          S.sync(),
        ]),
        { throwOnError: false },
      );
      const described = collect(messages);
      if (!described.ok) return described;
      if (prepared.size >= PREPARED_MAX) {
        const [oldSql, old] = prepared.entries().next().value;
        prepared.delete(oldSql);
        await pg.execProtocol(concat([S.close({ type: 'S', name: old.name }), S.sync()]), {
          throwOnError: false,
        });
      }
      statement = { name, fields: described.fields };
      prepared.set(sql, statement);
    }
    if (statement) {
      const { messages } = await pg.execProtocol(
        concat([S.bind({ statement: statement.name, values: params }), S.execute({}), S.sync()]),
        { throwOnError: false },
      );
      const answer = collect(messages, statement.fields);
      // "cached plan must not change result type": the table changed under the statement.
      if (answer.ok || answer.code !== '0A000') return answer;
      prepared.delete(sql);
    }
  }
  const { messages } = await pg.execProtocol(
    concat([
      S.parse({ text: sql, types: [] }),
      S.bind({ values: params }),
      S.describe({ type: 'P' }),
      S.execute({}),
      S.sync(),
    ]),
    { throwOnError: false },
  );
  return collect(messages);
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
        const sql = String(request.sql);
        // One statement (no `;` anywhere) of plain DML is the same through the extended protocol,
        // where it can be a prepared statement.
        if (!sql.includes(';') && CACHEABLE.test(sql))
          return JSON.stringify(await extendedQuery(sql, []));
        if (SCHEMA_CHANGE.test(sql)) await forgetPrepared();
        const results = await pg.exec(sql, options);
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

/** Bytes of the files in the cluster. */
function clusterBytes() {
  let total = 0;
  for (const entry of readdirSync(input.dataDir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

// The database is bounded like the files PHP writes: measured every WRITES_PER_CHECK statements
// (a walk of the cluster costs ~15 ms), and a cluster grown past the quota ends the database:
// every later statement fails with why, and the PHP run with it.
const WRITES_PER_CHECK = 500;
let startBytes = 0;
let writesSinceCheck = 0;
function boundGrowth() {
  if (fatal || ++writesSinceCheck < WRITES_PER_CHECK) return;
  writesSinceCheck = 0;
  const grown = clusterBytes() - startBytes;
  if (grown > input.maxGrowthBytes) {
    fatal = `the database grew by ${grown} bytes, past the disk quota of ${input.maxGrowthBytes} bytes`;
    post({ type: 'fatal', message: fatal });
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
      const body = String(message.body);
      const reply = await answer(body);
      boundGrowth();
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
        prepared.clear();
        seen.clear();
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
  startBytes = clusterBytes();
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
