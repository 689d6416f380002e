// Over 400 lines: one resolver with its three sources (the Plugins directory, and extra plugins
// from folders, ZIPs and git) and its rules; split, each part would need the others' state.
//
// The plugins the plugin under test needs installed first: its $plugin->dependencies (and its
// subplugins' and every extra plugin's), met by the Moodle tree, by the user's extra plugins, or
// by the Moodle Plugins directory (pluginfo.php, API 1.3, asked as Moodle's \core\update\api asks
// it). Downloads and clones are cached under `cacheDir`, written through a temp folder and a rename.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../../core/errors.js';
import type { Finding } from '../../core/finding.js';
import { branchName } from '../../plugin/branches.js';
import { readUserFile } from '../../core/host-paths.js';
import { downloadFile, DownloadError, type HttpOptions } from '../../core/http.js';
import { input } from '../../core/inputs.js';
import { makeFinding, type RuleMeta, type Where } from '../../core/rules.js';
import { isPhpArray } from '../../plugin/php.js';
import { Plugin } from '../../plugin/plugin.js';
import { COMPONENT_RE } from '../../plugin/plugintypes.js';
import { PLUGIN_ZIP_LIMITS } from './extract.js';
import { extractZip } from './upgrade-source.js';

const rule = (r: RuleMeta): RuleMeta => r;

/** Plugins resolved (extras included) before the walk gives up with dependencies/too-many. */
export const MAX_RESOLVED_PLUGINS = 30;

/** The dependencies/* rules: what stops the plugin's required plugins from being installed. */
export const DEPENDENCY_RULES = {
  unresolved: rule({
    id: 'dependencies/unresolved',
    severity: 'error',
    title: 'No release of a required plugin meets the constraint for this Moodle branch',
    why: 'Moodle refuses to install a plugin while a plugin in its $plugin->dependencies is missing or older than required; the Plugins directory has no release that fits this branch (or the Moodle tree has the plugin at too old a version).',
    fix: 'Lower the required version, publish a fitting release, or pass the plugin with --extra-plugin (the Action: extra-plugins).',
  }),
  cycle: rule({
    id: 'dependencies/cycle',
    severity: 'error',
    title: 'Plugins require each other in a cycle',
    why: 'Each plugin of the cycle must be installed before the others, which no order allows; usually one of the requirements is a leftover.',
    fix: 'Remove the requirement that closes the cycle from one version.php.',
  }),
  offline: rule({
    id: 'dependencies/offline',
    severity: 'error',
    title: 'A required plugin is not cached and cannot be downloaded',
    why: 'With --offline (or no network) the Plugins directory cannot be asked, and no earlier run cached a fitting release.',
    fix: 'Run once with network access to fill the cache, or pass the plugin with --extra-plugin.',
  }),
  downloadFailed: rule({
    id: 'dependencies/download-failed',
    severity: 'error',
    title: 'A required plugin could not be downloaded',
    why: 'The Plugins directory (or the download it named) answered with an error or an unexpected reply, so the plugin cannot be installed.',
    fix: 'Try again later; if it persists, pass the plugin with --extra-plugin.',
  }),
  checksum: rule({
    id: 'dependencies/checksum',
    severity: 'error',
    title: 'A downloaded plugin does not match the checksum of the Plugins directory',
    why: 'The ZIP’s MD5 differs from the downloadmd5 the Plugins directory gives: the download is damaged or not what was published, and is not used.',
    fix: 'Try again; if it persists, report it to the Plugins directory or pass the plugin with --extra-plugin.',
  }),
  badPackage: rule({
    id: 'dependencies/bad-package',
    severity: 'error',
    title: 'A downloaded plugin package is not the plugin',
    why: 'Moodle installs a plugin ZIP only when it holds one top folder with a version.php declaring the component; this one does not.',
    fix: 'Report it to the plugin’s maintainer, or pass a good copy with --extra-plugin.',
  }),
  invalidExtra: rule({
    id: 'dependencies/invalid-extra',
    severity: 'error',
    title: 'An extra plugin’s version.php has no valid component or version',
    why: 'An extra plugin is matched to requirements by its $plugin->component and installed by its $plugin->version; without them it cannot be used.',
    fix: 'Pass the folder, ZIP or git repository of a plugin whose version.php sets $plugin->component and $plugin->version.',
  }),
  extraTooOld: rule({
    id: 'dependencies/extra-too-old',
    severity: 'error',
    title: 'An extra plugin is older than a plugin requires',
    why: 'Moodle refuses to install the requiring plugin while the required one is below the version in $plugin->dependencies.',
    fix: 'Pass a newer version of the extra plugin (--extra-plugin), or lower the requirement.',
  }),
  tooMany: rule({
    id: 'dependencies/too-many',
    severity: 'error',
    title: 'Too many plugins are required',
    why: `More than ${MAX_RESOLVED_PLUGINS} plugins would have to be installed first; the walk stops there rather than download without end.`,
    fix: 'Check the $plugin->dependencies of the plugins named; pass the ones you need with --extra-plugin.',
  }),
  installFailed: rule({
    id: 'dependencies/install-failed',
    severity: 'error',
    title: 'Moodle could not install the required plugins',
    why: 'The dependencies are installed by Moodle’s own upgrade before the plugin; when that run fails, the plugin cannot be installed on top of them.',
    fix: 'Read the message: a dependency that does not support this Moodle branch, or one that needs yet another plugin. Pin a release that fits with --extra-plugin.',
  }),
} as const;

