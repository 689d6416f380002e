// The hostile suite: plugins and blueprints as a hostile pull request would write them
// (fixtures/hostile/), one hostile thing each. Every case must end with the right finding or exit 2,
// leave no canary (environment or host file) in any output, print no live workflow command, and
// leave the plugin checkout, the Moodle tree and the cached site as they were.
// The static cases always run; the Moodle cases run on a registered tree (see test/real-moodle.ts).
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/testing.js';
import { entryTreeDir, listEntries } from '../src/moodle/source/cache.js';
import { cacheRoot } from '../src/moodle/source/cache-dir.js';
import {
  digest,
  expectNoCanary,
  FIXTURES,
  hostilePlugin,
  listener,
  liveCommands,
  HOSTILE_BRANCH,
  useCanaries,
} from './hostile.js';
import { LABEL } from './real-moodle.js';

const BLUEPRINTS = path.join(FIXTURES, 'blueprints');
const bp = (name: string): string => path.join(BLUEPRINTS, `${name}.json`);

const canaries = useCanaries();

/** `--format github`: our own annotations are the only commands, each of a known shape. */
function expectOnlyOurAnnotations(out: string): void {
  for (const line of liveCommands(out))
    expect(line).toMatch(
      /^::(error|warning|notice) (file=[^,:]*,)?(line=\d+,)?(col=\d+,)?title=[a-z-]+\/[a-z0-9-]+::/,
    );
}

