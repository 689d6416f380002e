// moodlenet/*: a MoodleNet extension package (a folder whose package.json has @moodlenet/core as
// a peer dependency) as MoodleNet's developer guide defines one: a standard ESM package whose
// exports["."] main module @moodlenet/core imports at start-up; the main module connects to the
// core (connectPkg / pkgConnection with import.meta); each API defined with defApi has a params
// validation function; @moodlenet/* are peer dependencies with real semver ranges.
import path from 'node:path';
import semver from 'semver';
import { moodleNetManifest } from '../plugin/moodlenet.js';
import type { CheckFamily, RuleMeta } from './types.js';

const WHY =
  '@moodlenet/core imports each installed package’s main module at start-up and mediates every API call; a package that breaks these rules is not loaded, or loaded twice, or exposes APIs without the params check the core runs before every call.';

const rule = (
  id: string,
  severity: RuleMeta['severity'],
  title: string,
  fix: string,
): RuleMeta => ({
  id: `moodlenet/${id}`,
  severity,
  title,
  why: WHY,
  fix,
});

export const MOODLENET_RULES = {
  manifest: rule(
    'package-json-invalid',
    'error',
    'package.json is not valid JSON',
    'Make package.json parse: it is what MoodleNet’s package manager reads first.',
  ),
  notModule: rule(
    'not-esm',
    'error',
    'package.json does not declare "type": "module"',
    'Add "type": "module": a MoodleNet package is an ESM package.',
  ),
  noExports: rule(
    'no-main-export',
    'error',
    'package.json has no exports["."] naming the main module',
    'Add "exports": { ".": "./src/server/main.mjs" } (or { ".": { "import": … } }).',
  ),
  mainMissing: rule(
    'main-missing',
    'error',
    'exports["."] names a file the package does not have',
    'Point exports["."] at the main module, relative to package.json, starting with ./.',
  ),
  mainNotEsm: rule(
    'main-not-esm',
    'error',
    'The main module is not an ES module (a .cjs file, or CommonJS require/module.exports)',
    'Write the main module as ESM (import/export), in a .mjs file or a .js file of a "type": "module" package.',
  ),
  coreNotPeer: rule(
    'core-not-peer',
    'error',
    '@moodlenet/core is a dependency, not a peer dependency',
    'Move @moodlenet/core (and the other @moodlenet/* packages) to peerDependencies: the running core is shared, never installed per package.',
  ),
  peerRange: rule(
    'peer-range',
    'error',
    'A @moodlenet/* peer dependency has no valid semver range',
    'Give a range such as "^0.2.0", not "*", "latest", a path or a URL.',
  ),
  noConnection: rule(
    'no-connection',
    'error',
    'The main module does not connect to the core with connectPkg(import.meta, …) or pkgConnection(import.meta, …)',
    'Call `await connectPkg(import.meta, { apis })` (or pkgConnection(import.meta, otherPkg)) in the main module; import.meta is how the core knows the package.',
  ),
  apiNoValidation: rule(
    'api-without-validation',
    'error',
    'An API is defined with defApi(…) without a params validation function',
    'Give defApi its second argument: `defApi(ctx => async (...params) => …, (...params) => /* validate */ true)`.',
  ),
} as const satisfies Record<string, RuleMeta>;

/** The main module's path (relative, posix) from exports["."]; undefined when there is none. */
function mainExport(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const dot = (exports as Record<string, unknown>)['.'];
  if (typeof dot === 'string') return dot;
  if (typeof dot === 'object' && dot !== null) {
    const d = dot as Record<string, unknown>;
    for (const key of ['import', 'node', 'default']) if (typeof d[key] === 'string') return d[key];
  }
  return undefined;
}

