import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBlueprint } from './executor.js';
import { parseOpsOutput } from './moodle-site.js';
import type {
  BlueprintSite,
  HttpRequest,
  HttpResult,
  HttpVia,
  MoodleOp,
  OpsRun,
} from './site-api.js';
import { SiteFiles } from './site-files.js';
import type { BlueprintStep, LoadedBlueprint } from './types.js';

/** A site that records what steps ask for; `failOp` makes that step's operation fail. */
class FakeSite implements BlueprintSite {
  readonly webRoot = '/www/moodle';
  readonly branch = 405;
  readonly calls: string[] = [];
  readonly written = new Map<string, string>();
  failOp: number | undefined;
  crashOp: number | undefined;
  readonly files = {
    exists: (vfs: string) => this.written.has(vfs),
    read: (vfs: string) => new TextEncoder().encode(this.written.get(vfs) ?? ''),
    write: (vfs: string, data: Uint8Array) => {
      this.calls.push(`write ${vfs}`);
      this.written.set(vfs, new TextDecoder().decode(data));
    },
    mkdir: (vfs: string) => this.calls.push(`mkdir ${vfs}`),
    rmdir: (vfs: string) => this.calls.push(`rmdir ${vfs}`),
    copy: (a: string, b: string) => this.calls.push(`copy ${a} ${b}`),
    move: (a: string, b: string) => this.calls.push(`move ${a} ${b}`),
    delete: (vfs: string) => this.written.delete(vfs),
  };

  runOps(ops: readonly MoodleOp[]): Promise<OpsRun> {
    this.calls.push(`ops ${ops.map((o) => `${o.index}:${o.op}`).join(',')}`);
    const results = [];
    for (const o of ops) {
      if (o.index === this.crashOp)
        return Promise.resolve({
          results,
          totalMs: 100,
          crashed: { index: o.index, message: 'PHP Fatal error: boom' },
        });
      const ok = o.index !== this.failOp;
      results.push({
        index: o.index,
        ok,
        ms: 5,
        ...(ok ? { output: `did ${o.op}` } : { error: 'Moodle says no' }),
      });
      // As ops.php: a failure goes on to the next operation, unless the step is critical.
      if (!ok && o.critical) break;
    }
    return Promise.resolve({ results, totalMs: 1000 });
  }

  runPhp(code: string) {
    this.calls.push(`php ${code.length}`);
    return Promise.resolve({ exitCode: 0, stdout: 'php ok', stderr: '' });
  }

  request(r: HttpRequest, via?: HttpVia): Promise<HttpResult> {
    this.calls.push(`request ${via?.kind ?? r.url} cookie=${r.headers?.cookie ?? ''}`);
    const headers: Record<string, string[]> =
      via?.kind === 'login' ? { 'set-cookie': ['MoodleSession=abc; path=/'] } : {};
    return Promise.resolve({
      status: r.url === '/missing' ? 404 : 200,
      headers,
      text: via?.kind === 'login' ? '{"ok":true}' : '<p>page</p>',
      errors: '',
    });
  }

  upgrade() {
    return Promise.resolve({ ok: true, output: '', message: '' });
  }
}

const loaded = (steps: BlueprintStep[], extra: Partial<LoadedBlueprint['blueprint']> = {}) =>
  ({ blueprint: { steps, ...extra }, source: 'test' }) as LoadedBlueprint;
const statuses = (r: { steps: { status: string }[] }) => r.steps.map((s) => s.status);

