import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhpRuntime, PhpTimeoutError, type PhpRuntime } from './runtime.js';
import { phpWasmBuild, resolveRuntimePackage } from './runtime-package.js';

// Boots real PHP 8.3 WASM runtimes (~0.5 s each). MPC_SLOW=0 skips them.
describe.runIf(process.env.MPC_SLOW !== '0')('PhpRuntime (PHP 8.3 WASM)', () => {
  let root: string;
  let php: PhpRuntime;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mpc-php-runtime-'));
    mkdirSync(join(root, 'ro', 'sub'), { recursive: true });
    writeFileSync(join(root, 'ro', 'hello.txt'), 'hello from host');
    writeFileSync(join(root, 'ro', 'sub', 'keep.txt'), 'keep');
    writeFileSync(join(root, 'ro', 'script.php'), '<?php echo getcwd(), "|", $argv[1] ?? "";');
    mkdirSync(join(root, 'rw'));
    php = await createPhpRuntime({
      phpVersion: '8.3',
      mounts: [
        { hostPath: join(root, 'ro'), vfsPath: '/moodle', readOnly: true },
        { hostPath: join(root, 'rw'), vfsPath: '/moodledata', readOnly: false },
      ],
      defaultTimeoutMs: 15_000,
    });
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('runs php -r in PHP 8.3', async () => {
    const result = await php.cli(['php', '-r', 'echo PHP_VERSION;']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^8\.3\.\d+$/);
    expect(result.bootMs).toBeGreaterThan(0);
  });

  it('reports exit codes and stderr, and runs each call in a fresh runtime', async () => {
    const first = await php.cli([
      'php',
      '-r',
      '$GLOBALS["x"] = 1; fwrite(STDERR, "oops"); exit(3);',
    ]);
    expect(first).toMatchObject({ exitCode: 3, stderr: 'oops' });
    const second = await php.cli(['php', '-r', 'var_export(isset($GLOBALS["x"]));']);
    expect(second).toMatchObject({ exitCode: 0, stdout: 'false' });
  });

  it('runs a mounted script with arguments in the requested cwd', async () => {
    const result = await php.cli(['php', '/moodle/script.php', 'arg1'], { cwd: '/moodle' });
    expect(result.stdout).toBe('/moodle|arg1');
  });

  it('reads a read-only mount but refuses every write to it', async () => {
    const code = `
      $r = [];
      $r[] = file_get_contents('/moodle/hello.txt');
      $r[] = var_export(@file_put_contents('/moodle/hello.txt', 'changed'), true);
      $r[] = var_export(@file_put_contents('/moodle/new.txt', 'x'), true);
      $r[] = var_export(@fopen('/moodle/hello.txt', 'a'), true);
      $r[] = var_export(@unlink('/moodle/sub/keep.txt'), true);
      $r[] = var_export(@rename('/moodle/hello.txt', '/moodle/moved.txt'), true);
      $r[] = var_export(@mkdir('/moodle/newdir'), true);
      $r[] = var_export(@rmdir('/moodle/sub'), true);
      $r[] = var_export(@touch('/moodle/hello.txt', 1), true);
      $r[] = var_export(@chmod('/moodle/hello.txt', 0777), true);
      $r[] = var_export(@copy('/moodle/hello.txt', '/moodledata/copy.txt'), true);
      $r[] = var_export(@rename('/moodle/sub/keep.txt', '/moodledata/stolen.txt'), true);
      echo implode('|', $r);`;
    const result = await php.cli(['php', '-r', code]);
    expect(result.stdout.split('|')).toEqual([
      'hello from host',
      'false',
      'false',
      'false',
      'false',
      'false',
      'false',
      'false',
      'false',
      'false',
      'true',
      // Across mounts PHP's rename() falls back to copy + unlink and ignores the failed unlink:
      // the file is copied out, the read-only source stays (checked below).
      'true',
    ]);
    expect(readFileSync(join(root, 'ro', 'hello.txt'), 'utf8')).toBe('hello from host');
    expect(readdirSync(join(root, 'ro')).sort()).toEqual(['hello.txt', 'script.php', 'sub']);
    expect(readFileSync(join(root, 'ro', 'sub', 'keep.txt'), 'utf8')).toBe('keep');
    expect(readFileSync(join(root, 'rw', 'copy.txt'), 'utf8')).toBe('hello from host');
    expect(readFileSync(join(root, 'rw', 'stolen.txt'), 'utf8')).toBe('keep');
  });

  // The worker lists read-only folders once and memoises paths that end (or fail) in them; paths
  // through writable places must still see every change made during the run.
  it('keeps path lookups right while a run changes folders, symlinks and files', async () => {
    const code = `
      $r = [];
      $r[] = var_export(file_exists('/moodle/sub/keep.txt'), true);
      $r[] = var_export(file_exists('/moodle/sub/none.txt'), true);
      $r[] = var_export(file_exists('/moodle/sub/none.txt'), true);
      $r[] = var_export(is_dir('/moodle/nosuch/dir'), true);
      // A writable folder: a name missing at first can appear, then go again.
      $r[] = var_export(file_exists('/moodledata/later.txt'), true);
      file_put_contents('/moodledata/later.txt', 'x');
      $r[] = var_export(file_exists('/moodledata/later.txt'), true);
      unlink('/moodledata/later.txt');
      $r[] = var_export(file_exists('/moodledata/later.txt'), true);
      // A symlink on the way into the read-only mount, then removed.
      mkdir('/tmp/d');
      symlink('/moodle/sub', '/tmp/d/link');
      $r[] = var_export(file_exists('/tmp/d/link/keep.txt'), true);
      unlink('/tmp/d/link');
      $r[] = var_export(file_exists('/tmp/d/link/keep.txt'), true);
      // A folder on the way renamed.
      symlink('/moodle/sub', '/tmp/d/link2');
      $r[] = var_export(file_exists('/tmp/d/link2/keep.txt'), true);
      rename('/tmp/d', '/tmp/e');
      $r[] = var_export(file_exists('/tmp/d/link2/keep.txt'), true);
      $r[] = var_export(file_exists('/tmp/e/link2/keep.txt'), true);
      // A folder on the way made unsearchable (the VFS checks modes even for root).
      chmod('/tmp/e', 0);
      $r[] = var_export(file_exists('/tmp/e/link2/keep.txt'), true);
      echo implode('|', $r);`;
    const result = await php.cli(['php', '-r', code]);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('|')).toEqual([
      'true',
      'false',
      'false',
      'false',
      'false',
      'true',
      'false',
      'true',
      'false',
      'true',
      'false',
      'true',
      'false',
    ]);
  });

  it('shows PHP nothing of the host filesystem or environment beyond what is declared', async () => {
    process.env.MPC_SECRET_PROBE = 'leak';
    const code = `
      echo json_encode([
        'home' => getenv('HOME'),
        'probe' => getenv('MPC_SECRET_PROBE'),
        'env' => getenv(),
        'given' => getenv('GIVEN'),
        'passwd' => file_exists('/etc/passwd'),
        'root' => scandir('/'),
      ]);`;
    try {
      const result = await php.cli(['php', '-r', code], { env: { GIVEN: 'yes' } });
      const seen = JSON.parse(result.stdout) as Record<string, unknown>;
      expect(seen.home).not.toBe(process.env.HOME);
      expect(seen.probe).toBe(false);
      expect(JSON.stringify(seen.env)).not.toContain('leak');
      expect(JSON.stringify(seen.env)).not.toContain(process.cwd());
      expect(seen.given).toBe('yes');
      expect(seen.passwd).toBe(false);
      expect(seen.root).not.toContain('etc');
      expect(seen.root).toContain('moodle');
    } finally {
      delete process.env.MPC_SECRET_PROBE;
    }
  });

  it('gives PHP no network and no processes', async () => {
    const connections: string[] = [];
    const server = createServer((socket) => {
      connections.push('connected');
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const code = `
      $s = @fsockopen('127.0.0.1', ${port}, $errno, $errstr, 2);
      $wrote = $s ? @fwrite($s, "GET / HTTP/1.0\\r\\n\\r\\n") : false;
      $http = @file_get_contents('http://127.0.0.1:${port}/');
      $c = curl_init('http://127.0.0.1:${port}/');
      curl_setopt($c, CURLOPT_RETURNTRANSFER, true);
      curl_setopt($c, CURLOPT_TIMEOUT, 2);
      echo json_encode([
        'fsock' => $s !== false, 'fsockerr' => $errstr,
        'http' => $http, 'curl' => curl_exec($c), 'curlerr' => curl_error($c),
        'shell' => @shell_exec('echo hi'), 'exec' => exec('id', $out, $rc), 'rc' => $rc,
      ]);`;
    try {
      const result = await php.cli(['php', '-r', code]);
      const seen = JSON.parse(result.stdout) as Record<string, unknown>;
      // Refused at connect() in both builds, not a socket that only fails on its first write.
      expect(seen).toMatchObject({ fsock: false, http: false, curl: false });
      expect(seen.fsockerr).toMatch(/refused/i);
      expect(seen.rc).not.toBe(0);
      expect(seen.curlerr).toMatch(/refused|couldn't connect/i);
      expect(seen.shell).toBeFalsy();
      expect(connections).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('stops a PHP infinite loop at the timeout', async () => {
    const started = performance.now();
    const run = php.cli(['php', '-r', 'echo "before"; while (true) {}'], { timeoutMs: 1500 });
    await expect(run).rejects.toBeInstanceOf(PhpTimeoutError);
    await expect(run).rejects.toThrow(/did not finish within 1500 ms/);
    expect(performance.now() - started).toBeLessThan(4000);
  });

  it('has working OpenSSL key generation (default openssl.cnf provided)', async () => {
    const code = `
      $key = openssl_pkey_new(['private_key_bits' => 2048, 'private_key_type' => OPENSSL_KEYTYPE_RSA]);
      echo $key && openssl_pkey_export($key, $pem) && str_contains($pem, 'PRIVATE KEY') ? 'ok' : openssl_error_string();`;
    const result = await php.cli(['php', '-r', code]);
    expect(result.stdout).toBe('ok');
  });

  it('applies memoryLimit', async () => {
    const result = await php.cli(['php', '-r', "echo ini_get('memory_limit');"], {
      memoryLimit: '768M',
    });
    expect(result.stdout).toBe('768M');
  });
});

describe('createPhpRuntime mount validation', () => {
  const resolvedPackage = {
    spec: { name: '@php-wasm/node-8-3', version: '0' },
    dir: '/nonexistent',
    build: 'asyncify' as const,
    loaderPath: '/nonexistent/php.js',
    source: 'cache' as const,
  };
  it.each([
    ['relative', 'moodle'],
    ['root', '/'],
    ['not normalised', '/a/../b'],
    ['reserved', '/internal/shared'],
  ])('rejects a %s target', async (_label, vfsPath) => {
    await expect(
      createPhpRuntime({
        phpVersion: '8.3',
        mounts: [{ hostPath: tmpdir(), vfsPath, readOnly: true }],
        resolvedPackage,
      }),
    ).rejects.toThrow(/mount target/);
  });

  it('rejects a missing source', async () => {
    await expect(
      createPhpRuntime({
        phpVersion: '8.3',
        mounts: [{ hostPath: '/definitely/not/here', vfsPath: '/x', readOnly: true }],
        resolvedPackage,
      }),
    ).rejects.toThrow(/does not exist/);
  });

  it('rejects argv that is not php', async () => {
    const runtime = await createPhpRuntime({ phpVersion: '8.3', mounts: [], resolvedPackage });
    await expect(runtime.cli(['sh', '-c', 'id'])).rejects.toThrow(/argv\[0\] must be 'php'/);
  });

  it('finds the pinned 8.3 package in node_modules during development', async () => {
    const pkg = await resolveRuntimePackage('8.3');
    expect(pkg.source).toBe('node_modules');
    expect(pkg.build).toBe(phpWasmBuild());
    expect(pkg.loaderPath).toBe(join(pkg.dir, pkg.build, 'php_8_3.js'));
  });
});
