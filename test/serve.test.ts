// End to end: `moodle-plugin-check serve` as a user runs it (the built CLI, a child process) on a
// real Moodle tree. Pages over HTTP, the one-time admin login, an edit of the plugin seen on the
// next request, a real browser (Debian's chromium, when installed) rendering the plugin's page
// with a screenshot kept for the test output, and Ctrl-C ending it with the site thrown away.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../src/checks/testing.js';
import { tempDir } from '../src/moodle/testing.js';
import { LABEL, registeredBranches } from './real-moodle.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const branch = ['405', '502', '501', '500'].find((b) => registeredBranches().includes(b));
const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find(
  (c) => spawnSync('which', [c]).status === 0,
);

/** Collects a child's output and waits for a line. */
class Child {
  out = '';
  err = '';
  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (this.err += d.toString()));
  }

  async waitFor(re: RegExp, ms: number): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.out);
      if (m) return m;
      if (this.proc.exitCode !== null || Date.now() > end)
        throw new Error(`no ${re} (exit ${this.proc.exitCode}):\n${this.out}\n${this.err}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A fetch that keeps one Moodle session, like a browser tab. */
function browser(): (url: string) => Promise<{ status: number; text: string; location?: string }> {
  let cookie = '';
  return async (url) => {
    const r = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
    for (const c of r.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      if (pair.startsWith('MoodleSession=')) cookie = pair;
    }
    return {
      status: r.status,
      text: await r.text(),
      location: r.headers.get('location') ?? undefined,
    };
  };
}

const children: Child[] = [];
afterAll(() => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
});

describe.skipIf(branch === undefined)(`serve on Moodle ${LABEL[branch ?? ''] ?? ''}`, () => {
  it(
    'serves the plugin, logs in once, shows an edit, renders in a browser, stops on Ctrl-C',
    { timeout: 15 * 60_000 },
    async () => {
      // A copy, so the test can edit it; the checkout itself is never written.
      const dir = path.join(tempDir('serve'), 'mod_example');
      cpSync(fixture('mod_example'), dir, { recursive: true });
      // A link out of the plugin is never followed for a static file.
      const outside = path.join(tempDir('serve-outside'), 'secret.txt');
      writeFileSync(outside, 'mpc-secret-outside-the-plugin');
      symlinkSync(outside, path.join(dir, 'pix', 'secret.txt'));
      const blueprint = JSON.stringify({
        landingPage: '/course/view.php?name=serve',
        steps: [
          { step: 'createCourses', courses: [{ fullname: 'Served course', shortname: 'serve' }] },
          { step: 'addModule', module: 'example', course: 'serve', name: 'Served example' },
        ],
      });
      const before = new Set(listServeDirs());
      const child = new Child(
        spawn(
          process.execPath,
          [
            path.join(ROOT, 'bin/moodle-plugin-check.js'),
            'serve',
            dir,
            '--moodle',
            LABEL[branch!]!,
            '--offline',
            '--upgrade-on-change',
            '--blueprint',
            blueprint,
          ],
          { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: 'pipe' },
        ),
      );
      children.push(child);
      const [, link, base] = await child.waitFor(
        /this link works once\): ((http:\/\/127\.0\.0\.1:\d+)\/__mpc\/login\?token=[\w-]+&to=\S+)/,
        10 * 60_000,
      );
      expect(child.out).toContain(`at ${base}/course/view.php?name=serve`);
      expect(child.err).toMatch(/serve: blueprint .*: 2\/2 steps ok/);

      const tab = browser();
      // Anonymous: Moodle sends the user to its login page.
      const anonymous = await tab(`${base}/course/view.php?name=serve`);
      expect([303, 302]).toContain(anonymous.status);
      expect(anonymous.location).toMatch(/\/login\/index\.php$/);
      // The one-time link: a Moodle session for admin, then the landing page.
      const login = await tab(link!);
      expect(login.status).toBe(303);
      expect(login.location).toBe('/course/view.php?name=serve');
      expect((await tab(link!)).status).toBe(403);
      const course = await tab(`${base}/course/view.php?name=serve`);
      expect(course.status).toBe(200);
      const cmid = /\/mod\/example\/view\.php\?id=(\d+)/.exec(course.text)?.[1];
      expect(cmid, 'the course page links the activity').toBeDefined();
      const viewUrl = `${base}/mod/example/view.php?id=${cmid!}`;
      const view = await tab(viewUrl);
      expect(view.status).toBe(200);
      expect(view.text).toContain('Served example');
      expect(view.text).not.toContain('data-rel="fatalerror"');
      // Static files come from the tree and the plugin; PHP source never does.
      const icon = await fetch(`${base}/mod/example/pix/icon.svg`);
      expect(icon.status).toBe(200);
      expect(icon.headers.get('content-type')).toBe('image/svg+xml');
      expect(await (await fetch(`${base}/mod/example/pix/secret.txt`)).text()).not.toContain(
        'mpc-secret-outside-the-plugin',
      );
      // PHP files run (config.php prints nothing), their source is never sent.
      for (const file of ['config.php', 'mod/example/view.php', 'mod/example/version.php'])
        expect(await (await fetch(`${base}/${file}`, { redirect: 'manual' })).text()).not.toMatch(
          /<\?php|\$CFG->|\$plugin->/,
        );

      // An edit of the plugin shows on the next request (it is mounted, not copied).
      const viewPhp = path.join(dir, 'view.php');
      writeFileSync(
        viewPhp,
        readFileSync(viewPhp, 'utf8').replace(
          'echo $OUTPUT->footer();',
          'echo \'<p id="mpc-edited">edited while serving</p>\';\necho $OUTPUT->footer();',
        ),
      );
      expect((await tab(viewUrl)).text).toContain('edited while serving');

      // --upgrade-on-change: a new version.php runs Moodle's upgrade before the next page.
      const versionPhp = path.join(dir, 'version.php');
      writeFileSync(
        versionPhp,
        readFileSync(versionPhp, 'utf8').replace(
          /\$plugin->version = (\d+);/,
          (_m, v: string) => `$plugin->version = ${Number(v) + 1};`,
        ),
      );
      expect((await tab(viewUrl)).status).toBe(200);
      expect(child.err).toContain('serve: version.php changed; running admin/cli/upgrade.php');
      expect(child.err).toMatch(/serve: upgraded in [\d.]+ s/);

      // Concurrent requests are queued on the one PHP, none fails.
      const many = await Promise.all([1, 2, 3, 4].map(() => tab(viewUrl)));
      expect(many.map((r) => r.status)).toEqual([200, 200, 200, 200]);

      if (chromium) {
        // Enter prints another one-time link; the browser logs in with it and lands on the page.
        child.proc.stdin.write('\n');
        const [, second] = await child.waitFor(/Log in as admin \(once\): (\S+)/, 30_000);
        const to = `/mod/example/view.php?id=${cmid!}`;
        const shots = path.join(tmpdir(), 'mpc-test-output');
        mkdirSync(shots, { recursive: true });
        const shot = path.join(shots, `serve-${LABEL[branch!]!}.png`);
        const r = spawnSync(
          chromium,
          [
            '--headless=new',
            '--no-sandbox',
            '--disable-gpu',
            `--user-data-dir=${tempDir('chromium')}`,
            '--virtual-time-budget=20000',
            '--window-size=1280,900',
            `--screenshot=${shot}`,
            '--dump-dom',
            second!.replace(/&to=\S+$/, `&to=${encodeURIComponent(to)}`),
          ],
          { encoding: 'utf8', timeout: 180_000 },
        );
        const dom = r.stdout;
        expect(/<title>([^<]*)<\/title>/.exec(dom)?.[1]).toMatch(/^Served example/);
        expect(dom).toContain('mpc-edited');
        expect(dom).not.toContain('data-rel="fatalerror"');
        expect(dom).not.toContain('debuggingmessage');
        expect(statSync(shot).size).toBeGreaterThan(10_000);
        console.log(`serve: what the browser saw: ${shot}`);
      }

      // Ctrl-C: the server stops cleanly and its private copy of the site is gone.
      child.proc.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.proc.once('exit', resolve));
      expect(code).toBe(0);
      expect(child.out).toContain('Stopped.');
      expect(listServeDirs().filter((d) => !before.has(d))).toEqual([]);
      await expect(fetch(`${base}/`)).rejects.toThrow();
    },
  );
});

if (branch === undefined)
  it.skip('serve: no Moodle tree registered (run `moodle-plugin-check moodle import <dir>`)', () =>
    undefined);
if (branch !== undefined && !chromium)
  it.skip('serve in a browser: no chromium installed (apt-get install chromium)', () => undefined);

function listServeDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('mpc-serve-'));
}
