// resolveDependencies against a local imitation of pluginfo.php (API 1.3) on 127.0.0.1, serving
// plugin ZIPs made here with fflate; extras from folders, ZIPs and a bare git repository.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { Plugin } from '../../plugin/plugin.js';
import { FAST_HTTP, tempDir } from '../testing.js';
import {
  DEPENDENCY_RULES,
  parseGitSpec,
  pluginfoBranch,
  redactUrl,
  resolveDependencies,
  validatePluginfo,
  type ResolveDependenciesOptions,
} from './plugin-dependencies.js';

interface Spec {
  component: string;
  version: number;
  release?: string;
  requires?: number;
  deps?: Record<string, number | 'ANY_VERSION'>;
}

/** version.php with `dependencies` from line 6 on, one entry a line (so findings have lines). */
function versionPhp(s: Spec): string {
  const deps = Object.entries(s.deps ?? {});
  return [
    '<?php',
    `$plugin->component = '${s.component}';`,
    `$plugin->version = ${s.version};`,
    `$plugin->release = '${s.release ?? 'x'}';`,
    `$plugin->requires = ${s.requires ?? 2024100700};`,
    '$plugin->dependencies = [',
    ...deps.map(([c, v]) => `    '${c}' => ${v},`),
    '];',
    '',
  ].join('\n');
}

