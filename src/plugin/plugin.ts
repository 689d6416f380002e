import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isWithin } from '../core/host-paths.js';
import { moodleNetManifest } from './moodlenet.js';
import {
  BRANCHES,
  NEWEST_BRANCH,
  branchForRequires,
  branchesBetween,
  isBranchShaped,
  type BranchInfo,
} from './branches.js';
import { defaultAstCache, type AstCache } from './ast-cache.js';
import { isPhpArray, parsePhp, PARSER_MAX_PHP, type ParsedPhp } from './php.js';
import { pluginType, splitComponent, type PluginTypeInfo } from './plugintypes.js';
import { readVersionFile, type VersionFile } from './version-file.js';
import { childrenNamed, childText, parseXml, type XmlParse } from './xml.js';

/** Directories never linted: VCS and dependency folders, and dot-folders Moodle never loads. */
const SKIP_DIR = (name: string): boolean => name.startsWith('.') || name === 'node_modules';

export interface SubpluginType {
  type: string;
  /** Folder relative to the parent plugin root. */
  dir: string;
}

export interface PluginLoadOptions {
  /** Relative (to the top plugin root) paths the user's config ignores. */
  isIgnored?: (relFromTop: string) => boolean;
  /** Where parsed PHP is kept between runs (default: the tool's cache, ast-cache.ts). */
  astCache?: AstCache;
}

/**
 * One plugin on disk: its files, its version.php, and cached reads and parses. Subplugins are
 * Plugin objects too, with `prefix` saying where they sit inside the top plugin.
 */
export class Plugin {
  /** Every file under the root (posix, relative to this plugin), nested subplugins excluded. */
  readonly allFiles: readonly string[];
  /** allFiles minus third-party locations and ignored paths: what the checks lint. */
  readonly files: readonly string[];
  readonly version: VersionFile;
  readonly component: string | undefined;
  readonly type: string | undefined;
  readonly name: string | undefined;
  /** Where the type's data came from: Moodle's core list, or a parent's db/subplugins.json. */
  readonly typeInfo: PluginTypeInfo | undefined;
  readonly subplugins: Plugin[] = [];
  /** Symbolic links anywhere in the checkout (top plugin only; subplugins included in it). */
  links: readonly PluginLink[] = [];
  /** Folders declared as third-party code in thirdpartylibs.xml (relative, no trailing slash). */
  readonly thirdPartyLocations: readonly string[];
  private readonly fileSet: Set<string>;
  private readonly dirSet: Set<string>;
  private readonly textCache = new Map<string, string | undefined>();
  private readonly phpCache = new Map<string, ParsedPhp | undefined>();
  private readonly xmlCache = new Map<string, XmlParse | undefined>();
  private readonly astCache: AstCache;

  private constructor(
    readonly root: string,
    readonly prefix: string,
    readonly parent: Plugin | undefined,
    allFiles: string[],
    options: PluginLoadOptions,
    subpluginTypeInfo?: PluginTypeInfo,
  ) {
    this.allFiles = allFiles;
    this.fileSet = new Set(allFiles);
    this.dirSet = new Set<string>();
    for (const f of allFiles) {
      for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) this.dirSet.add(d);
    }
    this.thirdPartyLocations = readThirdPartyLocations(this.xml('thirdpartylibs.xml'));
    const isThirdParty = (f: string): boolean =>
      this.thirdPartyLocations.some((loc) => f === loc || f.startsWith(`${loc}/`));
    const isIgnored = options.isIgnored ?? (() => false);
    this.astCache = options.astCache ?? defaultAstCache();
    this.files = allFiles.filter((f) => !isThirdParty(f) && !isIgnored(prefix + f));