describe('hostile plugin checkouts, statically', () => {
  it('links out of the plugin are findings, never followed, in every format', async () => {
    const dir = hostilePlugin(canaries());
    const before = digest(path.dirname(dir));
    try {
      const outputs: string[] = [];
      for (const format of ['text', 'json', 'sarif', 'github']) {
        const r = await runCli('check', dir, '--no-moodle', '--format', format);
        expect(r.code, r.err).toBe(1);
        outputs.push(r.out, r.err);
        if (format === 'github') expectOnlyOurAnnotations(r.out);
        else expect(liveCommands(r.out + r.err)).toEqual([]);
      }
      expectNoCanary(canaries(), outputs);
      const json = JSON.parse(
        (await runCli('check', dir, '--no-moodle', '--format', 'json')).out,
      ) as { findings: { ruleId: string; file?: string }[] };
      const links = json.findings
        .filter((f) => f.ruleId.startsWith('files/symlink'))
        .map((f) => `${f.ruleId} ${f.file ?? ''}`)
        .sort();
      expect(links).toEqual([
        'files/symlink inside-link.md',
        'files/symlink-outside classes/leak.php',
        'files/symlink-outside leak-dangling',
        'files/symlink-outside leak-env',
        'files/symlink-outside leak-file',
        'files/symlink-outside leak-root',
      ]);
      expect(digest(path.dirname(dir))).toBe(before);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
    // Five checks, each with the prechecker's families (phpcs and moodlecheck in php-wasm) on.
  }, 120_000);

  it('a .moodle-plugin-check.yml that is a link, or not a file, is refused (exit 2)', async () => {
    const dir = hostilePlugin(canaries(), { names: false });
    try {
      symlinkSync(canaries().secretFile, path.join(dir, '.moodle-plugin-check.yml'));
      const link = await runCli('check', dir, '--no-moodle');
      expect(link.code).toBe(2);
      expect(link.err).toMatch(
        /\.moodle-plugin-check\.yml: is a symbolic link; it is not followed/,
      );
      expectNoCanary(canaries(), [link.out, link.err]);
      rmSync(path.join(dir, '.moodle-plugin-check.yml'));
      execFileSync('mkfifo', [path.join(dir, '.moodle-plugin-check.yml')]);
      const fifo = await runCli('check', dir, '--no-moodle');
      expect(fifo.code).toBe(2);
      expect(fifo.err).toMatch(/\.moodle-plugin-check\.yml: is not a regular file/);
    } finally {
      rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });

  it('a version.php that does not parse skips the Moodle phases with the syntax error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mpc-vsyntax-'));
    try {
      writeFileSync(
        path.join(dir, 'version.php'),
        "<?php\n$plugin->component = 'local_vsyntax';\n$plugin->version = 2026120100\n$plugin->requires = 2022112800;\n",
      );
      const r = await runCli('check', dir, '--moodle', '4.5', '--offline', '--format', 'json');
      expect(r.code, r.err).toBe(1);
      const report = JSON.parse(r.out) as {
        findings: { ruleId: string; file?: string; line?: number }[];
        phases: { name: string; status: string; detail?: string }[];
      };
      expect(report.findings.map((f) => `${f.ruleId} ${f.file}:${f.line}`)).toContain(
        'php/syntax version.php:4',
      );
      for (const name of ['provision', 'install', 'environment']) {
        const p = report.phases.find((x) => x.name === name);
        expect(p?.status).toBe('skipped');
        expect(p?.detail).toMatch(/version\.php does not parse \(line 4: syntax error/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile blueprints, before anything runs', () => {
  it.each([
    ['path-dotdot', /steps\/0 \(writeFile\)\.path: ".*" contains a "\.\." segment/],
    ['path-outside', /steps\/0 \(copyFile\)\.from: "\/etc\/passwd" is outside the site/],
    [
      'vfs-outside',
      /steps\/0 \(writeFile\)\.data\.vfs: "\/proc\/self\/environ" is outside the site/,
    ],
    ['bundled-dotdot', /resources\/up\.bundled: ".*" leaves the blueprint's folder/],
  ])('blueprint validate refuses %s (exit 2)', async (name, message) => {
    const r = await runCli('blueprint', 'validate', bp(name));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    // check refuses it as bad input too, before provisioning anything.
    const checked = await runCli('check', path.join(FIXTURES, 'leak'), '--blueprint', bp(name));
    expect(checked.code).toBe(2);
    expect(checked.err).toMatch(message);
  });

  it('a blueprint file that is a link is refused, and its target is never echoed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mpc-bplink-'));
    try {
      symlinkSync(canaries().secretFile, path.join(dir, 'blueprint.json'));
      const r = await runCli('blueprint', 'validate', path.join(dir, 'blueprint.json'));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/blueprint\.json: is a symbolic link; it is not followed/);
      // A file that is not JSON (a secret pasted by mistake) is not quoted back either.
      writeFileSync(path.join(dir, 'notjson.json'), `TOKEN=${canaries().env}\n`);
      const bad = await runCli('blueprint', 'validate', path.join(dir, 'notjson.json'));
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/not valid JSON at line 1, column 1/);
      expectNoCanary(canaries(), [r.out, r.err, bad.out, bad.err]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const branch = HOSTILE_BRANCH;

describe.skipIf(branch === undefined)('hostile plugins and blueprints on a real Moodle', () => {
  const moodle = LABEL[branch ?? ''] ?? '';
  const siteCache = path.join(cacheRoot(), 'sites');
  const tree = listEntries(cacheRoot()).find((e) => e.meta?.branch === branch)?.meta;
  const treeRoot = tree ? entryTreeDir(cacheRoot(), tree) : '';

  it(
    'an install that reads the runner, dials 127.0.0.1 and prints commands leaks nothing',
    { timeout: 10 * 60_000 },
    async () => {
      const ear = await listener();
      const dir = hostilePlugin(canaries(), { port: ear.port });
      const out = mkdtempSync(path.join(tmpdir(), 'mpc-report-'));
      // Warm the site first, so the cached snapshot exists before we take its digest.
      await runCli('check', path.join(FIXTURES, 'leak'), '--moodle', moodle, '--offline');
      const before = {
        plugin: digest(path.dirname(dir)),
        site: digest(siteCache),
        tree: digest(treeRoot, 0),
      };
      try {
        const outputs: string[] = [];
        // One run gives the text report (stdout) and the JSON (-o); one more the annotations.
        const file = path.join(out, 'report.json');
        const r = await runCli(
          'check',
          dir,
          '--moodle',
          moodle,
          '--offline',
          '--format',
          'json',
          '-o',
          file,
        );
        expect(r.code, r.err).toBe(1);
        const json = readFileSync(file, 'utf8');
        const gh = await runCli(
          'check',
          dir,
          '--moodle',
          moodle,
          '--offline',
          '--format',
          'github',
        );
        expect(gh.code, gh.err).toBe(1);
        outputs.push(r.out, r.err, json, gh.out, gh.err);
        expect(liveCommands(r.out + r.err + json + gh.err)).toEqual([]);
        expectOnlyOurAnnotations(gh.out);
        const report = JSON.parse(json) as {
          findings: { ruleId: string; file?: string; message: string }[];
          phases: { name: string; status: string }[];
        };
        expect(report.phases.find((p) => p.name === 'install')?.status).toBe('passed');
        const probe = report.findings.find((f) => f.ruleId === 'install/php-warning');
        // The probe ran and said what it could reach: nothing of the runner.
        expect(probe?.file).toBe('db/install.php');
        expect(probe?.message).toMatch(/leak-env=no leak-file=no passwd=no leak\.php=no/);
        expect(probe?.message).toMatch(/http=no/);
        expect(probe?.message).toMatch(/shell=no/);
        expectNoCanary(canaries(), outputs);
        expect(ear.connections()).toBe(0);
        expect(digest(path.dirname(dir))).toBe(before.plugin);
        expect(digest(siteCache)).toBe(before.site);
        expect(digest(treeRoot, 0)).toBe(before.tree);
      } finally {
        await ear.close();
        rmSync(path.dirname(dir), { recursive: true, force: true });
        rmSync(out, { recursive: true, force: true });
      }
    },
  );

  // The filesystem-only cases (copy, unzip, move, write into the plugin) run without PHP in
  // src/blueprint/site-files.test.ts; these need PHP, or show the whole path on a real site.
  it.each([
    ['vfs-plugin-link', /leak-env: leads outside the site through a symbolic link/],
    ['php-made-link', /env-link: leads outside the site through a symbolic link/],
    [
      'php-made-dir-link',
      /rel-link\/mpc-planted-node: leads outside the site through a symbolic link/,
    ],
    ['php-fails-with-commands', /PHP exited with 3/],
  ])(
    'blueprint %s fails at its step with the reason',
    { timeout: 5 * 60_000 },
    async (name, reason) => {
      const dir = hostilePlugin(canaries(), { names: false });
      const out = mkdtempSync(path.join(tmpdir(), 'mpc-report-'));
      const before = digest(path.dirname(dir));
      try {
        const file = path.join(out, 'report.json');
        const r = await runCli(
          'check',
          dir,
          '--moodle',
          moodle,
          '--offline',
          '--blueprint',
          bp(name),
          '--format',
          'json',
          '-o',
          file,
        );
        expect(r.code, r.err).toBe(1);
        const json = readFileSync(file, 'utf8');
        const report = JSON.parse(json) as {
          findings: { ruleId: string; message: string }[];
          blueprint: { steps: { status: string; error?: string }[] } | null;
        };
        const failed = report.blueprint?.steps.find((s) => s.status === 'failed');
        expect(failed?.error).toMatch(reason);
        expect(report.findings.some((f) => f.ruleId === 'blueprint/step-warning')).toBe(true);
        expect(liveCommands(r.out + r.err + json)).toEqual([]);
        expectNoCanary(canaries(), [r.out, r.err, json]);
        expect(digest(path.dirname(dir))).toBe(before);
        for (const planted of ['mpc-planted-abs', 'mpc-planted-rel', 'mpc-planted-node'])
          expect(existsSync(path.join('/tmp', planted))).toBe(false);
      } finally {
        rmSync(path.dirname(dir), { recursive: true, force: true });
        rmSync(out, { recursive: true, force: true });
      }
    },
  );

  it('a bundled resource that is a link is refused', { timeout: 5 * 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mpc-bundled-'));
    try {
      const file = path.join(dir, 'bundled-link.json');
      copyFileSync(bp('bundled-link'), file);
      symlinkSync(canaries().secretFile, path.join(dir, 'secret.txt'));
      const r = await runCli('blueprint', 'run', file, '--moodle', moodle, '--offline');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/bundled path "secret\.txt" resolves \(through a symlink\)/);
      expectNoCanary(canaries(), [r.out, r.err]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'PHP output that imitates workflow commands stays inert, and sees no environment',
    { timeout: 5 * 60_000 },
    async () => {
      const r = await runCli(
        'blueprint',
        'run',
        bp('php-commands'),
        '--moodle',
        moodle,
        '--offline',
      );
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/add-mask::hostile/); // it was printed, made inert
      expect(liveCommands(r.out + r.err)).toEqual([]);
      expectNoCanary(canaries(), [r.out, r.err]);
      const json = await runCli(
        'blueprint',
        'run',
        bp('php-commands'),
        '--moodle',
        moodle,
        '--offline',
        '--format',
        'json',
      );
      expect(liveCommands(json.out)).toEqual([]);
      expectNoCanary(canaries(), [json.out, json.err]);
    },
  );
});