const temps: string[] = [];
const temp = (prefix: string): string => {
  const d = tempDir(prefix);
  temps.push(d);
  return d;
};
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pluginFolder(s: Spec, files: Record<string, string> = {}): string {
  const dir = temp(`dep-${s.component}`);
  writeFileSync(path.join(dir, 'version.php'), versionPhp(s));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const pluginZip = (s: Spec, top = s.component.replace(/^[a-z]+_/, '')): Uint8Array =>
  zipSync({
    [`${top}/version.php`]: strToU8(versionPhp(s)),
    [`${top}/lib.php`]: strToU8('<?php\n'),
  });

// ---- The imitation of download.moodle.org/api/1.3/pluginfo.php --------------------------------

interface Release {
  spec: Spec;
  supported: string[];
  zip: Uint8Array;
  /** An md5 to announce instead of the ZIP's. */
  md5?: string;
}

const directory = new Map<string, Release[]>();
const queries: URLSearchParams[] = [];
const zipHits = new Map<string, number>();
let apiStatus: number | undefined;
let server: Server;
let base = '';

function publish(spec: Spec, extra: Partial<Release> = {}): void {
  const list = directory.get(spec.component) ?? [];
  // Built once: a ZIP's entries carry the time, so one built later would have another MD5.
  list.push({ spec, supported: ['40.5'], zip: pluginZip(spec), ...extra });
  directory.set(spec.component, list);
}

function answer(q: URLSearchParams): { status: number; body?: unknown } {
  const c = q.get('plugin') ?? '';
  const releases = directory.get(c);
  if (!releases) return { status: 404 };
  const min = Number(q.get('minversion'));
  const best = releases
    .filter((r) => r.spec.version >= min && r.supported.includes(q.get('branch') ?? ''))
    .sort((a, b) => b.spec.version - a.spec.version)[0];
  const name = `${c}-${best?.spec.version ?? 0}.zip`;
  const zip = best?.zip;
  const version = best && {
    id: 8100,
    version: String(best.spec.version),
    release: best.spec.release ?? '1.0',
    maturity: 200,
    downloadurl: `${base}/zips/${name}`,
    downloadmd5: best.md5 ?? createHash('md5').update(zip!).digest('hex'),
    vcssystem: 'git',
    vcssystemother: null,
    vcsrepositoryurl: `https://github.com/x/moodle-${c}`,
    vcsbranch: 'main',
    vcstag: null,
    supportedmoodles: best.supported.map((release) => ({ version: 2024100700, release })),
  };
  if (zip) zips.set(name, zip);
  const pluginfo = {
    id: 127,
    name: c,
    component: c,
    source: '',
    doc: '',
    bugs: '',
    discussion: null,
  };
  return {
    status: 200,
    body: { apiver: '1.3', status: 'OK', pluginfo: { ...pluginfo, version: version ?? false } },
  };
}

const zips = new Map<string, Uint8Array>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    if (url.pathname === '/api/1.3/pluginfo.php') {
      queries.push(url.searchParams);
      const a = apiStatus !== undefined ? { status: apiStatus } : answer(url.searchParams);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(a.body !== undefined ? JSON.stringify(a.body) : '');
      return;
    }
    const name = url.pathname.replace(/^\/zips\//, '');
    zipHits.set(name, (zipHits.get(name) ?? 0) + 1);
    const zip = zips.get(name);
    res.writeHead(zip ? 200 : 404);
    res.end(zip ? Buffer.from(zip) : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  directory.clear();
  queries.length = 0;
  zipHits.clear();
  zips.clear();
  apiStatus = undefined;
});

const UNDER_TEST = 'local_test';

function options(
  deps: Spec['deps'],
  more: Partial<ResolveDependenciesOptions> = {},
): ResolveDependenciesOptions {
  return {
    plugin: Plugin.load(pluginFolder({ component: UNDER_TEST, version: 2025010100, deps })),
    branch: 405,
    moodleVersion: 2024100700,
    installedVersion: () => undefined,
    extras: [],
    apiUrl: `${base}/api/1.3/pluginfo.php`,
    cacheDir: temp('dep-cache'),
    http: { ...FAST_HTTP, retries: 0 },
    ...more,
  };
}

const ids = (r: { findings: { ruleId: string }[] }): string[] => r.findings.map((f) => f.ruleId);
const order = (r: { plugins: { component: string }[] }): string[] =>
  r.plugins.map((p) => p.component);

describe('resolveDependencies from the Plugins directory', () => {
  it('installs a chain dependencies first, asks as Moodle asks, and reuses the cache', async () => {
    publish({ component: 'local_a', version: 2024010100, deps: { local_b: 'ANY_VERSION' } });
    publish({ component: 'local_b', version: 2024020200, deps: { local_c: 2024030300 } });
    publish({ component: 'local_c', version: 2024020200 }); // too old: not chosen
    publish({ component: 'local_c', version: 2024030300, release: '3.3' });
    const opts = options({ local_a: 2024010100 });
    const r = await resolveDependencies(opts);
    expect(r.findings).toEqual([]);
    expect(order(r)).toEqual(['local_c', 'local_b', 'local_a']);
    expect(r.plugins.map((p) => p.source)).toEqual(['directory', 'directory', 'directory']);
    expect(r.plugins[0]).toMatchObject({ version: 2024030300, release: '3.3' });
    expect(r.plugins[0]!.from).toBe(`${base}/zips/local_c-2024030300.zip`);
    for (const p of r.plugins) {
      expect(existsSync(path.join(p.dir, 'version.php'))).toBe(true);
      expect(p.dir.startsWith(opts.cacheDir)).toBe(true);
    }
    expect(queries.map((q) => Object.fromEntries(q))).toEqual([
      { format: 'json', plugin: 'local_a', minversion: '2024010100', branch: '40.5' },
      { format: 'json', plugin: 'local_b', minversion: '0', branch: '40.5' },
      { format: 'json', plugin: 'local_c', minversion: '2024030300', branch: '40.5' },
    ]);
    // Nothing left behind in the temp folder; a second run downloads nothing.
    expect(readdirSync(path.join(opts.cacheDir, 'tmp'))).toEqual([]);
    const again = await resolveDependencies({ ...opts, plugin: opts.plugin });
    expect(order(again)).toEqual(['local_c', 'local_b', 'local_a']);
    expect(again.plugins.map((p) => p.source)).toEqual(['cache', 'cache', 'cache']);
    expect([...zipHits.values()]).toEqual([1, 1, 1]);
    // Offline, the cache alone does it.
    const offline = await resolveDependencies({ ...opts, offline: true });
    expect(order(offline)).toEqual(['local_c', 'local_b', 'local_a']);
    expect(offline.findings).toEqual([]);
    expect(queries).toHaveLength(6);
  });

  it('needs nothing for a dependency the Moodle tree has, and says so when it is too old', async () => {
    const installedVersion = (c: string): number | undefined =>
      c === 'mod_forum' ? 2024100700 : c === 'mod_quiz' ? 2024100700 : undefined;
    const r = await resolveDependencies(
      options({ mod_forum: 'ANY_VERSION', mod_quiz: 2099010100 }, { installedVersion }),
    );
    expect(r.plugins).toEqual([]);
    expect(queries).toEqual([]);
    expect(r.findings.map((f) => [f.ruleId, f.file, f.line])).toEqual([
      ['dependencies/unresolved', 'version.php', 8],
    ]);
    expect(r.findings[0]!.message).toContain(
      'mod_quiz is required at version 2099010100 or later; this Moodle has it at 2024100700',
    );
  });

  it('reports a constraint no release meets, and a plugin the directory does not know', async () => {
    publish({ component: 'local_a', version: 2024010100 });
    publish({ component: 'local_b', version: 2099010100 }, { supported: ['50.0'] });
    const r = await resolveDependencies(
      options({ local_a: 2099010100, local_b: 2024010100, local_nowhere: 'ANY_VERSION' }),
    );
    expect(r.plugins).toEqual([]);
    expect(r.findings.map((f) => [f.ruleId, f.line])).toEqual([
      ['dependencies/unresolved', 7],
      ['dependencies/unresolved', 8],
      ['dependencies/unresolved', 9],
    ]);
    expect(r.findings[0]!.message).toBe(
      'No release of local_a in the Plugins directory meets version 2099010100 or later for Moodle 4.5.',
    );
    expect(r.findings[2]!.message).toContain('local_nowhere is not in the Plugins directory');
  });

  it('reports a cycle among downloaded plugins once, naming it, and still ends', async () => {
    publish({ component: 'local_a', version: 2024010100, deps: { local_b: 'ANY_VERSION' } });
    publish({ component: 'local_b', version: 2024010100, deps: { local_a: 2024010100 } });
    const r = await resolveDependencies(options({ local_a: 'ANY_VERSION' }));
    expect(ids(r)).toEqual(['dependencies/cycle']);
    expect(r.findings[0]!.message).toBe(
      'The plugins require each other in a cycle: local_a → local_b → local_a.',
    );
    expect(order(r).sort()).toEqual(['local_a', 'local_b']);
    expect(queries).toHaveLength(2);
  });

  it('reports a cycle back to the plugin under test at its version.php line', async () => {
    publish({ component: 'local_x', version: 2024010100, deps: { [UNDER_TEST]: 'ANY_VERSION' } });
    const r = await resolveDependencies(options({ local_x: 'ANY_VERSION' }));
    expect(r.findings).toEqual([
      expect.objectContaining({
        ruleId: 'dependencies/cycle',
        file: 'version.php',
        line: 7,
        message: 'The plugins require each other in a cycle: local_test → local_x → local_test.',
      }),
    ]);
  });

  it('refuses a download whose MD5 is not the announced one, and caches nothing', async () => {
    publish(
      { component: 'local_a', version: 2024010100 },
      { md5: 'd41d8cd98f00b204e9800998ecf8427e' },
    );
    const opts = options({ local_a: 'ANY_VERSION' });
    const r = await resolveDependencies(opts);
    expect(ids(r)).toEqual(['dependencies/checksum']);
    expect(r.findings[0]!.message).toContain(
      'the Plugins directory says d41d8cd98f00b204e9800998ecf8427e',
    );
    expect(r.plugins).toEqual([]);
    expect(existsSync(path.join(opts.cacheDir, 'directory', 'local_a'))).toBe(false);
  });

  it('refuses a ZIP without one top folder holding the component', async () => {
    const twoTops = zipSync({
      'a/version.php': strToU8(versionPhp({ component: 'local_a', version: 2024010100 })),
      'b/x.txt': strToU8('x'),
    });
    publish({ component: 'local_a', version: 2024010100 }, { zip: twoTops });
    publish(
      { component: 'local_b', version: 2024010100 },
      {
        zip: pluginZip({ component: 'local_other', version: 2024010100 }),
      },
    );
    const r = await resolveDependencies(
      options({ local_a: 'ANY_VERSION', local_b: 'ANY_VERSION' }),
    );
    expect(ids(r)).toEqual(['dependencies/bad-package', 'dependencies/bad-package']);
    expect(r.findings[0]!.message).toContain('not hold exactly one top folder');
    expect(r.findings[1]!.message).toContain('declares local_other, not local_b');
  });

  it('says offline when nothing is cached, download-failed on an HTTP error', async () => {
    publish({ component: 'local_a', version: 2024010100 });
    const offline = await resolveDependencies(
      options({ local_a: 'ANY_VERSION' }, { offline: true }),
    );
    expect(ids(offline)).toEqual(['dependencies/offline']);
    expect(offline.findings[0]).toMatchObject({ file: 'version.php', line: 7 });
    expect(queries).toEqual([]);
    apiStatus = 500;
    const failed = await resolveDependencies(options({ local_a: 'ANY_VERSION' }));
    expect(ids(failed)).toEqual(['dependencies/download-failed']);
    expect(failed.findings[0]!.message).toContain('HTTP 500');
    expect(failed.findings[0]!.message).toContain(
      `${base}/api/1.3/pluginfo.php?format=json&plugin=local_a`,
    );
    const unreachable = await resolveDependencies(
      options({ local_a: 'ANY_VERSION' }, { apiUrl: 'http://127.0.0.1:1/pluginfo.php' }),
    );
    expect(ids(unreachable)).toEqual(['dependencies/offline']);
  });

  it('falls back to the cache when the directory cannot be asked', async () => {
    publish({ component: 'local_a', version: 2024010100 });
    const opts = options({ local_a: 'ANY_VERSION' });
    expect(order(await resolveDependencies(opts))).toEqual(['local_a']);
    apiStatus = 503;
    const r = await resolveDependencies(opts);
    expect(r.findings).toEqual([]);
    expect(r.plugins.map((p) => [p.component, p.source])).toEqual([['local_a', 'cache']]);
    expect(r.notes.join('\n')).toContain('used the cached 2024010100 instead');
    // The cache is per branch: for 5.0 the 4.5 release does not stand in.
    const other = await resolveDependencies({ ...opts, branch: 500, offline: true });
    expect(ids(other)).toEqual(['dependencies/offline']);
  });

  it('stops after the cap with one finding', async () => {
    for (let i = 0; i < 40; i++)
      publish({
        component: `local_p${i}`,
        version: 2024010100,
        deps: { [`local_p${i + 1}`]: 'ANY_VERSION' },
      });
    const r = await resolveDependencies(options({ local_p0: 'ANY_VERSION' }));
    expect(ids(r)).toEqual(['dependencies/too-many']);
    expect(r.plugins).toHaveLength(30);
    expect(order(r)[0]).toBe('local_p29');
  });
});

describe('resolveDependencies with extra plugins', () => {
  it('takes a dependency from an extra folder, in place, and resolves its own dependencies', async () => {
    publish({ component: 'local_c', version: 2024010100 });
    const extra = pluginFolder({
      component: 'local_a',
      version: 2024050500,
      deps: { local_c: 2024010100 },
    });
    const r = await resolveDependencies(options({ local_a: 2024010100 }, { extras: [extra] }));
    expect(r.findings).toEqual([]);
    expect(r.plugins.map((p) => [p.component, p.source])).toEqual([
      ['local_c', 'directory'],
      ['local_a', 'extra'],
    ]);
    expect(r.plugins[1]).toMatchObject({ dir: extra, from: extra, version: 2024050500 });
    expect(queries.map((q) => q.get('plugin'))).toEqual(['local_c']);
  });

  it('reports an extra older than required, at the requiring line', async () => {
    const extra = pluginFolder({ component: 'local_a', version: 2023010100 });
    const r = await resolveDependencies(options({ local_a: 2024010100 }, { extras: [extra] }));
    expect(r.findings).toEqual([
      expect.objectContaining({
        ruleId: 'dependencies/extra-too-old',
        file: 'version.php',
        line: 7,
      }),
    ]);
    expect(queries).toEqual([]);
  });

  it('names the chain when an extra’s own requirement fails', async () => {
    const extra = pluginFolder({
      component: 'local_a',
      version: 2024010100,
      deps: { local_gone: 'ANY_VERSION' },
    });
    const r = await resolveDependencies(options({}, { extras: [extra] }));
    expect(ids(r)).toEqual(['dependencies/unresolved']);
    expect(r.findings[0]!.file).toBeUndefined();
    expect(r.findings[0]!.message).toContain('(local_a → local_gone)');
    expect(r.notes).toEqual(['local_a: an extra plugin nothing requires; installed all the same.']);
  });

  it('unpacks a ZIP extra into the cache', async () => {
    const dir = temp('dep-zip');
    const zip = path.join(dir, 'local_a.zip');
    writeFileSync(zip, pluginZip({ component: 'local_a', version: 2024010100 }));
    const opts = options({ local_a: 'ANY_VERSION' }, { extras: [zip] });
    const r = await resolveDependencies(opts);
    expect(r.findings).toEqual([]);
    expect(r.plugins).toEqual([
      expect.objectContaining({ component: 'local_a', source: 'extra', from: zip }),
    ]);
    expect(r.plugins[0]!.dir.startsWith(path.join(opts.cacheDir, 'zip'))).toBe(true);
    expect(existsSync(path.join(r.plugins[0]!.dir, 'lib.php'))).toBe(true);
  });

  it('throws a UserError for an extra that is missing, not a plugin or not a supported URL', async () => {
    const empty = temp('dep-empty');
    const cases = [
      path.join(empty, 'nope'),
      empty,
      'ssh://git@example.com/x.git',
      'git@github.com:x/y.git',
    ];
    for (const extra of cases) {
      const e: unknown = await resolveDependencies(options({}, { extras: [extra] })).catch(
        (x: unknown) => x,
      );
      expect(e, extra).toBeInstanceOf(UserError);
      expect((e as UserError).message).toContain(extra.replace('git@example', '***@example'));
    }
  });

  it('reports an extra whose version.php has no valid component', async () => {
    const dir = temp('dep-bad');
    writeFileSync(path.join(dir, 'version.php'), '<?php\n$plugin->version = 2024010100;\n');
    const r = await resolveDependencies(options({}, { extras: [dir] }));
    expect(ids(r)).toEqual(['dependencies/invalid-extra']);
    expect(r.plugins).toEqual([]);
  });

  it('refuses an extra that is the plugin under test or a standard plugin', async () => {
    const same = pluginFolder({ component: UNDER_TEST, version: 2025010100 });
    await expect(resolveDependencies(options({}, { extras: [same] }))).rejects.toThrow(UserError);
    const core = pluginFolder({ component: 'mod_forum', version: 2025010100 });
    await expect(
      resolveDependencies(options({}, { extras: [core], installedVersion: () => 2024100700 })),
    ).rejects.toThrow(/part of this Moodle/);
  });
});

const hasGit = ((): boolean => {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasGit)('resolveDependencies with a git extra (skipped: no git here)', () => {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@example.com',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@example.com',
  };
  const git = (cwd: string, ...args: string[]): string =>
    execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env });

  /** A bare repository with v1 (tag), then a newer commit on main. */
  function bareRepo(): { url: string; v1: string } {
    const work = temp('dep-git-work');
    git(work, 'init', '-q', '-b', 'main');
    writeFileSync(
      path.join(work, 'version.php'),
      versionPhp({ component: 'local_g', version: 2024010100 }),
    );
    git(work, 'add', '.');
    git(work, 'commit', '-qm', 'v1');
    git(work, 'tag', 'v1');
    const v1 = git(work, 'rev-parse', 'HEAD').trim();
    writeFileSync(
      path.join(work, 'version.php'),
      versionPhp({ component: 'local_g', version: 2024020200 }),
    );
    git(work, 'commit', '-qam', 'v2');
    const bare = temp('dep-git-bare');
    git(bare, 'clone', '-q', '--bare', work, path.join(bare, 'g.git'));
    return { url: `file://${path.join(bare, 'g.git')}`, v1 };
  }

  it('clones a tag, a branch and a commit into the cache, and reuses them offline', async () => {
    const { url, v1 } = bareRepo();
    const opts = options({ local_g: 'ANY_VERSION' }, { extras: [`${url}@v1`] });
    const tag = await resolveDependencies(opts);
    expect(tag.findings).toEqual([]);
    expect(tag.plugins).toEqual([
      expect.objectContaining({
        component: 'local_g',
        version: 2024010100,
        source: 'extra',
        from: `${url}@v1`,
      }),
    ]);
    expect(existsSync(path.join(tag.plugins[0]!.dir, '.git'))).toBe(false);
    const head = await resolveDependencies({ ...opts, extras: [url] });
    expect(head.plugins[0]).toMatchObject({ version: 2024020200, from: `${url}@HEAD` });
    const sha = await resolveDependencies({ ...opts, extras: [`${url}@${v1}`] });
    expect(sha.plugins[0]).toMatchObject({ version: 2024010100 });
    const offline = await resolveDependencies({ ...opts, offline: true });
    expect(offline.plugins[0]).toMatchObject({ version: 2024010100, dir: tag.plugins[0]!.dir });
    const notCached = await resolveDependencies({
      ...opts,
      extras: [`${url}@main`],
      offline: true,
    });
    expect(ids(notCached)).toEqual(['dependencies/offline', 'dependencies/offline']);
  });

  it('throws a UserError for a ref the repository does not have', async () => {
    const { url } = bareRepo();
    await expect(
      resolveDependencies(options({}, { extras: [`${url}@no-such-ref`] })),
    ).rejects.toThrow(UserError);
  });
});

