import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPhpRuntime,
  PhpCrashError,
  PhpRuntimeError,
  PhpTimeoutError,
  type PhpRuntime,
  type PhpRuntimeOptions,
} from './runtime.js';
import { classifyCrash } from './runtime-limits.js';

const MiB = 1024 * 1024;

describe('classifyCrash', () => {
  it.each([
    ['RangeError', 'Maximum call stack size exceeded', undefined, 'stack-overflow'],
    [
      'Error',
      'Worker terminated due to reaching memory limit',
      'ERR_WORKER_OUT_OF_MEMORY',
      'out-of-memory',
    ],
    [
      'RangeError',
      'WebAssembly.Memory.grow(): Maximum memory size exceeded',
      undefined,
      'out-of-memory',
    ],
    ['RuntimeError', 'Aborted(). Build with -sASSERTIONS for more info.', undefined, 'wasm-abort'],
    ['RuntimeError', 'table index is out of bounds', undefined, 'wasm-trap'],
    ['RuntimeError', 'unreachable', undefined, 'wasm-trap'],
    ['WorkerExit', 'the PHP worker exited (code 1)', 'WORKER_EXIT', 'worker-died'],
    ['TypeError', 'x is not a function', undefined, 'runtime-error'],
  ])('%s "%s" (%s) is %s', (name, message, code, kind) => {
    expect(classifyCrash(name, message, code)).toBe(kind);
  });
});