/** A plugin to install before the plugin under test. */
export interface ResolvedPlugin {
  component: string;
  /** Host folder holding the plugin's files (version.php at its root). Never to be modified. */
  dir: string;
  version: number;
  release?: string;
  source: 'extra' | 'directory' | 'cache';
  /** A path, a zip's path, `<git url>@<ref>`, or the download URL. */
  from: string;
}

export interface DependencyResolution {
  /** Every plugin to install before the plugin under test, dependencies before dependents. */
  plugins: ResolvedPlugin[];
  findings: Finding[];
  notes: string[];
}

export interface ResolveDependenciesOptions {
  /** The plugin under test (its subplugins' dependencies count too). */
  plugin: Plugin;
  /** Moodle's branch number: 405 for 4.5, 500 for 5.0. */
  branch: number;
  /** The tree's $version, e.g. 2024100700.00. */
  moodleVersion: number;
  /** The version of a component the Moodle tree already has, else undefined. */
  installedVersion: (component: string) => number | undefined;
  /** Each a folder, a path to a .zip, or a git URL (https://, http://, file://) with an optional @ref. */
  extras: readonly string[];
  offline?: boolean;
  apiUrl?: string;
  cacheDir: string;
  http?: HttpOptions;
  log?: (line: string) => void;
}

export const DEFAULT_PLUGINFO_URL = 'https://download.moodle.org/api/1.3/pluginfo.php';
const API_VERSION = '1.3';
const MAX_API_ANSWER = 1024 * 1024;
const GIT_TIMEOUT_MS = 10 * 60_000;
/** The node of the plugin under test and its subplugins, in the graph that orders the rest. */
const ROOT = '';

/**
 * The `branch` parameter as Moodle's own client sends it (core\update\api::
 * convert_branch_numbering_format() of $CFG->branch): a dot before the last digit, so 39 → `3.9`,
 * 311 → `31.1`, 405 → `40.5`. That is what every Moodle site's "Install plugins" asks the
 * directory, so it is what the directory answers.
 */
export function pluginfoBranch(branch: number): string {
  const s = String(branch);
  return `${s.slice(0, -1)}.${s.slice(-1)}`;
}

/** A supportedmoodles release ("4.5", "3.11") as the `branch` parameter spells it ("40.5"). */
function releaseAsQueried(release: string): string {
  const m = /^(\d+)\.(\d+)$/.exec(release);
  if (!m) return release;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  // $CFG->branch: 39 for 3.9, 311 for 3.11, 405 for 4.5 (two digits for the minor from 3.10 on).
  const branch =
    major > 3 || (major === 3 && minor >= 10) ? major * 100 + minor : major * 10 + minor;
  return pluginfoBranch(branch);
}

/** One `component => version` of a version.php, from the plugin that declares it. */
interface Requirement {
  component: string;
  /** 0 for ANY_VERSION. */
  min: number;
  /** The graph node that requires it (ROOT for the plugin under test). */
  from: string;
  /** Components from the first requirer to the requiring plugin, for messages. */
  chain: string[];
  /** The version.php line, when the requirer is the plugin under test or a subplugin of it. */
  where: Where;
}

interface Edge {
  to: string;
  label: string;
  where: Where;
}

interface Node {
  plugin: ResolvedPlugin;
  loaded: Plugin;
  extra: boolean;
}

interface Found {
  ok: true;
  plugin: ResolvedPlugin;
  loaded: Plugin;
}
interface Failed {
  ok: false;
  rule: RuleMeta;
  message: string;
  hint?: string;
}
type Outcome = Found | Failed;

const failure = (rule: RuleMeta, message: string, hint?: string): Failed => ({
  ok: false,
  rule,
  message,
  ...(hint !== undefined ? { hint } : {}),
});

const wanted = (min: number): string => (min > 0 ? `version ${min} or later` : 'any version');

const versionOf = (p: Plugin): number | undefined => {
  const v = p.version.fields.version?.value;
  return typeof v === 'number' && v > 0 ? v : undefined;
};

const releaseOf = (p: Plugin): string | undefined => {
  const r = p.version.fields.release?.value;
  return typeof r === 'string' ? r : undefined;
};

/** `$plugin->dependencies` as Moodle reads it: component => version, ANY_VERSION or -1 for any. */
function requirementsOf(p: Plugin, from: string, chain: string[], located: boolean): Requirement[] {
  const field = p.version.fields.dependencies;
  if (!field || !isPhpArray(field.value)) return [];
  const out: Requirement[] = [];
  for (const e of field.value.entries) {
    if (typeof e.key !== 'string' || !COMPONENT_RE.test(e.key) || e.key === p.component) continue;
    const v = e.value;
    let min: number;
    if (v === 'any' || v === -1) min = 0;
    else if (typeof v === 'number' && v > 0) min = v;
    else if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) min = Number(v);
    else continue; // version/dependencies-invalid reports it
    const line = (e.keyNode ?? e.node).loc?.start.line ?? field.line;
    const where = located ? { file: p.display('version.php'), line } : {};
    out.push({ component: e.key, min, from, chain, where });
  }
  return out;
}

