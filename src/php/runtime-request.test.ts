// PhpRuntime.request(): one HTTP request through PHPRequestHandler in a fresh runtime.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhpRuntime, type PhpRuntime } from './runtime.js';

describe.runIf(process.env.MPC_SLOW !== '0')('PhpRuntime.request (PHP 8.3 WASM)', () => {
  let root: string;
  let php: PhpRuntime;
  const http = { documentRoot: '/www', absoluteUrl: 'http://localhost', timeoutMs: 30_000 };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mpc-php-request-'));
    mkdirSync(join(root, 'www', 'course'), { recursive: true });
    writeFileSync(join(root, 'www', 'config.php'), '<?php $cfg = "loaded";');
    // Moodle's pattern: a relative require of the parent folder's config.php.
    writeFileSync(
      join(root, 'www', 'course', 'view.php'),
      `<?php require('../config.php');
setcookie('MoodleSession', 'abc123', 0, '/');
header('X-Test: yes');
echo json_encode(['cfg' => $cfg, 'cwd' => getcwd(), 'method' => $_SERVER['REQUEST_METHOD'],
  'id' => $_GET['id'] ?? null, 'post' => $_POST, 'cookie' => $_COOKIE['c'] ?? null,
  'pathinfo' => $_SERVER['PATH_INFO'] ?? null,
  'write' => @file_put_contents('/www/new.txt', 'x') !== false]);`,
    );
    writeFileSync(join(root, 'www', 'course', 'index.php'), '<?php echo "index of ", getcwd();');
    mkdirSync(join(root, 'tools'));
    writeFileSync(join(root, 'tools', 'hello.php'), '<?php echo "aliased ", getcwd();');
    php = await createPhpRuntime({
      phpVersion: '8.3',
      mounts: [
        { hostPath: join(root, 'www'), vfsPath: '/www', readOnly: true },
        { hostPath: join(root, 'tools'), vfsPath: '/tools', readOnly: true },
      ],
    });
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('chdirs into the script folder; query, POST body, cookies, headers; read-only mounts hold', async () => {
    const r = await php.request(
      {
        method: 'POST',
        url: '/course/view.php?id=7',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'c=jar' },
        body: 'a=1&b=two',
      },
      http,
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({
      cfg: 'loaded',
      cwd: '/www/course',
      method: 'POST',
      id: '7',
      post: { a: '1', b: 'two' },
      cookie: 'jar',
      pathinfo: expect.toBeOneOf([null, '']) as unknown,
      write: false,
    });
    expect(r.headers['set-cookie']?.[0]).toMatch(/^MoodleSession=abc123/);
    expect(r.headers['x-test']).toEqual(['yes']);
  });

  it('serves a folder’s index.php, path info and aliased folders', async () => {
    expect((await php.request({ url: '/course/' }, http)).text).toBe('index of /www/course');
    const info = await php.request({ url: '/course/view.php/1/x.png' }, http);
    expect(JSON.parse(info.text)).toMatchObject({ cwd: '/www/course', pathinfo: '/1/x.png' });
    const aliased = await php.request(
      { url: '/__t/hello.php' },
      { ...http, pathAliases: [{ urlPrefix: '/__t', fsPath: '/tools' }] },
    );
    expect(aliased.text).toBe('aliased /tools');
    expect((await php.request({ url: '/nothing.php' }, http)).status).toBe(404);
  });
});