// Boots real PHP 8.3 WASM runtimes (~0.5 s each). MPC_SLOW=0 skips them.
describe.runIf(process.env.MPC_SLOW !== '0')('PhpRuntime bounds (PHP 8.3 WASM)', () => {
  let root: string;
  const runtime = (options: Partial<PhpRuntimeOptions> = {}): Promise<PhpRuntime> =>
    createPhpRuntime({
      phpVersion: '8.3',
      mounts: [
        { hostPath: join(root, 'ro'), vfsPath: '/ro', readOnly: true },
        { hostPath: join(root, 'rw'), vfsPath: '/rw', readOnly: false },
      ],
      defaultTimeoutMs: 20_000,
      ...options,
    });
  const ini = { display_errors: 'stderr', error_reporting: '32767', log_errors: '0' };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'mpc-php-limits-'));
    mkdirSync(join(root, 'ro'));
    writeFileSync(join(root, 'ro', 'x.txt'), 'x');
    mkdirSync(join(root, 'ro', 'www'));
    writeFileSync(join(root, 'ro', 'www', 'flood.php'), '<?php echo str_repeat("a", 5000);');
    mkdirSync(join(root, 'rw'));
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  describe('output', () => {
    // 36 distinct bytes, printed in chunks of different sizes: the head and the tail must be the
    // exact first and last bytes whatever the chunking, and the rest counted to the byte.
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
    it.each([[1], [3], [7], [36]])(
      'keeps the first and last 5 bytes of 36 printed in chunks of %i',
      async (chunk) => {
        const php = await runtime({ maxOutputBytes: 10 });
        const code = `foreach (str_split('${alphabet}', ${chunk}) as $c) { echo $c; fwrite(STDERR, strtoupper($c)); }`;
        let streamed = '';
        const r = await php.cli(['php', '-r', code], { onStdout: (c) => (streamed += c) });
        const marker = (n: number, stream: string): string =>
          `\n[moodle-plugin-check: ${n} bytes of ${stream} not kept (limit 10 bytes per stream)]\n`;
        expect(r.stdout).toBe(`01234${marker(26, 'stdout')}vwxyz`);
        expect(r.stderr).toBe(`01234${marker(26, 'stderr')}VWXYZ`);
        expect(r).toMatchObject({ stdoutDroppedBytes: 26, stderrDroppedBytes: 26 });
        expect(streamed).toBe(r.stdout);
      },
    );

    it('keeps output under the limit whole, without a marker', async () => {
      const php = await runtime({ maxOutputBytes: 10 });
      const r = await php.cli(['php', '-r', 'echo "0123456789";']);
      expect(r).toMatchObject({ stdout: '0123456789', stdoutDroppedBytes: 0 });
    });

    it('keeps 8 MiB of a 2 GiB flood, fast and without buffering it', async () => {
      const php = await runtime();
      const started = performance.now();
      const before = process.memoryUsage().rss;
      const r = await php.cli([
        'php',
        '-r',
        'echo "start\\n"; for ($i = 0; $i < 2048; $i++) echo str_repeat("x", 1 << 20); echo "\\nthe end";',
      ]);
      expect(r.exitCode).toBe(0);
      expect(r.stdout.startsWith('start\nxxx')).toBe(true);
      expect(r.stdout.endsWith('xxx\nthe end')).toBe(true);
      expect(r.stdoutDroppedBytes).toBe(2048 * MiB + 'start\n\nthe end'.length - 8 * MiB);
      expect(r.stdout.length).toBeLessThan(8 * MiB + 200);
      expect(process.memoryUsage().rss - before).toBeLessThan(512 * MiB);
      expect(performance.now() - started).toBeLessThan(30_000);
    });

    it('keeps the first maxOutputBytes of a web response body and counts the rest', async () => {
      const php = await runtime({ maxOutputBytes: 1000 });
      const r = await php.request(
        { url: '/flood.php' },
        { documentRoot: '/ro/www', absoluteUrl: 'http://localhost' },
      );
      expect(r.status).toBe(200);
      expect(r.text).toBe('a'.repeat(1000));
      expect(r.stdoutDroppedBytes).toBe(4000);
    });

    it('counts and bounds an endless flood stopped at the time limit', async () => {
      const php = await runtime({ maxOutputBytes: MiB });
      const run = php.cli(
        ['php', '-r', 'echo "start\\n"; while (true) echo str_repeat("x", 1 << 20);'],
        // Long enough for 50 MiB on a loaded 2-core machine after the runtime's boot (intl included).
        { timeoutMs: 5000 },
      );
      const error = (await run.catch((e: unknown) => e)) as PhpTimeoutError;
      expect(error).toBeInstanceOf(PhpTimeoutError);
      expect(error.stdout.startsWith('start\n')).toBe(true);
      expect(error.stdout.length).toBeLessThan(MiB + 200);
      // The tail, read from memory shared with the terminated worker, is the flood's last bytes.
      expect(error.stdout.endsWith('x'.repeat(1000))).toBe(true);
      expect(error.stdoutDroppedBytes).toBeGreaterThan(50 * MiB);
    });
  });

  describe('disk quota', () => {
    it('fails writes past the quota with ENOSPC in PHP, in a mount and in /tmp', async () => {
      const php = await runtime({ diskQuotaBytes: MiB });
      const code = `
        $r = [];
        $r[] = file_put_contents('/rw/a.bin', str_repeat('a', 600000));
        $r[] = @file_put_contents('/rw/b.bin', str_repeat('b', 600000));
        $r[] = error_get_last()['message'] ?? '';
        $r[] = @file_put_contents('/tmp/c.bin', str_repeat('c', 600000));
        $r[] = file_put_contents('/tmp/small.txt', str_repeat('d', 400000));
        echo json_encode($r);`;
      const r = await php.cli(['php', '-r', code], { ini });
      expect(JSON.parse(r.stdout)).toEqual([
        600000,
        false,
        expect.stringMatching(/No space left on device/),
        false,
        400000,
      ]);
      expect(r).toMatchObject({
        exitCode: 0,
        diskQuotaExceeded: true,
        writtenBytes: 1_000_000,
        diskQuotaBytes: MiB,
      });
      expect(statSync(join(root, 'rw', 'a.bin')).size).toBe(600000);
      expect(statSync(join(root, 'rw', 'b.bin')).size).toBe(0);
    });

    it('counts what a run writes and says when the quota was not reached', async () => {
      const php = await runtime();
      const r = await php.cli([
        'php',
        '-r',
        "file_put_contents('/rw/ok.bin', str_repeat('o', 12345));",
      ]);
      expect(r).toMatchObject({ exitCode: 0, diskQuotaExceeded: false, writtenBytes: 12345 });
    });

    it('still refuses writes to a read-only mount (EROFS before the quota)', async () => {
      const php = await runtime({ diskQuotaBytes: MiB });
      const r = await php.cli(['php', '-r', "var_export(@file_put_contents('/ro/x.txt', 'y'));"]);
      expect(r).toMatchObject({ stdout: 'false', writtenBytes: 0, diskQuotaExceeded: false });
      expect(readdirSync(join(root, 'ro')).sort()).toEqual(['www', 'x.txt']);
    });
  });

  it('refuses to listen inside PHP: no host port opens, no connection reaches a host listener', async () => {
    const connections: string[] = [];
    const listener = createServer((socket) => {
      connections.push('connected');
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const hostPort = (listener.address() as AddressInfo).port;
    // A port nobody uses: PHP asks to listen on it; it must stay closed on the host.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const phpPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const openOnHost = (port: number): Promise<boolean> =>
      new Promise((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => {
          resolve(false);
        });
      });
    const code = `
      $tcp = @stream_socket_server('tcp://127.0.0.1:${phpPort}', $errno, $errstr);
      $udp = @stream_socket_server('udp://127.0.0.1:${phpPort}', $errno2, $errstr2, STREAM_SERVER_BIND);
      $any = @stream_socket_server('tcp://0.0.0.0:${hostPort}', $errno3, $errstr3);
      $client = @stream_socket_client('tcp://127.0.0.1:${hostPort}', $errno4, $errstr4, 2);
      if ($client) @fwrite($client, "hello");
      echo json_encode(['tcp' => $tcp, 'udp' => $udp, 'any' => $any]), "\\n";
      usleep(1500000);`;
    const php = await runtime();
    const seenWhileRunning: boolean[] = [];
    try {
      let checked: Promise<void> = Promise.resolve();
      const r = await php.cli(['php', '-r', code], {
        onStdout: (chunk) => {
          // PHP is sleeping now, after its listen attempts: a port it got would be open.
          if (chunk.includes('tcp'))
            checked = openOnHost(phpPort).then((open) => void seenWhileRunning.push(open));
        },
      });
      await checked;
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ tcp: false, udp: false, any: false });
      expect(seenWhileRunning).toEqual([false]);
      expect(connections).toEqual([]);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('turns recursion through internal calls into PHP’s own stack error at its line', async () => {
    const php = await runtime();
    const code = 'function f($n) {\n  return array_map(fn($x) => f($x + 1), [$n]);\n}\nf(0);';
    const r = await php.cli(['php', '-r', code], { ini });
    expect(r.exitCode).toBe(255);
    expect(r.stderr).toMatch(
      /Maximum call stack size of \d+ bytes .* reached\. Infinite recursion\?/,
    );
    expect(r.stderr).toMatch(/Command line code:2/);
  });

  it('reports a stack overflow of the engine as a crash, with the output so far', async () => {
    const php = await runtime();
    // Freeing a million nested arrays recurses in C, where PHP does not check its stack.
    const code =
      '$a = []; $r = &$a; for ($i = 0; $i < 1000000; $i++) { $r[0] = []; $r = &$r[0]; } unset($r); echo "built\\n"; $a = null; echo "freed\\n";';
    const error = (await php.cli(['php', '-r', code]).catch((e: unknown) => e)) as PhpCrashError;
    expect(error).toBeInstanceOf(PhpCrashError);
    expect(error.kind).toBe('stack-overflow');
    expect(error.message).toMatch(/^PHP crashed: a stack overflow \(deep or endless recursion\)/);
    expect(error.stdout).toBe('built\n');
  });

  it('reports the worker running out of heap as an out-of-memory crash', async () => {
    // A deliberately tiny heap, filled through the worker's memo of long missing paths.
    const php = await runtime({ workerHeapMb: 24 });
    const code =
      '$p = "/ro/none/" . str_repeat("a", 3000); for ($i = 0; $i < 200000; $i++) file_exists($p . $i); echo "survived";';
    const error = (await php.cli(['php', '-r', code]).catch((e: unknown) => e)) as PhpCrashError;
    expect(error).toBeInstanceOf(PhpCrashError);
    expect(error.kind).toBe('out-of-memory');
  });

  it('keeps a runtime that does not boot a plain PhpRuntimeError (a failure of the tool)', async () => {
    const php = await runtime({
      resolvedPackage: {
        spec: { name: '@php-wasm/node-8-3', version: '0' },
        dir: root,
        build: 'asyncify',
        loaderPath: join(root, 'missing-loader.js'),
        source: 'cache',
      },
    });
    const error = (await php.cli(['php', '-r', 'echo 1;']).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(PhpRuntimeError);
    expect(error).not.toBeInstanceOf(PhpCrashError);
  });
});
