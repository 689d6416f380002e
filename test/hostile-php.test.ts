// Integration: plugins whose install does something hostile to the PHP runtime, checked through
// the CLI on a real Moodle 4.5 (PHP 8.3) from the tool's cache. Every way PHP can die is a finding
// and exit code 1, never an internal error (3), a hung job or an opened port. Skipped, with a
// message, when no 4.5 tree is registered (`moodle-plugin-check moodle import <dir>`).
import { connect, createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fixture } from '../src/checks/testing.js';
import { exitCodeFor } from '../src/cli/main.js';
import { runCli } from '../src/cli/testing.js';
import { runCheck } from '../src/pipeline/pipeline.js';
import { registeredBranches } from './real-moodle.js';

const ready = registeredBranches(['405']).length > 0;

interface JsonReport {
  findings: { ruleId: string; file?: string; line?: number; message: string }[];
  phases: { name: string; status: string }[];
}

async function check(name: string, timeoutSeconds = 60) {
  const started = performance.now();
  const { code, out, err } = await runCli(
    'check',
    fixture(name),
    '--moodle',
    '4.5',
    '--offline',
    '--timeout',
    String(timeoutSeconds),
    '--format',
    'json',
  );
  const seconds = (performance.now() - started) / 1000;
  expect(err).not.toMatch(/internal error/);
  const report = JSON.parse(out) as JsonReport;
  const install = report.findings.filter((f) => f.ruleId.startsWith('install/'));
  return {
    code,
    seconds,
    report,
    install,
    where: install.map((f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''}`),
    phases: report.phases.map((p) => `${p.name}:${p.status}`),
  };
}

const isOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });

describe.skipIf(!ready)('hostile plugin installs on Moodle 4.5 (php-wasm)', () => {
  it(
    'endless recursion is PHP’s own stack error at its line',
    { timeout: 5 * 60_000 },
    async () => {
      const r = await check('hostile-recursion');
      expect(r.code).toBe(1);
      expect(r.where).toEqual(['install/exception db/install.php:22']);
      expect(r.install[0]?.message).toMatch(/Maximum call stack size of \d+ bytes .*reached/);
      expect(r.seconds).toBeLessThan(120);
    },
  );

  it(
    'a crash of the runtime is install/crashed and the run goes on',
    { timeout: 5 * 60_000 },
    async () => {
      const r = await check('hostile-crash');
      expect(r.code).toBe(1);
      expect(r.where).toEqual(['install/crashed :']);
      expect(r.install[0]?.message).toMatch(
        /^PHP crashed while installing or upgrading local_hostilecrash: a stack overflow/,
      );
      expect(r.phases).toEqual(expect.arrayContaining(['install:failed', 'environment:passed']));
      expect(r.seconds).toBeLessThan(120);
    },
  );

  it(
    '2 GiB of output is install/output-limit, kept to 8 MiB',
    { timeout: 5 * 60_000 },
    async () => {
      const before = process.memoryUsage().rss;
      const r = await check('hostile-output-flood');
      expect(r.code).toBe(1);
      expect(r.where).toEqual(['install/output-limit :']);
      expect(r.install[0]?.message).toMatch(/printed 2\.0 GiB of output beyond the 8 MiB kept/);
      expect(r.phases).toContain('install:failed');
      expect(process.memoryUsage().rss - before).toBeLessThan(1024 * 1024 * 1024);
      expect(r.seconds).toBeLessThan(120);
    },
  );

  it(
    'a listening socket fails inside PHP: no host port opens, no connection reaches the host',
    { timeout: 5 * 60_000 },
    async () => {
      // The fixture listens on 48123 and connects to 48124 (fixed: it cannot be told ports).
      expect(await isOpen(48123), 'port 48123 is already in use on this machine').toBe(false);
      const connections: string[] = [];
      const listener: Server = createServer((socket) => {
        connections.push('connected');
        socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(48124, '127.0.0.1', resolve);
      });
      const seenOpen: boolean[] = [];
      const poll = setInterval(() => {
        void isOpen(48123).then((open) => {
          if (open) seenOpen.push(open);
        });
      }, 100);
      try {
        const r = await check('hostile-socket');
        expect(r.code).toBe(1);
        expect(r.where).toEqual([
          'install/php-warning db/install.php:11',
          'install/exception db/install.php:18',
        ]);
        expect(r.install[0]?.message).toMatch(/stream_socket_server\(\): Unable to connect/);
        expect(seenOpen).toEqual([]);
        expect(connections).toEqual([]);
      } finally {
        clearInterval(poll);
        await new Promise((resolve) => listener.close(resolve));
      }
    },
  );

  it(
    'writes past the disk quota fail in PHP and are install/disk-quota; a clean install is clean',
    { timeout: 5 * 60_000 },
    async () => {
      const run = async (diskQuotaBytes?: number) => {
        const { report } = await runCheck({
          pluginDir: fixture('mod_example'),
          moodle: true,
          moodleOptions: {
            spec: '4.5',
            offline: true,
            timeoutMs: 120_000,
            // The PHP side of the quota: SQLite's file is one PHP writes (PostgreSQL's cluster
            // has its own bound, src/php/pglite.test.ts).
            db: 'sqlite',
            ...(diskQuotaBytes !== undefined ? { limits: { diskQuotaBytes } } : {}),
          },
        });
        return report;
      };
      // The clean run first: it also installs and caches the site when none is cached yet, so the
      // quota below bounds the plugin's install, not Moodle's own.
      const clean = await run();
      expect(clean.findings.filter((f) => f.ruleId.startsWith('install/'))).toEqual([]);
      expect(exitCodeFor(clean, 'error')).toBe(0);
      // Installing mod_example writes ~1.9 MB (database pages, caches): 256 KiB cannot hold it.
      const limited = await run(256 * 1024);
      const ids = limited.findings.map((f) => f.ruleId);
      expect(ids).toContain('install/disk-quota');
      // Moodle's own failure comes with it: SQLite says "database or disk is full".
      expect(ids).toContain('install/failed');
      expect(exitCodeFor(limited, 'error')).toBe(1);
    },
  );

  it(
    'a blueprint step that writes past the disk quota fails with the quota named',
    { timeout: 5 * 60_000 },
    async () => {
      const { report } = await runCheck({
        pluginDir: fixture('mod_example'),
        moodle: true,
        blueprint: JSON.stringify({
          steps: [
            {
              step: 'runPhpCode',
              code: "<?php $f = fopen('/persist/moodledata/big', 'w'); for ($i = 0; $i < 64; $i++) { @fwrite($f, str_repeat('x', 1 << 20)); } echo 'carried on';",
            },
          ],
        }),
        moodleOptions: {
          spec: '4.5',
          offline: true,
          timeoutMs: 120_000,
          limits: { diskQuotaBytes: 16 * 1024 * 1024 },
        },
      });
      // The install (about 2 MB) fits; the step's 64 MiB does not, and PHP carried on regardless.
      expect(report.phases.find((p) => p.name === 'install')?.status).toBe('passed');
      const step = report.blueprint?.steps[0];
      expect(step?.status).toBe('failed');
      expect(step?.error).toMatch(/more than the disk quota of 16(\.0)? MiB/);
      expect(report.findings.map((f) => f.ruleId)).toContain('blueprint/step-warning');
    },
  );
});

if (!ready) {
  it.skip('hostile plugin installs: no Moodle 4.5 tree registered (run `moodle-plugin-check moodle import <dir>`)', () =>
    undefined);
}