/** Resolves the plugins the plugin under test needs; see the module comment. */
export async function resolveDependencies(
  opts: ResolveDependenciesOptions,
): Promise<DependencyResolution> {
  const r = new Resolver(opts);
  await r.run();
  return { plugins: r.ordered(), findings: r.findings, notes: r.notes };
}

class Resolver {
  readonly findings: Finding[] = [];
  readonly notes: string[] = [];
  private readonly nodes = new Map<string, Node>();
  private readonly edges = new Map<string, Edge[]>();
  private readonly failed = new Set<string>();
  /** Components of the plugin under test (and its subplugins) with their versions. */
  private readonly underTest = new Map<string, number | undefined>();
  private readonly rootName: string;
  private readonly branch: string;
  /** The branch as people write it ("4.5"), for messages. */
  private readonly label: string;
  private readonly apiUrl: string;
  private readonly log: (line: string) => void;
  private capped = false;

  constructor(private readonly opts: ResolveDependenciesOptions) {
    this.rootName = opts.plugin.component ?? 'the plugin under test';
    this.branch = pluginfoBranch(opts.branch);
    this.label = branchName(opts.branch);
    this.apiUrl = opts.apiUrl ?? DEFAULT_PLUGINFO_URL;
    if (!URL.canParse(this.apiUrl) || !/^https?:\/\//i.test(this.apiUrl))
      throw new UserError(`The Plugins directory URL ${this.apiUrl} is not an http(s) URL.`);
    this.log = opts.log ?? (() => undefined);
    const visit = (p: Plugin): void => {
      if (p.component) this.underTest.set(p.component, versionOf(p));
      p.subplugins.forEach(visit);
    };
    visit(opts.plugin);
  }

  async run(): Promise<void> {
    const queue: Requirement[] = [];
    const walk = (p: Plugin): void => {
      queue.push(...requirementsOf(p, ROOT, [p.component ?? this.rootName], true));
      p.subplugins.forEach(walk);
    };
    walk(this.opts.plugin);
    for (const spec of this.opts.extras) {
      const node = await this.loadExtra(spec);
      if (!node) continue;
      const c = node.plugin.component;
      this.nodes.set(c, node);
      queue.push(...requirementsOf(node.loaded, c, [c], false));
    }
    const required = new Set<string>();
    for (let r = queue.shift(); r; r = queue.shift()) {
      required.add(r.component);
      queue.push(...(await this.meet(r)));
    }
    for (const [c, n] of this.nodes)
      if (n.extra && !required.has(c))
        this.notes.push(`${c}: an extra plugin nothing requires; installed all the same.`);
  }

  private report(rule: RuleMeta, r: Requirement, message: string, hint?: string): void {
    const via =
      r.chain.length > 1 || r.from !== ROOT ? ` (${[...r.chain, r.component].join(' → ')})` : '';
    this.findings.push(makeFinding(rule, `${message}${via}`, r.where, hint));
  }

  private edge(r: Requirement, to: string): void {
    if (r.from === to) return;
    const list = this.edges.get(r.from) ?? [];
    list.push({ to, label: r.component, where: r.where });
    this.edges.set(r.from, list);
  }

  /** Meets one requirement; returns the requirements of a plugin it added. */
  private async meet(r: Requirement): Promise<Requirement[]> {
    const c = r.component;
    const need = wanted(r.min);
    if (this.underTest.has(c)) {
      const v = this.underTest.get(c);
      if (r.from !== ROOT)
        this.notes.push(`${r.from} requires ${c}, the plugin under test: installed with it.`);
      if (r.min > 0 && (v === undefined || v < r.min))
        this.report(
          DEPENDENCY_RULES.unresolved,
          r,
          `${c} is required at ${need}; the plugin under test is ${v ?? 'unversioned'}.`,
        );
      this.edge(r, ROOT);
      return [];
    }
    const installed = this.opts.installedVersion(c);
    if (installed !== undefined) {
      if (installed < r.min)
        this.report(
          DEPENDENCY_RULES.unresolved,
          r,
          `${c} is required at ${need}; this Moodle has it at ${installed}, and a standard plugin is not replaced.`,
          'Check the plugin against a newer Moodle, or lower the requirement.',
        );
      return [];
    }
    const node = this.nodes.get(c);
    if (node?.extra) {
      this.edge(r, c);
      if (node.plugin.version < r.min)
        this.report(
          DEPENDENCY_RULES.extraTooOld,
          r,
          `${c} is required at ${need}; the extra plugin ${node.plugin.from} is ${node.plugin.version}.`,
        );
      return [];
    }
    if (node && node.plugin.version >= r.min) {
      this.edge(r, c);
      return [];
    }
    if (this.failed.has(c)) return [];
    if (this.nodes.size >= MAX_RESOLVED_PLUGINS) {
      if (!this.capped)
        this.report(
          DEPENDENCY_RULES.tooMany,
          r,
          `${c} would be plugin number ${MAX_RESOLVED_PLUGINS + 1} to install first; the walk stops at ${MAX_RESOLVED_PLUGINS}.`,
        );
      this.capped = true;
      return [];
    }
    const got = await this.fromDirectory(c, r.min);
    if (!got.ok) {
      this.failed.add(c);
      this.report(got.rule, r, got.message, got.hint);
      return [];
    }
    this.log(
      `dependencies: ${c} ${got.plugin.version} from ${got.plugin.from} (${got.plugin.source})`,
    );
    this.checkRequires(got.loaded);
    this.nodes.set(c, { plugin: got.plugin, loaded: got.loaded, extra: false });
    this.edges.delete(c); // a newer release replaces an older one's requirements
    this.edge(r, c);
    return requirementsOf(got.loaded, c, [...r.chain, c], false);
  }

  private checkRequires(p: Plugin): void {
    const requires = p.version.fields.requires?.value;
    if (typeof requires === 'number' && requires > this.opts.moodleVersion)
      this.notes.push(
        `${p.component ?? p.root} requires Moodle ${requires}; this tree is ${this.opts.moodleVersion}, so Moodle will refuse to install it.`,
      );
  }

  /** Dependencies first: a depth-first walk from the plugin under test, then from each extra. */
  ordered(): ResolvedPlugin[] {
    const out: ResolvedPlugin[] = [];
    const state = new Map<string, 'active' | 'done'>();
    const stack: { id: string; label: string; where: Where }[] = [];
    const visit = (id: string, label: string, where: Where): void => {
      const st = state.get(id);
      if (st === 'done') return;
      if (st === 'active') {
        const at = stack.findIndex((s) => s.id === id);
        const loop = stack.slice(at);
        const names = [...loop.map((s) => s.label), label].join(' → ');
        const first = loop[1]?.where ?? where;
        this.findings.push(
          makeFinding(
            DEPENDENCY_RULES.cycle,
            `The plugins require each other in a cycle: ${names}.`,
            first,
          ),
        );
        return;
      }
      state.set(id, 'active');
      stack.push({ id, label, where });
      for (const e of this.edges.get(id) ?? []) visit(e.to, e.label, e.where);
      stack.pop();
      state.set(id, 'done');
      const node = this.nodes.get(id);
      if (node) out.push(node.plugin);
    };
    visit(ROOT, this.rootName, {});
    for (const id of this.nodes.keys()) visit(id, id, {});
    return out;
  }

  // ---- The Plugins directory -------------------------------------------------------------------

  private get directoryRoot(): string {
    return path.join(this.opts.cacheDir, 'directory');
  }

  private tempDir(): string {
    const dir = path.join(
      this.opts.cacheDir,
      'tmp',
      `${process.pid}-${randomBytes(6).toString('hex')}`,
    );
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The best release of `c` for this branch: from the API (and the cache), else the cache alone. */
  private async fromDirectory(c: string, min: number): Promise<Outcome> {
    /** A cached release when there is one (noted as a stand-in when `note`), else `why`. */
    const cachedOr = (why: Failed, note?: string): Outcome => {
      const hit = this.bestCached(c, min);
      if (!hit) return why;
      if (note !== undefined)
        this.notes.push(`${c}: ${note}; used the cached ${hit.plugin.version} instead.`);
      return hit;
    };
    if (this.opts.offline)
      return cachedOr(
        failure(
          DEPENDENCY_RULES.offline,
          `${c} (${wanted(min)}) is not in the cache, and ${input('offline')} forbids asking the Plugins directory.`,
        ),
      );
    const query = new URL(this.apiUrl);
    const params = { format: 'json', plugin: c, minversion: String(min), branch: this.branch };
    for (const [k, v] of Object.entries(params)) query.searchParams.set(k, v);
    const url = query.toString();
    let info: PluginInfo;
    try {
      info = await this.askApi(url, c);
    } catch (e) {
      if (e instanceof DownloadError && e.status === 404)
        return failure(
          DEPENDENCY_RULES.unresolved,
          `${c} is not in the Plugins directory (${url}: HTTP 404).`,
        );
      const why = (e as Error).message;
      const f =
        e instanceof DownloadError && e.status === undefined
          ? failure(
              DEPENDENCY_RULES.offline,
              `${c}: the Plugins directory cannot be reached (${why}).`,
            )
          : failure(
              DEPENDENCY_RULES.downloadFailed,
              `${c}: the Plugins directory failed (${why}).`,
            );
      return cachedOr(f, `the Plugins directory could not be asked (${why})`);
    }
    const v = info.version;
    if (!v || v.version < min)
      return failure(
        DEPENDENCY_RULES.unresolved,
        `No release of ${c} in the Plugins directory meets ${wanted(min)} for Moodle ${this.label}.`,
      );
    const dir = path.join(this.directoryRoot, c, `${v.version}-${v.md5}`);
    const cached = this.readCached(dir, c);
    if (cached) return { ...cached, plugin: { ...cached.plugin, source: 'cache' } };
    return this.download(c, v, dir);
  }

  private async askApi(url: string, c: string): Promise<PluginInfo> {
    const tmp = this.tempDir();
    try {
      const file = path.join(tmp, 'pluginfo.json');
      const got = await downloadFile(url, file, this.opts.http);
      if (got.bytes > MAX_API_ANSWER) throw new Error(`${url}: an answer of ${got.bytes} bytes`);
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        throw new Error(`${url} answered with something other than JSON`);
      }
      return validatePluginfo(data, url, c);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  private async download(c: string, v: ReleaseInfo, dir: string): Promise<Outcome> {
    const tmp = this.tempDir();
    try {
      const zip = path.join(tmp, 'plugin.zip');
      try {
        await downloadFile(v.downloadurl, zip, this.opts.http);
      } catch (e) {
        return failure(
          DEPENDENCY_RULES.downloadFailed,
          `${c} ${v.version}: ${(e as Error).message}.`,
        );
      }
      if (statSync(zip).size > PLUGIN_ZIP_LIMITS.maxBytes)
        return failure(
          DEPENDENCY_RULES.badPackage,
          `${c} ${v.version}: ${v.downloadurl} is over the plugin ZIP size limit.`,
        );
      const data = readFileSync(zip);
      const md5 = createHash('md5').update(data).digest('hex');
      if (md5 !== v.md5)
        return failure(
          DEPENDENCY_RULES.checksum,
          `${c} ${v.version}: ${v.downloadurl} has MD5 ${md5}, the Plugins directory says ${v.md5}.`,
        );
      const stage = path.join(tmp, 'entry');
      const tree = path.join(stage, 'tree');
      let top: string;
      try {
        extractZip(data, tree, v.downloadurl);
        top = zipTop(tree, c);
      } catch (e) {
        return failure(DEPENDENCY_RULES.badPackage, `${c} ${v.version}: ${(e as Error).message}`);
      }
      const meta: CacheMeta = {
        component: c,
        version: v.version,
        ...(v.release !== undefined ? { release: v.release } : {}),
        md5: v.md5,
        downloadurl: v.downloadurl,
        top,
        // As the query spells them: "4.5" in supportedmoodles is branch 405, asked as "40.5".
        branches: [...new Set([this.branch, ...v.supported.map(releaseAsQueried)])],
      };
      writeFileSync(path.join(stage, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
      mkdirSync(path.dirname(dir), { recursive: true });
      if (!this.readCached(dir, c)) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(stage, dir);
      }
      const done = this.readCached(dir, c);
      if (!done)
        return failure(
          DEPENDENCY_RULES.badPackage,
          `${c} ${v.version}: the cached copy cannot be read back.`,
        );
      return { ...done, plugin: { ...done.plugin, source: 'directory' } };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** A cached release at `dir`, when whole. */
  private readCached(dir: string, c: string): Found | undefined {
    const meta = readMeta(dir);
    if (meta?.component !== c) return undefined;
    const root = path.join(dir, 'tree', meta.top);
    if (!existsSync(path.join(root, 'version.php'))) return undefined;
    const loaded = Plugin.load(root);
    if (loaded.component !== c) return undefined;
    const plugin: ResolvedPlugin = {
      component: c,
      dir: root,
      version: versionOf(loaded) ?? meta.version,
      ...(meta.release !== undefined ? { release: meta.release } : {}),
      source: 'cache',
      from: meta.downloadurl,
    };
    return { ok: true, plugin, loaded };
  }

  /** The newest cached release of `c` meeting `min` that was fetched for (or supports) this branch. */
  private bestCached(c: string, min: number): Found | undefined {
    const base = path.join(this.directoryRoot, c);
    let best: Found | undefined;
    let names: string[];
    try {
      names = readdirSync(base);
    } catch {
      return undefined;
    }
    for (const name of names) {
      const dir = path.join(base, name);
      const meta = readMeta(dir);
      if (!meta || meta.version < min || !meta.branches.includes(this.branch)) continue;
      if (best && best.plugin.version >= meta.version) continue;
      best = this.readCached(dir, c) ?? best;
    }
    return best;
  }

  // ---- Extra plugins ---------------------------------------------------------------------------

  private async loadExtra(spec: string): Promise<Node | undefined> {
    const shown = `extra plugin ${redactText(spec)}`;
    const value = spec.trim();
    if (value === '') throw new UserError('An extra plugin is empty.', EXTRA_HINT);
    let found: { dir: string; from: string } | undefined;
    if (isUrlSpec(value)) {
      const { url, ref } = parseGitSpec(value, shown);
      const dir = await this.gitExtra(url, ref, shown);
      if (!dir) {
        this.findings.push(
          makeFinding(
            DEPENDENCY_RULES.offline,
            `The ${shown} is not cached, and ${input('offline')} forbids cloning it.`,
          ),
        );
        return undefined;
      }
      found = { dir: pluginFolder(dir, shown), from: `${redactUrl(url)}@${ref ?? 'HEAD'}` };
    } else {
      const abs = path.resolve(value);
      if (!existsSync(abs))
        throw new UserError(`${shown}: no such folder, .zip or git URL.`, EXTRA_HINT);
      if (statSync(abs).isDirectory()) found = { dir: pluginFolder(abs, shown), from: abs };
      else if (/\.zip$/i.test(abs))
        found = { dir: pluginFolder(this.zipExtra(abs, shown), shown), from: abs };
      else throw new UserError(`${shown}: a file that is not a .zip.`, EXTRA_HINT);
    }
    const loaded = Plugin.load(found.dir);
    const c = loaded.component;
    const version = versionOf(loaded);
    if (!c || !COMPONENT_RE.test(c) || version === undefined) {
      const what =
        !c || !COMPONENT_RE.test(c) ? 'no valid $plugin->component' : 'no $plugin->version';
      this.findings.push(
        makeFinding(
          DEPENDENCY_RULES.invalidExtra,
          `The ${shown}: its version.php has ${what}; it is not used.`,
        ),
      );
      return undefined;
    }
    if (this.underTest.has(c))
      throw new UserError(
        `${shown}: it is ${c}, the plugin under test (or a subplugin of it).`,
        EXTRA_HINT,
      );
    const installed = this.opts.installedVersion(c);
    if (installed !== undefined)
      throw new UserError(
        `${shown}: ${c} is part of this Moodle (${installed}); an extra plugin cannot replace it.`,
        EXTRA_HINT,
      );
    const twin = this.nodes.get(c);
    if (twin)
      throw new UserError(
        `${shown}: ${c} is also given as ${twin.plugin.from}; pass each plugin once.`,
        EXTRA_HINT,
      );
    this.checkRequires(loaded);
    const release = releaseOf(loaded);
    const plugin: ResolvedPlugin = {
      component: c,
      dir: found.dir,
      version,
      ...(release !== undefined ? { release } : {}),
      source: 'extra',
      from: found.from,
    };
    this.log(`dependencies: ${c} ${version} from ${plugin.from} (extra)`);
    return { plugin, loaded, extra: true };
  }

  /** A ZIP extra, unpacked once into `<cacheDir>/zip/<sha256>/tree`. */
  private zipExtra(file: string, shown: string): string {
    const data = readUserFile(file, { shown, maxBytes: PLUGIN_ZIP_LIMITS.maxBytes });
    const key = createHash('sha256').update(data).digest('hex').slice(0, 24);
    const final = path.join(this.opts.cacheDir, 'zip', key);
    if (existsSync(path.join(final, 'tree'))) return path.join(final, 'tree');
    const tmp = this.tempDir();
    try {
      extractZip(data, path.join(tmp, 'tree'), shown);
      mkdirSync(path.dirname(final), { recursive: true });
      if (!existsSync(path.join(final, 'tree'))) {
        rmSync(final, { recursive: true, force: true });
        renameSync(tmp, final);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return path.join(final, 'tree');
  }

  /**
   * A git extra, cloned once into `<cacheDir>/git/<key of url and ref>/tree` (without .git). A
   * commit is never fetched again; a branch or tag is, when the remote has moved. Undefined:
   * offline with nothing cached.
   */
  private async gitExtra(
    url: string,
    ref: string | undefined,
    shown: string,
  ): Promise<string | undefined> {
    const key = createHash('sha256')
      .update(`${url}\n${ref ?? ''}`)
      .digest('hex')
      .slice(0, 24);
    const final = path.join(this.opts.cacheDir, 'git', key);
    const tree = path.join(final, 'tree');
    let cachedSha: string | undefined;
    try {
      cachedSha = (
        JSON.parse(readFileSync(path.join(final, 'source.json'), 'utf8')) as { sha?: string }
      ).sha;
    } catch {
      cachedSha = undefined;
    }
    const cached = cachedSha !== undefined && existsSync(tree);
    const isSha = ref !== undefined && /^[0-9a-f]{40}$/i.test(ref);
    if (cached && (isSha || this.opts.offline)) return tree;
    if (this.opts.offline) return undefined;
    await git(['--version'], undefined, shown);
    if (cached) {
      const remote = await lsRemote(url, ref, shown).catch((e: unknown) => {
        this.notes.push(
          `The ${shown}: cannot ask the remote (${(e as Error).message}); used the cached ${cachedSha?.slice(0, 12)}.`,
        );
        return cachedSha;
      });
      if (remote === cachedSha) return tree;
    }
    const tmp = this.tempDir();
    try {
      const work = path.join(tmp, 'tree');
      if (ref !== undefined && isSha) {
        await git(['init', '--quiet', work], undefined, shown);
        await git(['remote', 'add', 'origin', url], work, shown);
        // A server that refuses a commit that no branch or tag names gets a full fetch instead.
        await git(['fetch', '--quiet', '--depth', '1', 'origin', ref], work, shown).catch(() =>
          git(['fetch', '--quiet', 'origin'], work, shown),
        );
        await git(['checkout', '--quiet', '--detach', ref], work, shown);
      } else {
        const branch = ref !== undefined ? ['--branch', ref] : [];
        await git(
          ['clone', '--quiet', '--depth', '1', ...branch, '--', url, work],
          undefined,
          shown,
        );
      }
      const sha = (await git(['rev-parse', 'HEAD'], work, shown)).trim();
      rmSync(path.join(work, '.git'), { recursive: true, force: true });
      writeFileSync(
        path.join(tmp, 'source.json'),
        `${JSON.stringify({ url: redactUrl(url), ref, sha }, null, 2)}\n`,
      );
      mkdirSync(path.dirname(final), { recursive: true });
      const old = `${final}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
      if (existsSync(final)) renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
      this.log(`dependencies: cloned ${redactUrl(url)}@${ref ?? 'HEAD'} (${sha.slice(0, 12)})`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return tree;
  }
}

const EXTRA_HINT =
  'Pass a plugin folder (with version.php), a plugin .zip, or a git URL (https://, http:// or file://) with an optional @branch, @tag or @commit.';

interface ReleaseInfo {
  version: number;
  release?: string;
  downloadurl: string;
  md5: string;
  /** Moodle releases it supports (`4.5`), from supportedmoodles. */
  supported: string[];
}

interface PluginInfo {
  component: string;
  /** Undefined when the plugin is known but no release fits. */
  version: ReleaseInfo | undefined;
}

interface CacheMeta {
  component: string;
  version: number;
  release?: string;
  md5: string;
  downloadurl: string;
  /** The ZIP's top folder, inside `tree/`. */
  top: string;
  /** Branches (`4.5`) it was fetched for or supports: an offline run takes it only for those. */
  branches: string[];
}

/** A cache entry's meta.json, when it is whole. */
function readMeta(dir: string): CacheMeta | undefined {
  try {
    const m = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Partial<CacheMeta>;
    const ok =
      typeof m.component === 'string' &&
      typeof m.version === 'number' &&
      typeof m.top === 'string' &&
      !m.top.includes('/') &&
      !m.top.includes('..') &&
      typeof m.downloadurl === 'string' &&
      Array.isArray(m.branches);
    return ok ? (m as CacheMeta) : undefined;
  } catch {
    return undefined;
  }
}

/** PHP's empty(). */
const phpEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === false ||
  v === 0 ||
  v === '' ||
  v === '0' ||
  (Array.isArray(v) && v.length === 0);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const ROOT_FIELDS = {
  id: 1,
  name: 1,
  component: 1,
  source: 0,
  doc: 0,
  bugs: 0,
  discussion: 0,
  version: 0,
};
const VERSION_FIELDS = {
  id: 1,
  version: 1,
  release: 0,
  maturity: 0,
  downloadurl: 1,
  downloadmd5: 1,
  vcssystem: 0,
  vcssystemother: 0,
  vcsrepositoryurl: 0,
  vcsbranch: 0,
  vcstag: 0,
  supportedmoodles: 0,
};

/** Every field there, the required ones not empty: validate_pluginfo_format()'s test. */
function hasFields(o: Record<string, unknown>, fields: Record<string, number>): boolean {
  return Object.entries(fields).every(([k, required]) => k in o && !(required && phpEmpty(o[k])));
}

/** An answer of pluginfo.php, checked as \core\update\api checks it (and named for `c`). */
export function validatePluginfo(data: unknown, url: string, c: string): PluginInfo {
  const bad = (why: string): Error => new Error(`${url} gave an unexpected answer (${why})`);
  if (!isObject(data) || data.status !== 'OK' || String(data.apiver) !== API_VERSION)
    throw bad(`not status OK with apiver ${API_VERSION}`);
  const info = data.pluginfo;
  if (!isObject(info) || !hasFields(info, ROOT_FIELDS)) throw bad('pluginfo lacks fields');
  if (info.component !== c) throw bad(`it describes ${String(info.component)}`);
  const v = info.version;
  if (phpEmpty(v)) return { component: c, version: undefined };
  if (!isObject(v) || !hasFields(v, VERSION_FIELDS)) throw bad('pluginfo.version lacks fields');
  const url2 = v.downloadurl;
  if (typeof url2 !== 'string' || !/^https?:\/\//i.test(url2))
    throw bad('downloadurl is not http(s)');
  const md5 = String(v.downloadmd5).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(md5)) throw bad('downloadmd5 is not an MD5');
  const version = Number(v.version);
  if (!Number.isFinite(version) || version <= 0) throw bad('version is not a number');
  const supported: string[] = [];
  if (!phpEmpty(v.supportedmoodles)) {
    if (!Array.isArray(v.supportedmoodles)) throw bad('supportedmoodles is not a list');
    for (const m of v.supportedmoodles as unknown[]) {
      if (!isObject(m) || phpEmpty(m.version) || phpEmpty(m.release)) throw bad('supportedmoodles');
      supported.push(String(m.release));
    }
  }
  const release = typeof v.release === 'string' && v.release !== '' ? v.release : undefined;
  return {
    component: c,
    version: {
      version,
      ...(release !== undefined ? { release } : {}),
      downloadurl: url2,
      md5,
      supported,
    },
  };
}

/** The name of `dir`'s one top folder (dot-entries aside unless `strict`), else undefined. */
function onlyFolder(dir: string, strict: boolean): string | undefined {
  const entries = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : [];
  const kept = strict ? entries : entries.filter((e) => !e.name.startsWith('.'));
  return kept.length === 1 && kept[0]!.isDirectory() ? kept[0]!.name : undefined;
}

/** The unpacked ZIP's one top folder, holding a version.php of `c` (what Moodle installs). */
function zipTop(tree: string, c: string): string {
  const top = onlyFolder(tree, true);
  if (top === undefined) throw new Error('the ZIP does not hold exactly one top folder');
  const root = path.join(tree, top);
  if (!existsSync(path.join(root, 'version.php'))) throw new Error(`${top}/ has no version.php`);
  const declared = Plugin.load(root).component;
  if (declared !== c)
    throw new Error(`${top}/version.php declares ${declared ?? 'no component'}, not ${c}`);
  return top;
}

/** The folder with version.php: `dir` itself, or its one top folder (a ZIP's or a checkout's). */
function pluginFolder(dir: string, shown: string): string {
  const top = onlyFolder(dir, false);
  const found = [dir, ...(top !== undefined ? [path.join(dir, top)] : [])].find((d) =>
    existsSync(path.join(d, 'version.php')),
  );
  if (found === undefined)
    throw new UserError(
      `${shown}: no version.php in it, so it is not a Moodle plugin.`,
      EXTRA_HINT,
    );
  return found;
}

/**
 * `URL[@ref]`: the ref follows the last '@' after the path begins, so `https://user@host/r.git`
 * keeps its user. Only https://, http:// and file:// URLs.
 */
export function parseGitSpec(spec: string, shown = spec): { url: string; ref?: string } {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(spec);
  const scheme = m?.[1]?.toLowerCase();
  if (scheme !== 'https' && scheme !== 'http' && scheme !== 'file')
    throw new UserError(
      `${shown}: only https://, http:// and file:// git URLs are supported.`,
      EXTRA_HINT,
    );
  const pathStart = spec.indexOf('/', m![0].length);
  const at = spec.lastIndexOf('@');
  const split = pathStart >= 0 && at > pathStart;
  const url = split ? spec.slice(0, at) : spec;
  const ref = split ? spec.slice(at + 1) : undefined;
  try {
    new URL(url);
  } catch {
    throw new UserError(`${shown}: ${redactUrl(url)} is not a valid URL.`, EXTRA_HINT);
  }
  if (ref !== undefined && (!/^[\w./-]+$/.test(ref) || ref.startsWith('-') || ref.includes('..')))
    throw new UserError(`${shown}: "${ref}" is not a branch, tag or commit name.`, EXTRA_HINT);
  return ref !== undefined ? { url, ref } : { url };
}

/** Whether an extra plugin is given as a URL (`scheme://…`) rather than a path. */
export function isUrlSpec(spec: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec);
}

/** The URL without its user and password, for messages, logs and the cache's notes. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@');
  }
}

const run = promisify(execFile);

/** git without a shell, prompts or the caller's environment; a failure is the user's input. */
async function git(args: string[], cwd: string | undefined, shown: string): Promise<string> {
  try {
    const { stdout } = await run('git', cwd !== undefined ? ['-C', cwd, ...args] : args, {
      encoding: 'utf8',
      timeout: GIT_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? tmpdir(),
        GIT_TERMINAL_PROMPT: '0',
      },
    });
    return stdout;
  } catch (e) {
    const err = e as { code?: unknown; stderr?: string; message: string };
    if (err.code === 'ENOENT')
      throw new UserError(
        `${shown}: git is not installed, so a git URL cannot be cloned.`,
        'Install git, or pass the plugin as a folder or .zip.',
      );
    const detail = (err.stderr ?? '').trim().split('\n').slice(-2).join(' ') || err.message;
    throw new UserError(`${shown}: git ${args[0] ?? ''} failed: ${redactText(detail)}`, EXTRA_HINT);
  }
}

const redactText = (text: string): string => text.replace(/(\w+:\/\/)[^/\s@]*@/g, '$1***@');

/** The commit a branch or tag (or HEAD) names on the remote; undefined when it names none. */
async function lsRemote(
  url: string,
  ref: string | undefined,
  shown: string,
): Promise<string | undefined> {
  const out = await git(['ls-remote', '--', url, ref ?? 'HEAD'], undefined, shown);
  const lines = out.split('\n').map((l) => l.split('\t'));
  const pick = (name: string): string | undefined => lines.find((l) => l[1] === name)?.[0];
  if (ref === undefined) return pick('HEAD');
  return (
    pick(`refs/tags/${ref}^{}`) ??
    pick(`refs/tags/${ref}`) ??
    pick(`refs/heads/${ref}`) ??
    pick(ref)
  );
}
