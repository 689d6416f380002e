// The cost of one query through the PGlite bridge (PHP's pg_* functions → post_message_to_js →
// the PHP worker → the site's PGlite worker → back), against the same queries on SQLite through
// PDO inside the same php-wasm, and the bare round trip of the bridge. Run by `npm run bench`.
import { build } from 'esbuild';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const N = Number(process.env.MPC_BENCH_BRIDGE_QUERIES ?? 2000);

export async function benchBridge(root) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'mpc-bench-bridge-'));
  // The runtime and the database as the product runs them, bundled from the sources; the
  // workers are the built ones in dist/.
  const entry = path.join(tmp, 'entry.mjs');
  await build({
    stdin: {
      contents: `export { createPhpRuntime } from ${JSON.stringify(path.join(root, 'src/php/runtime.ts'))};
        export { PgliteDatabase } from ${JSON.stringify(path.join(root, 'src/php/pglite.ts'))};`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: entry,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  const { createPhpRuntime, PgliteDatabase } = await import(pathToFileURL(entry).href);
  const script = `<?php
require '/mpc/lib/dml/pglite_bridge.php';
$n = ${N};
$out = [];
$t = microtime(true);
for ($i = 0; $i < $n; $i++) post_message_to_js('pg:{"op":"connect"}');
$out['round trip to the database worker, no SQL'] = (microtime(true) - $t) * 1000 / $n;

$c = pg_connect('');
pg_query($c, 'CREATE TABLE b (id bigserial PRIMARY KEY, name varchar(255) NOT NULL, n bigint)');
$t = microtime(true);
for ($i = 0; $i < $n; $i++) pg_query_params($c, 'INSERT INTO b (name, n) VALUES ($1, $2) RETURNING id', ["x$i", $i]);
$out['PGlite INSERT ... RETURNING id'] = (microtime(true) - $t) * 1000 / $n;
$t = microtime(true);
for ($i = 0; $i < $n; $i++) pg_fetch_assoc(pg_query_params($c, 'SELECT id, name, n FROM b WHERE id = $1', [$i + 1]));
$out['PGlite SELECT by id'] = (microtime(true) - $t) * 1000 / $n;
$t = microtime(true);
for ($i = 0; $i < $n; $i++) pg_query($c, 'SELECT id, name, n FROM b WHERE id = ' . ($i + 1));
$out['PGlite SELECT, no parameters (simple protocol)'] = (microtime(true) - $t) * 1000 / $n;

$pdo = new PDO('sqlite::memory:');
$pdo->exec('CREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT, name varchar(255) NOT NULL, n bigint)');
$t = microtime(true);
$ins = $pdo->prepare('INSERT INTO b (name, n) VALUES (?, ?)');
for ($i = 0; $i < $n; $i++) { $ins->execute(["x$i", $i]); $pdo->lastInsertId(); }
$out['SQLite (PDO, same PHP) INSERT'] = (microtime(true) - $t) * 1000 / $n;
$t = microtime(true);
for ($i = 0; $i < $n; $i++) { $s = $pdo->prepare('SELECT id, name, n FROM b WHERE id = ?'); $s->execute([$i + 1]); $s->fetch(PDO::FETCH_ASSOC); }
$out['SQLite (PDO, same PHP) SELECT by id'] = (microtime(true) - $t) * 1000 / $n;
echo json_encode($out);
`;
  writeFileSync(path.join(tmp, 'bridge.php'), script);
  const php = await createPhpRuntime({
    phpVersion: '8.3',
    mounts: [
      { hostPath: path.join(root, 'php'), vfsPath: '/mpc', readOnly: true },
      { hostPath: tmp, vfsPath: '/bench', readOnly: true },
    ],
    workerUrl: pathToFileURL(path.join(root, 'dist/php-worker.mjs')),
  });
  const db = await PgliteDatabase.start({
    dataDir: path.join(tmp, 'pg'),
    workerUrl: pathToFileURL(path.join(root, 'dist/pglite-worker.mjs')),
  });
  try {
    const session = db.session();
    const r = await php.cli(['php', '/bench/bridge.php'], { db: session.port, timeoutMs: 600_000 });
    await session.end();
    if (r.exitCode !== 0) throw new Error(`bridge bench failed: ${r.stdout}${r.stderr}`);
    const rows = Object.entries(JSON.parse(r.stdout)).map(([what, ms]) => ({
      what,
      'ms per query': ms.toFixed(3),
    }));
    console.log(
      `\nDatabase bridge, ${N} queries each, php-wasm 8.3 (PGlite ${db.serverVersion}); one PHP run`,
    );
    console.table(rows);
  } finally {
    await db.close();
  }
}