    const code = this.text('version.php');
    // The PHP range comes from version.php itself, so it is parsed with the newest syntax.
    const parsed = code === undefined ? undefined : parsePhp(code, 'version.php');
    this.phpCache.set('version.php', parsed);
    this.version = readVersionFile(code ?? '', parsed?.ast, parsed?.error);
    const declared = this.version.fields.component?.value;
    this.component = typeof declared === 'string' ? declared : undefined;
    const split = this.component ? splitComponent(this.component) : undefined;
    this.type = split?.type;
    this.name = split?.name;
    this.typeInfo = subpluginTypeInfo ?? (this.type ? pluginType(this.type) : undefined);
  }

  /** Where Moodle installs it, relative to the tree (`mod/board`), when Moodle can install it. */
  get installPath(): string | undefined {
    return this.typeInfo && this.name ? `${this.typeInfo.path}/${this.name}` : undefined;
  }

  /**
   * Why Moodle cannot install this plugin at all, or undefined when it can. The Moodle phases are
   * skipped with this reason; the lint findings carry the error itself.
   */
  installProblem(): string | undefined {
    if (moodleNetManifest(this))
      return 'a MoodleNet package (package.json with @moodlenet/core), not a Moodle plugin';
    const syntax = this.version.syntaxError;
    if (syntax)
      return `version.php does not parse (line ${syntax.line}: ${syntax.message.replace(/^.*?Parse Error : /, '')}), so Moodle cannot read the plugin`;
    if (!this.component) return 'version.php declares no $plugin->component';
    if (!this.installPath)
      return `${this.component} is not of a plugin type Moodle knows, so it has no install path`;
    return undefined;
  }

  static load(root: string, options: PluginLoadOptions = {}): Plugin {
    const links: PluginLink[] = [];
    const top = new Plugin(path.resolve(root), '', undefined, listFiles(root, links), options);
    top.links = links;
    top.loadSubplugins(options);
    return top;
  }

  get isSubplugin(): boolean {
    return this.parent !== undefined;
  }

  /** A path as the user sees it: relative to the top plugin root. */
  display(rel: string): string {
    return this.prefix + rel;
  }

  has(rel: string): boolean {
    return this.fileSet.has(rel);
  }

  hasDir(rel: string): boolean {
    return this.dirSet.has(rel.replace(/\/$/, ''));
  }

  /** Lintable files under a folder, optionally with an extension. */
  filesUnder(dir: string, ext?: string): string[] {
    const p = dir === '' ? '' : `${dir.replace(/\/$/, '')}/`;
    return this.files.filter((f) => f.startsWith(p) && (ext === undefined || f.endsWith(ext)));
  }

  text(rel: string): string | undefined {
    if (this.textCache.has(rel)) return this.textCache.get(rel);
    let v: string | undefined;
    if (this.fileSet.has(rel)) {
      try {
        v = readFileSync(path.join(this.root, rel), 'utf8');
      } catch {
        v = undefined;
      }
    }
    this.textCache.set(rel, v);
    return v;
  }

  /** Parses with the newest PHP this plugin may run on, so newer syntax is judged separately. */
  php(rel: string): ParsedPhp | undefined {
    if (this.phpCache.has(rel)) return this.phpCache.get(rel);
    const code = this.text(rel);
    const v = code === undefined ? undefined : this.astCache.parse(code, rel, this.phpRange().max);
    this.phpCache.set(rel, v);
    return v;
  }

  /** A parsed XML file with positions (or its well-formedness error), cached. */
  xml(rel: string): XmlParse | undefined {
    if (this.xmlCache.has(rel)) return this.xmlCache.get(rel);
    const code = this.text(rel);
    const v = code === undefined ? undefined : parseXml(code);
    this.xmlCache.set(rel, v);
    return v;
  }

  /**
   * The Moodle branches this plugin can run on: those `supported` names (when well-formed, else
   * from `requires` to the newest branch we know), minus those below `requires` (Moodle refuses
   * to install there) and from `incompatible` on. A plugin that only names branches newer than
   * we know targets the newest we know.
   */
  targetBranches(): BranchInfo[] {
    const fields = (this.parent ?? this).version.fields;
    const supported = fields.supported?.value;
    const requires = fields.requires?.value;
    const floor =
      typeof requires === 'number' ? (branchForRequires(requires)?.branch ?? Infinity) : 0;
    let list: BranchInfo[] | undefined;
    if (supported !== undefined && isPhpArray(supported)) {
      const [min, max] = supported.entries.map((e) => e.value);
      if (
        supported.entries.length === 2 &&
        typeof min === 'number' &&
        typeof max === 'number' &&
        isBranchShaped(min) &&
        (max === -1 || isBranchShaped(max))
      ) {
        list = branchesBetween(min, max);
      }
    }
    list ??= typeof requires === 'number' ? [...BRANCHES] : BRANCHES.filter((b) => b.branch >= 401);
    list = list.filter((b) => b.branch >= floor);
    const incompatible = fields.incompatible?.value;
    if (typeof incompatible === 'number' && isBranchShaped(incompatible)) {
      list = list.filter((b) => b.branch < incompatible);
    }
    return list.length > 0 ? list : [NEWEST_BRANCH];
  }

  /**
   * The PHP versions the plugin must parse on: from the oldest target branch's minimum to the
   * newest one's maximum. When `requires` names a Moodle newer than we know, that Moodle's
   * minimum PHP is unknown too, so only the newest PHP is judged.
   */
  phpRange(): { min: string; max: string } {
    const list = this.targetBranches();
    const cmp = (a: string, b: string): number => Number(a) - Number(b);
    const cap = (v: string): string => (cmp(v, PARSER_MAX_PHP) > 0 ? PARSER_MAX_PHP : v);
    const max = cap(
      list
        .map((b) => b.phpMax)
        .sort(cmp)
        .at(-1) ?? PARSER_MAX_PHP,
    );
    const requires = (this.parent ?? this).version.fields.requires?.value;
    if (typeof requires === 'number' && branchForRequires(requires) === undefined)
      return { min: max, max };
    return { min: cap(list.map((b) => b.phpMin).sort(cmp)[0] ?? max), max };
  }

  /** Subplugin types from db/subplugins.json, as Moodle reads them for the branch in question. */
  subpluginTypes(): SubpluginType[] {
    const raw = this.text('db/subplugins.json');
    if (raw === undefined) return [];
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return [];
    }
    if (typeof json !== 'object' || json === null) return [];
    const obj = json as { subplugintypes?: unknown; plugintypes?: unknown };
    const out: SubpluginType[] = [];
    if (typeof obj.subplugintypes === 'object' && obj.subplugintypes !== null) {
      for (const [type, dir] of Object.entries(obj.subplugintypes)) {
        if (typeof dir === 'string') out.push({ type, dir: dir.replace(/\/$/, '') });
      }
    } else if (typeof obj.plugintypes === 'object' && obj.plugintypes !== null && this.typeInfo) {
      // Legacy form: paths from the Moodle root; strip this plugin's own install path.
      const own = `${this.typeInfo.path}/${this.name ?? ''}/`;
      for (const [type, dir] of Object.entries(obj.plugintypes)) {
        if (typeof dir === 'string' && dir.startsWith(own)) {
          out.push({ type, dir: dir.slice(own.length).replace(/\/$/, '') });
        }
      }
    }
    return out.filter((s) => s.dir !== '' && !s.dir.includes('..'));
  }

  private loadSubplugins(options: PluginLoadOptions): void {
    const roots: { dir: string; info: PluginTypeInfo }[] = [];
    for (const st of this.subpluginTypes()) {
      const base = this.typeInfo ? `${this.typeInfo.path}/${this.name ?? ''}/${st.dir}` : st.dir;
      const info: PluginTypeInfo = {
        type: st.type,
        path: base,
        ...(this.component ? { parent: this.component } : {}),
      };
      const names = new Set<string>();
      for (const f of this.allFiles) {
        if (!f.startsWith(`${st.dir}/`)) continue;
        const rest = f.slice(st.dir.length + 1).split('/');
        if (rest.length === 2 && rest[1] === 'version.php') names.add(rest[0]!);
      }
      for (const n of [...names].sort()) roots.push({ dir: `${st.dir}/${n}`, info });
    }
    if (roots.length === 0) return;
    const inSub = (f: string): boolean => roots.some((r) => f.startsWith(`${r.dir}/`));
    (this as { allFiles: readonly string[] }).allFiles = this.allFiles.filter((f) => !inSub(f));
    (this as { files: readonly string[] }).files = this.files.filter((f) => !inSub(f));
    for (const r of roots) {
      const files = listFiles(path.join(this.root, r.dir));
      const sub = new Plugin(
        path.join(this.root, r.dir),
        `${this.prefix}${r.dir}/`,
        this,
        files,
        options,
        r.info,
      );
      this.subplugins.push(sub);
      sub.loadSubplugins(options);
    }
  }
}

