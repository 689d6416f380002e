// amd/*: the plugin's AMD builds against their sources, as moodle-plugin-ci's `grunt` command and
// the Plugins directory's prechecker judge them ("File is stale and needs to be rebuilt"), without
// rebuilding. Moodle's build (grunt amd: rollup + babel + terser) writes amd/build/<name>.min.js
// and a source map whose `sourcesContent` is the very source it was built from; a source that
// differs from it now is a stale build, whatever the build tool's version.
import type { CheckFamily, RuleMeta } from './types.js';

export const AMD_RULES: readonly RuleMeta[] = [
  {
    id: 'amd/build-missing',
    severity: 'error',
    title: 'An AMD module has no build',
    why: 'With JavaScript caching on (every production site), Moodle serves amd/build/<name>.min.js, not amd/src: a module without its build does not load ("No define call for …"), so the feature using it breaks.',
    fix: 'Build it with Moodle’s own tooling: `npx grunt amd` in the plugin folder inside a Moodle checkout (after `npm install` in Moodle), and commit amd/build.',
  },
  {
    id: 'amd/build-stale',
    severity: 'error',
    title: 'An AMD build was made from an older source',
    why: 'The build’s source map holds the source it was built from, and amd/src differs from it: production sites run the old code, while developers (cachejs off) run the new one.',
    fix: 'Rebuild with `npx grunt amd` in the plugin folder inside a Moodle checkout, and commit amd/build with amd/src.',
  },
  {
    id: 'amd/build-orphan',
    severity: 'warning',
    title: 'An AMD build has no source',
    why: 'A build whose amd/src file is gone is no longer generated: it ships code nobody can review or rebuild, and Moodle may still load it.',
    fix: 'Delete amd/build/<name>.min.js and its .map, or restore the source.',
  },
  {
    id: 'amd/not-checked',
    severity: 'notice',
    title: 'An AMD build could not be held against its source',
    why: 'Without a readable source map (with sourcesContent) there is no record of what the build was made from, so whether it is current is not known. Moodle’s build writes the map next to every .min.js.',
    fix: 'Rebuild with `npx grunt amd` and commit the .min.js.map files too.',
  },
];

const SRC = 'amd/src/';
const BUILD = 'amd/build/';

/** `amd/src/local/x.js` → `amd/build/local/x.min.js`. */
export function buildPathOf(src: string): string {
  return `${BUILD}${src.slice(SRC.length).replace(/\.js$/, '')}.min.js`;
}

/** The 1-based line where two texts first differ (line endings aside). */
function firstDifferentLine(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return i + 1;
  return 1;
}

const lf = (s: string): string => s.replace(/\r\n?/g, '\n');

export const amdFamily: CheckFamily = {
  family: 'amd',
  rules: AMD_RULES,
  run(ctx) {
    const p = ctx.plugin;
    // What the checks lint: third-party locations (thirdpartylibs.xml) and ignored paths are out.
    const sources = p.files.filter((f) => f.startsWith(SRC) && f.endsWith('.js'));
    const builds = new Set(p.files.filter((f) => f.startsWith(BUILD) && f.endsWith('.min.js')));
    for (const src of sources) {
      const build = buildPathOf(src);
      if (!builds.has(build)) {
        ctx.report('amd/build-missing', { file: src }, `${src} has no build: ${build} is missing.`);
        continue;
      }
      builds.delete(build);
      const map = p.text(`${build}.map`);
      let built: unknown;
      try {
        built =
          map === undefined
            ? undefined
            : (JSON.parse(map) as { sourcesContent?: unknown[] }).sourcesContent?.[0];
      } catch {
        built = undefined;
      }
      if (typeof built !== 'string') {
        ctx.report(
          'amd/not-checked',
          { file: build },
          `${build}: ${map === undefined ? `no ${build}.map next to it` : `${build}.map has no sourcesContent`}, so whether it is built from the current ${src} is not known.`,
        );
        continue;
      }
      const now = p.text(src) ?? '';
      if (lf(built) !== lf(now)) {
        const line = firstDifferentLine(lf(built), lf(now));
        ctx.report(
          'amd/build-stale',
          { file: src, line },
          `${build} was built from another version of ${src} (they differ from line ${line}): rebuild it.`,
        );
      }
    }
    for (const build of builds) {
      // A third-party source (thirdpartylibs.xml) is out of the lint, but its build is not orphaned.
      if (p.has(`${SRC}${build.slice(BUILD.length).replace(/\.min\.js$/, '.js')}`)) continue;
      ctx.report(
        'amd/build-orphan',
        { file: build },
        `${build} has no source: amd/src/${build.slice(BUILD.length).replace(/\.min\.js$/, '.js')} is not there.`,
      );
    }
  },
};
