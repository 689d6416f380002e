import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhpRuntime, PhpTimeoutError, type PhpRuntime } from './runtime.js';
import { PgliteDatabase, PgliteError } from './pglite.js';
import { ourPhpDir } from '../moodle/site/site.js';

// PHP 8.3 WASM and a PGlite (PostgreSQL 18) behind the pg_* bridge Moodle's driver calls.
describe.runIf(process.env.MPC_SLOW !== '0')('pg_* bridge over PGlite', () => {
  let root: string;
  let php: PhpRuntime;
  let db: PgliteDatabase;

  /** Runs PHP code after the bridge is loaded, with one session of `db`. */
  const run = async (code: string, timeoutMs = 30_000): Promise<string> => {
    writeFileSync(
      join(root, 'script.php'),
      `<?php require '/mpc/lib/dml/pglite_bridge.php';\n${code}`,
    );
    const session = db.session();
    try {
      const r = await php.cli(['php', '/work/script.php'], { db: session.port, timeoutMs });
      if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stdout}${r.stderr}`);
      return r.stdout;
    } finally {
      await session.end();
    }
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mpc-pglite-'));
    [php, db] = await Promise.all([
      createPhpRuntime({
        phpVersion: '8.3',
        mounts: [
          { hostPath: ourPhpDir(), vfsPath: '/mpc', readOnly: true },
          { hostPath: root, vfsPath: '/work', readOnly: true },
        ],
      }),
      PgliteDatabase.start({ dataDir: join(root, 'pg') }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await db.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('gives PostgreSQL text values, NULLs, types and the affected count as libpq does', async () => {
    const out = await run(`
      $c = pg_connect("host='x' dbname='moodle'", PGSQL_CONNECT_FORCE_NEW);
      echo json_encode([pg_connection_status($c), pg_version($c)['server'] !== '']), "\\n";
      pg_query($c, 'CREATE TABLE t (id bigserial PRIMARY KEY, name varchar(10), b bytea, f boolean, n numeric(10,2))');
      $r = pg_query_params($c, 'INSERT INTO t (name, b, f, n) VALUES ($1, $2, $3, $4) RETURNING id',
          ['é"x', pg_escape_bytea($c, "\\0\\xff"), 't', 1.5]);
      echo json_encode(pg_fetch_assoc($r)), "\\n";
      pg_query_params($c, 'INSERT INTO t (name) VALUES ($1)', [null]);
      $r = pg_query($c, 'SELECT id, name, b, f, n FROM t ORDER BY id');
      echo json_encode([pg_num_rows($r), pg_num_fields($r), pg_field_name($r, 2), pg_field_type($r, 2),
          pg_field_type_oid($r, 0)]), "\\n";
      $row = pg_fetch_row($r);
      echo json_encode([$row[1], bin2hex(pg_unescape_bytea($row[2])), $row[3], $row[4]]), "\\n";
      echo json_encode(pg_fetch_object($r)), "\\n";
      var_dump(pg_fetch_assoc($r));
      $u = pg_query($c, "UPDATE t SET f = false");
      echo pg_affected_rows($u), "\\n";
      echo json_encode(post_message_to_js('hello')), "\\n";
      echo json_encode(pg_fetch_row(pg_query($c, "SELECT ARRAY[1,2], '{\\"a\\": 1}'::jsonb, 1::bigint, 't'::boolean"))), "\\n";
    `);
    const lines = out.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual([0, true]);
    expect(JSON.parse(lines[1]!)).toEqual({ id: '1' });
    expect(JSON.parse(lines[2]!)).toEqual([2, 5, 'b', 'bytea', 20]);
    expect(JSON.parse(lines[3]!)).toEqual(['é"x', '00ff', 't', '1.50']);
    expect(JSON.parse(lines[4]!)).toEqual({ id: '2', name: null, b: null, f: null, n: null });
    expect(lines[5]).toBe('bool(false)');
    expect(lines[6]).toBe('2');
    // Only the bridge's own messages are answered.
    expect(JSON.parse(lines[7]!)).toBe('');
    expect(JSON.parse(lines[8]!)).toEqual(['{1,2}', '{"a": 1}', '1', 't']);
  });

  it('returns false with PostgreSQL’s message on a refused statement, and the session goes on', async () => {
    const out = await run(`
      $c = pg_connect('');
      var_dump(pg_query_params($c, 'SELECT GREATEST(1, $1) AS g', ['2']) !== false);
      var_dump(pg_query($c, "SELECT 1 FROM t WHERE name = 1"));
      echo pg_last_error($c), "\\n";
      var_dump(pg_query_params($c, 'SELECT $1::text', ["\\xff"]));
      echo pg_last_error($c), "\\n";
      var_dump(pg_query_params($c, 'SELECT nosuch FROM t WHERE id = $1', [1]));
      echo pg_last_error($c), "\\n";
      echo pg_fetch_all_columns(pg_query($c, 'SELECT 40 + 2'))[0], "\\n";
    `);
    expect(out).toContain(
      'bool(true)\nbool(false)\nERROR:  operator does not exist: character varying = integer',
    );
    expect(out).toContain('HINT:  ');
    expect(out).toContain('bool(false)\nERROR:  invalid byte sequence for encoding "UTF8": 0xff');
    expect(out).toContain('bool(false)\nERROR:  column "nosuch" does not exist');
    expect(out.trim().endsWith('42')).toBe(true);
  });

  it('a repeated statement sees the table as it is after DDL, through either function', async () => {
    const out = await run(`
      $c = pg_connect('');
      pg_query($c, 'CREATE TABLE r (id bigserial PRIMARY KEY, a int)');
      pg_query_params($c, 'INSERT INTO r (a) VALUES ($1)', [1]);
      $q = 'SELECT * FROM r WHERE id = $1';
      echo json_encode(pg_fetch_assoc(pg_query_params($c, $q, [1]))), "\\n";
      pg_query($c, 'ALTER TABLE r ADD COLUMN b int DEFAULT 7');
      echo json_encode(pg_fetch_assoc(pg_query_params($c, $q, [1]))), "\\n";
      pg_query_params($c, 'ALTER TABLE r DROP COLUMN a', []);
      echo json_encode(pg_fetch_assoc(pg_query_params($c, $q, [1]))), "\\n";
    `);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      { id: '1', a: '1' },
      { id: '1', a: '1', b: '7' },
      { id: '1', b: '7' },
    ]);
  });

  it('server-side file functions reach PGlite’s own filesystem, not the host’s', async () => {
    const probe = join(root, 'copied-out');
    const secret = join(root, 'secret.txt');
    writeFileSync(secret, 'host-secret-4711');
    const out = await run(`
      $c = pg_connect('');
      pg_query($c, "COPY (SELECT 'leak') TO '${probe}'");
      $r = pg_query($c, "SELECT pg_read_file('${secret}')");
      echo $r === false ? 'refused: ' . pg_last_error($c) : 'read: ' . pg_fetch_result($r, 0, 0), "\\n";
    `);
    expect(existsSync(probe)).toBe(false);
    expect(out).not.toContain('host-secret-4711');
  });

  it('rolls back what a run left open, like a closed connection', async () => {
    await run(`
      $c = pg_connect('');
      pg_query($c, 'BEGIN');
      pg_query($c, "INSERT INTO t (name) VALUES ('open')");
      pg_query($c, 'CREATE TEMPORARY TABLE tmp_x (id int)');
    `);
    const out = await run(`
      $c = pg_connect('');
      echo pg_fetch_result(pg_query($c, "SELECT count(*) FROM t WHERE name = 'open'"), 0, 0), "|";
      var_dump(pg_query($c, 'SELECT * FROM tmp_x'));
    `);
    expect(out).toBe('0|bool(false)\n');
  });

  it('serves sessions one after the other', async () => {
    const first = db.session();
    const second = db.session();
    writeFileSync(
      join(root, 'slow.php'),
      `<?php require '/mpc/lib/dml/pglite_bridge.php'; $c = pg_connect('');
       pg_query($c, 'BEGIN'); pg_query($c, "INSERT INTO t (name) VALUES ('a')"); usleep(300000);
       pg_query($c, 'COMMIT'); echo 'done';`,
    );
    writeFileSync(
      join(root, 'count.php'),
      `<?php require '/mpc/lib/dml/pglite_bridge.php'; $c = pg_connect('');
       echo pg_fetch_result(pg_query($c, "SELECT count(*) FROM t WHERE name = 'a'"), 0, 0);`,
    );
    const a = php.cli(['php', '/work/slow.php'], { db: first.port }).finally(() => first.end());
    const b = php.cli(['php', '/work/count.php'], { db: second.port }).finally(() => second.end());
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.stdout).toBe('done');
    expect(rb.stdout).toBe('1');
  });

  it('a copy of a data dir shut down cleanly opens in a new instance', async () => {
    await db.close();
    cpSync(join(root, 'pg'), join(root, 'pg-copy'), { recursive: true });
    db = await PgliteDatabase.start({ dataDir: join(root, 'pg') });
    const copy = await PgliteDatabase.start({ dataDir: join(root, 'pg-copy') });
    try {
      const session = copy.session();
      writeFileSync(
        join(root, 'n.php'),
        `<?php require '/mpc/lib/dml/pglite_bridge.php'; $c = pg_connect('');
         echo pg_fetch_result(pg_query($c, 'SELECT count(*) FROM t'), 0, 0);`,
      );
      const r = await php.cli(['php', '/work/n.php'], { db: session.port });
      await session.end();
      expect(Number(r.stdout)).toBeGreaterThanOrEqual(3);
    } finally {
      await copy.close();
    }
  }, 60_000);

  it('a database that grows past its quota stops with why', async () => {
    const small = await PgliteDatabase.start({
      dataDir: join(root, 'pg-small'),
      maxGrowthBytes: 1024 * 1024,
    });
    try {
      const session = small.session();
      writeFileSync(
        join(root, 'grow.php'),
        `<?php require '/mpc/lib/dml/pglite_bridge.php'; $c = pg_connect('');
         pg_query($c, 'CREATE TABLE big (id bigserial PRIMARY KEY, v text)');
         for ($i = 0; $i < 1200; $i++) {
           if (!pg_query_params($c, 'INSERT INTO big (v) VALUES ($1)', [bin2hex(random_bytes(5000))])) {
             echo "stopped at $i: ", pg_last_error($c); break;
           }
         }`,
      );
      const r = await php.cli(['php', '/work/grow.php'], { db: session.port, timeoutMs: 60_000 });
      await session.end();
      expect(r.stdout).toMatch(
        /^stopped at \d+: FATAL: {2}the database grew by \d+ bytes, past the disk quota of 1048576 bytes$/,
      );
      expect(small.failed).toContain('past the disk quota');
    } finally {
      await small.close();
    }
  }, 60_000);

  it('a damaged data dir does not start', async () => {
    cpSync(join(root, 'pg-copy'), join(root, 'pg-bad'), { recursive: true });
    writeFileSync(join(root, 'pg-bad', 'global', 'pg_control'), 'garbage');
    await expect(PgliteDatabase.start({ dataDir: join(root, 'pg-bad') })).rejects.toThrow(
      PgliteError,
    );
  }, 60_000);

  it('a statement that never ends: the PHP run times out and the database is stopped', async () => {
    const hung = await PgliteDatabase.start({
      dataDir: join(root, 'pg-hung'),
      endTimeoutMs: 1_000,
    });
    try {
      const session = hung.session();
      writeFileSync(
        join(root, 'hang.php'),
        `<?php require '/mpc/lib/dml/pglite_bridge.php'; $c = pg_connect('');
         pg_query($c, 'SELECT count(*) FROM generate_series(1::bigint, 1000000000000::bigint)');`,
      );
      await expect(
        // Long enough for the query to reach PostgreSQL after the boot on a loaded machine.
        php.cli(['php', '/work/hang.php'], { db: session.port, timeoutMs: 6_000 }),
      ).rejects.toThrow(PhpTimeoutError);
      await session.end();
      expect(hung.failed).toMatch(/still running/);
      // A later run is told at once, not left waiting.
      const next = hung.session();
      const later = await php.cli(['php', '/work/n.php'], { db: next.port, timeoutMs: 10_000 });
      await next.end();
      expect(later.stdout + later.stderr).toContain(
        'Unable to connect to PostgreSQL server: the database is gone',
      );
    } finally {
      await hung.close();
    }
  }, 60_000);
});