/** A symbolic link in the checkout: never followed, only reported (files/symlink*). */
export interface PluginLink {
  /** Posix path relative to the top plugin root. */
  rel: string;
  /** Where it resolves: inside the plugin, outside it, or nowhere. */
  to: 'inside' | 'outside' | 'dangling';
}

function listFiles(root: string, links?: PluginLink[]): string[] {
  const out: string[] = [];
  const realRoot = links ? realpathSync(root) : root;
  const visit = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      // Symlinks are never followed: a plugin checkout must not make us read outside it.
      if (e.isSymbolicLink()) {
        links?.push({ rel: r, to: linkTarget(path.join(dir, e.name), realRoot) });
        continue;
      }
      if (e.isDirectory()) {
        if (!SKIP_DIR(e.name)) visit(path.join(dir, e.name), r);
      } else if (e.isFile()) out.push(r);
    }
  };
  visit(root, '');
  return out.sort();
}

function linkTarget(link: string, realRoot: string): PluginLink['to'] {
  try {
    return isWithin(realpathSync(link), realRoot) ? 'inside' : 'outside';
  } catch {
    return 'dangling';
  }
}

function readThirdPartyLocations(xml: XmlParse | undefined): string[] {
  if (!xml || !('root' in xml)) return [];
  return childrenNamed(xml.root, 'library')
    .map((l) => (childText(l, 'location') ?? '').replace(/^\.?\//, '').replace(/\/$/, ''))
    .filter((l) => l !== '' && !l.includes('..'));
}

export function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