describe('runBlueprint', () => {
  it('runs steps in order, batching consecutive Moodle operations into one PHP call', async () => {
    const site = new FakeSite();
    const r = await runBlueprint(
      loaded(
        [
          { step: 'createUser', username: 'u1' },
          { step: 'createCourse', fullname: 'C', shortname: 'C' },
          { step: 'mkdir', path: '/persist/x' },
          { step: 'enrolUser', username: 'u1', course: 'C' },
          { step: 'login', username: 'u1' },
          { step: 'request', url: '/my/' },
        ],
        { runtime: { debug: 32767 } },
      ),
      site,
    );
    expect(statuses(r)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(site.calls).toEqual([
      'ops -1:runtime,0:createUsers,1:createCourses',
      'mkdir /persist/x',
      'ops 3:enrolUsers',
      'request login cookie=',
      'request /my/ cookie=MoodleSession=abc',
    ]);
    expect(r.steps[0]?.output).toBe('did createUsers');
    // The shared PHP boot is charged to the batch's first step.
    expect(r.steps[0]!.durationMs).toBeGreaterThan(r.steps[1]!.durationMs);
  });

  it('goes on past a failed step, as the Playground does, with Moodle’s message', async () => {
    const site = new FakeSite();
    site.failOp = 1;
    const r = await runBlueprint(
      loaded([
        { step: 'createUser', username: 'u1' },
        { step: 'createCourse', fullname: 'C', shortname: 'C' },
        { step: 'createCategory', name: 'still runs' },
        { step: 'mkdir', path: '/persist/still' },
      ]),
      site,
    );
    expect(statuses(r)).toEqual(['ok', 'failed', 'ok', 'ok']);
    expect(r.failedIndex).toBeUndefined();
    expect(r.failed).toEqual([1]);
    expect(r.steps[1]).toMatchObject({ step: 'createCourse', error: 'Moodle says no' });
    expect(site.calls).toEqual([
      'ops 0:createUsers,1:createCourses,2:createCategories',
      'mkdir /persist/still',
    ]);
  });

  it('stops at a failed critical step; the rest are skipped', async () => {
    const site = new FakeSite();
    site.failOp = 1;
    const r = await runBlueprint(
      loaded([
        { step: 'createUser', username: 'u1' },
        { step: 'createCourse', fullname: 'C', shortname: 'C', critical: true },
        { step: 'createCategory', name: 'never run' },
        { step: 'mkdir', path: '/persist/never' },
      ]),
      site,
    );
    expect(statuses(r)).toEqual(['ok', 'failed', 'skipped', 'skipped']);
    expect(r.failedIndex).toBe(1);
    expect(r.failed).toEqual([1]);
    expect(site.calls).toEqual(['ops 0:createUsers,1:createCourses,2:createCategories']);
  });

  it('runs pending operations before a failing filesystem step, and refuses paths out of the site', async () => {
    const site = new FakeSite();
    const r = await runBlueprint(
      loaded([
        { step: 'createUser', username: 'u1' },
        { step: 'writeFile', path: '/persist/../etc/passwd', data: 'x' },
        { step: 'writeFile', path: '/persist/ok', data: 'x' },
      ]),
      site,
    );
    expect(statuses(r)).toEqual(['ok', 'failed', 'ok']);
    expect(r.steps[1]?.error).toMatch(/steps\/1 \(writeFile\)\.path: .*"\.\."/);
    expect(site.calls).toEqual(['ops 0:createUsers', 'write /persist/ok']);
    const outside = await runBlueprint(loaded([{ step: 'mkdir', path: '/etc' }]), new FakeSite());
    expect(outside.steps[0]?.error).toMatch(/outside the site/);
  });

  it('fails a request step on HTTP ≥ 400 unless expectOk is false; keeps the landing page', async () => {
    const r = await runBlueprint(
      loaded(
        [
          { step: 'request', url: '/missing', expectOk: false },
          { step: 'setLandingPage', path: '/course/' },
          { step: 'request', url: 'http://localhost:8080/missing' },
        ],
        { landingPage: '/my/' },
      ),
      new FakeSite(),
    );
    expect(statuses(r)).toEqual(['ok', 'ok', 'failed']);
    expect(r.steps[2]?.error).toContain('HTTP 404');
    expect(r.landingPage).toBe('/course/');
  });

  it('resolves resources for writeFile and addModule files', async () => {
    const site = new FakeSite();
    const r = await runBlueprint(
      loaded([
        { step: 'writeFile', path: '/persist/a.txt', data: { literal: 'hello' } },
        {
          step: 'addModule',
          module: 'resource',
          course: 'C',
          files: [{ filename: 'f.txt', data: { base64: 'aGk=' } }],
          display: 1,
        },
      ]),
      site,
    );
    expect(statuses(r)).toEqual(['ok', 'ok']);
    expect(site.written.get('/persist/a.txt')).toBe('hello');
    expect([...site.written.values()]).toContain('hi');
  });
});

describe('installMoodlePlugin', () => {
  it('does not download the plugin under test again: it is installed from the checkout', async () => {
    const site = new FakeSite();
    site.written.set(
      '/www/moodle/mod/board/version.php',
      "<?php $plugin->component = 'mod_board';",
    );
    const r = await runBlueprint(
      loaded([
        {
          step: 'installMoodlePlugin',
          url: 'https://github.com/brickfield/moodle-mod_board/archive/refs/heads/main.zip',
        },
      ]),
      site,
      {
        resolve: () => Promise.reject(new Error('no download expected')),
      },
    );
    expect(statuses(r)).toEqual(['ok']);
    expect(r.steps[0]?.output).toContain('mod_board is already installed');
  });
});

describe('parseOpsOutput', () => {
  const M = '@@MPC-BP@@';
  it('keeps Moodle’s own output with the operation and finds a crash', () => {
    const out = [
      `${M}{"event":"start","index":0}`,
      'Debugging: something',
      `${M}{"event":"done","index":0,"ok":true,"ms":3,"output":"made"}`,
      `${M}{"event":"start","index":1}`,
      'PHP Fatal error: Allowed memory size exhausted',
    ].join('\n');
    const r = parseOpsOutput(out, '', 255, 900);
    expect(r.results).toEqual([
      { index: 0, ok: true, ms: 3, output: 'made\nDebugging: something' },
    ]);
    expect(r.crashed?.index).toBe(1);
    expect(r.crashed?.message).toContain('memory size exhausted');
  });
});

describe('SiteFiles', () => {
  const setup = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mpc-sitefiles-'));
    const tree = path.join(dir, 'tree');
    mkdirSync(path.join(tree, 'lib'), { recursive: true });
    mkdirSync(path.join(tree, 'local'), { recursive: true });
    writeFileSync(path.join(tree, 'lib/moodlelib.php'), '<?php');
    mkdirSync(path.join(dir, 'persist'));
    const injected: string[] = [];
    const files = new SiteFiles({
      treeRoot: tree,
      persistDir: path.join(dir, 'persist'),
      layerDir: path.join(dir, 'layer'),
      mounts: () => [
        {
          hostPath: path.join(dir, 'run/config.php'),
          vfsPath: '/www/moodle/config.php',
          readOnly: true,
        },
      ],
      inject: (rel) => {
        injected.push(rel);
        return () => injected.splice(injected.indexOf(rel), 1);
      },
    });
    return { dir, tree, files, injected };
  };

  it('writes new code into the run layer (injected), never into the cached tree', () => {
    const { dir, tree, files, injected } = setup();
    files.write('/www/moodle/local/new/a.php', new TextEncoder().encode('x'), 'f');
    files.write('/www/moodle/local/new/b.php', new TextEncoder().encode('y'), 'f');
    expect(injected).toEqual(['local/new']);
    expect(readFileSync(path.join(dir, 'layer/local/new/b.php'), 'utf8')).toBe('y');
    expect(() => {
      files.write('/www/moodle/lib/moodlelib.php', new Uint8Array(), 'f');
    }).toThrow(/part of the Moodle source, which is read-only/);
    expect(() => {
      files.write('/www/moodle/config.php', new Uint8Array(), 'f');
    }).toThrow(/provided by moodle-plugin-check/);
    expect(readFileSync(path.join(tree, 'lib/moodlelib.php'), 'utf8')).toBe('<?php');
    files.rmdir('/www/moodle/local/new', true, 'f');
    expect(injected).toEqual([]);
  });
});

describe('runBlueprint: the run bounds its url resources', () => {
  it('a server trickling bytes is stopped at the deadline the run passes down', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      const timer = setInterval(() => res.write('x'), 50);
      res.on('close', () => {
        clearInterval(timer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/slow.zip`;
    try {
      const started = Date.now();
      const r = await runBlueprint(
        loaded([{ step: 'writeFile', path: '/persist/x', data: { url } }]),
        new FakeSite(),
        { deadlineMs: 600 },
      );
      expect(statuses(r)).toEqual(['failed']);
      expect(r.steps[0]?.error).toMatch(
        /download deadline of 600 ms passed \(\d+ of 1000000 bytes received\)/,
      );
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