/** Code with comments and string/template contents blanked (same length, so offsets hold). */
export function blankCommentsAndStrings(code: string): string {
  let out = '';
  let i = 0;
  while (i < code.length) {
    const c = code[i]!;
    const next = code[i + 1];
    if (c === '/' && next === '/') {
      const end = code.indexOf('\n', i);
      const stop = end < 0 ? code.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      const stop = end < 0 ? code.length : end + 2;
      out += code.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1;
      out += c + code.slice(i + 1, j).replace(/[^\n]/g, ' ') + (j < code.length ? c : '');
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The top-level arguments of the call whose "(" is at `open`: their count, 0 for `()`. */
function argumentCount(code: string, open: number): number {
  let depth = 0;
  let count = 0;
  let sawAny = false;
  for (let i = open; i < code.length; i++) {
    const c = code[i]!;
    if (c === '(' || c === '[' || c === '{') {
      depth++;
      if (depth > 1) sawAny = true;
    } else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return sawAny ? count + 1 : 0;
    } else if (depth === 1) {
      if (c === ',') {
        count++;
        sawAny = false;
        // A trailing comma before ")" does not start an argument.
        const rest = code.slice(i + 1).match(/^\s*\)/);
        if (rest) return count;
        continue;
      }
      if (!/\s/.test(c)) sawAny = true;
    }
  }
  return count + (sawAny ? 1 : 0);
}

const lineOf = (code: string, offset: number): number => code.slice(0, offset).split('\n').length;

export const moodlenetFamily: CheckFamily = {
  family: 'moodlenet',
  rules: Object.values(MOODLENET_RULES),
  run(ctx) {
    const manifest = moodleNetManifest(ctx.plugin);
    if (!manifest) return;
    if (manifest.error !== undefined) {
      ctx.report(
        MOODLENET_RULES.manifest.id,
        { file: 'package.json' },
        `package.json: ${manifest.error}`,
      );
      return;
    }
    const pkg = manifest.data;
    const line = (key: string): number | undefined => {
      const i = manifest.text.indexOf(`"${key}"`);
      return i < 0 ? undefined : lineOf(manifest.text, i);
    };
    const at = (key: string) => ({ file: 'package.json', line: line(key) });
    if (pkg.type !== 'module')
      ctx.report(
        MOODLENET_RULES.notModule.id,
        at('type'),
        `package.json has ${pkg.type === undefined ? 'no "type"' : `"type": ${JSON.stringify(pkg.type)}`}: a MoodleNet package must be "type": "module".`,
      );
    const deps = (pkg.dependencies ?? {}) as Record<string, unknown>;
    const peers = (pkg.peerDependencies ?? {}) as Record<string, unknown>;
    for (const name of Object.keys(deps).filter((n) => n.startsWith('@moodlenet/')))
      if (name === '@moodlenet/core' || !(name in peers))
        ctx.report(
          MOODLENET_RULES.coreNotPeer.id,
          at('dependencies'),
          `${name} is in dependencies; MoodleNet packages declare it in peerDependencies.`,
        );
    for (const [name, range] of Object.entries(peers)) {
      if (!name.startsWith('@moodlenet/')) continue;
      const bad =
        typeof range !== 'string' ||
        semver.validRange(range) === null ||
        /^\s*(\*|x|latest)?\s*$/i.test(range) ||
        /[:/]/.test(range);
      if (bad)
        ctx.report(
          MOODLENET_RULES.peerRange.id,
          at('peerDependencies'),
          `peerDependencies ${name}: ${JSON.stringify(range)} is not a version range.`,
        );
    }
    const main = mainExport(pkg.exports);
    if (main === undefined) {
      ctx.report(
        MOODLENET_RULES.noExports.id,
        at(pkg.exports === undefined ? 'name' : 'exports'),
        'package.json declares no exports["."]: @moodlenet/core has no main module to import.',
      );
      return;
    }
    const rel = path.posix.normalize(main.replace(/^\.\//, ''));
    if (rel.startsWith('..') || path.posix.isAbsolute(main) || !ctx.plugin.has(rel)) {
      ctx.report(
        MOODLENET_RULES.mainMissing.id,
        at('exports'),
        `exports["."] is ${JSON.stringify(main)}, which is not a file of the package.`,
      );
      return;
    }
    const code = ctx.plugin.text(rel) ?? '';
    const bare = blankCommentsAndStrings(code);
    const esmSyntax = /(^|[;\n])\s*(import\s*[\w*{'"]|export\s)/.test(bare);
    const cjs = /\brequire\s*\(|\bmodule\.exports\b|\bexports\.\w+\s*=/.exec(bare);
    if (rel.endsWith('.cjs') || (cjs && !esmSyntax))
      ctx.report(
        MOODLENET_RULES.mainNotEsm.id,
        { file: rel, ...(cjs ? { line: lineOf(code, cjs.index) } : {}) },
        rel.endsWith('.cjs')
          ? `${rel} is a CommonJS file (.cjs).`
          : `${rel} uses CommonJS (${(cjs?.[0] ?? '').replace(/\s*\($/, '()')}) and no import/export.`,
      );
    const connect = /\b(connectPkg|pkgConnection)\s*\(/g;
    let connected = false;
    let withoutMeta: number | undefined;
    for (let m = connect.exec(bare); m; m = connect.exec(bare)) {
      if (/^\s*import\.meta\b/.test(bare.slice(m.index + m[0].length))) connected = true;
      else withoutMeta ??= m.index;
    }
    if (!connected)
      ctx.report(
        MOODLENET_RULES.noConnection.id,
        { file: rel, ...(withoutMeta !== undefined ? { line: lineOf(code, withoutMeta) } : {}) },
        withoutMeta !== undefined
          ? `${rel} calls connectPkg/pkgConnection without import.meta as its first argument.`
          : `${rel} never calls connectPkg(import.meta, …) or pkgConnection(import.meta, …).`,
      );
    const defApi = /\bdefApi\s*\(/g;
    for (let m = defApi.exec(bare); m; m = defApi.exec(bare)) {
      const open = m.index + m[0].length - 1;
      if (argumentCount(bare, open) < 2)
        ctx.report(
          MOODLENET_RULES.apiNoValidation.id,
          { file: rel, line: lineOf(code, m.index) },
          'defApi(…) is given no params validation function (its second argument).',
        );
    }
  },
};