describe('the parts', () => {
  it('splits URL@ref on the last @ after the path begins', () => {
    expect(parseGitSpec('https://user@example.com/x/y.git')).toEqual({
      url: 'https://user@example.com/x/y.git',
    });
    expect(parseGitSpec('https://user@example.com/x/y.git@v1.2')).toEqual({
      url: 'https://user@example.com/x/y.git',
      ref: 'v1.2',
    });
    expect(parseGitSpec('file:///tmp/a@b/repo@main')).toEqual({
      url: 'file:///tmp/a@b/repo',
      ref: 'main',
    });
    expect(() => parseGitSpec('https://example.com/x.git@--upload-pack=x')).toThrow(UserError);
    expect(redactUrl('https://user:secret@example.com/x.git')).toBe(
      'https://***@example.com/x.git',
    );
  });

  it('writes branches as Moodle’s own client sends them (lib/tests/update_api_test.php)', () => {
    expect([29, 30, 101, 39, 311, 401, 405, 500, 502].map(pluginfoBranch)).toEqual([
      '2.9',
      '3.0',
      '10.1',
      '3.9',
      '31.1',
      '40.1',
      '40.5',
      '50.0',
      '50.2',
    ]);
  });

  it('accepts what Moodle’s own validate_pluginfo_format() test accepts', () => {
    const pluginfo = {
      id: 127,
      name: 'Course contents',
      component: 'block_course_contents',
      source: 'https://github.com/mudrd8mz/moodle-block_course_contents',
      doc: 'http://docs.moodle.org/20/en/Course_contents_block',
      bugs: 'https://github.com/mudrd8mz/moodle-block_course_contents/issues',
      discussion: null,
      version: {
        id: 8100,
        version: '2015030300',
        release: '3.0',
        maturity: 200,
        downloadurl:
          'https://moodle.org/plugins/download.php/8100/block_course_contents_moodle29_2015030300.zip',
        downloadmd5: '8d8ae64822f38d278420776f8b42eaa5',
        vcssystem: 'git',
        vcssystemother: null,
        vcsrepositoryurl: 'https://github.com/mudrd8mz/moodle-block_course_contents',
        vcsbranch: 'master',
        vcstag: 'v3.0',
        supportedmoodles: [{ version: 2015041700, release: '2.9' }],
      },
    };
    const ok = { apiver: '1.3', status: 'OK', pluginfo };
    expect(validatePluginfo(ok, 'u', 'block_course_contents').version).toMatchObject({
      version: 2015030300,
      md5: '8d8ae64822f38d278420776f8b42eaa5',
      supported: ['2.9'],
    });
    const noTag: Partial<typeof pluginfo.version> = { ...pluginfo.version };
    delete noTag.vcstag;
    for (const bad of [
      { ...ok, apiver: '1.2' },
      { ...ok, pluginfo: { ...pluginfo, version: noTag } },
      {
        ...ok,
        pluginfo: { ...pluginfo, version: { ...pluginfo.version, downloadurl: 'ftp://x/y.zip' } },
      },
      { ...ok, pluginfo: { ...pluginfo, name: '' } },
    ])
      expect(() => validatePluginfo(bad, 'u', 'block_course_contents')).toThrow(
        /unexpected answer/,
      );
    expect(Object.keys(DEPENDENCY_RULES)).toHaveLength(10);
  });
});
