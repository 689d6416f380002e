// Bundles the CLI and the PHP worker into dist/. Deterministic: CI checks dist/ is fresh.
// No WASM here: the php-wasm runtime package is resolved at run time (src/php/runtime-package.ts).
import { build } from 'esbuild';
import { noWasm } from './esbuild-no-wasm.mjs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  plugins: [noWasm],
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
};

await build({ ...common, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' });
// The GitHub Action (action.yml) and its fork-safe publish step (publish/action.yml).
await build({ ...common, entryPoints: ['src/action/index.ts'], outfile: 'dist/action.js' });
await build({ ...common, entryPoints: ['src/action/publish.main.ts'], outfile: 'dist/publish.js' });
// Worker threads load it by URL, beside cli.js (see src/php/runtime.ts).
await build({ ...common, entryPoints: ['src/php/php-worker.mjs'], outfile: 'dist/php-worker.mjs' });
// The site's PostgreSQL (PGlite) worker; PGlite itself is resolved at run time (src/php/pglite.ts).
await build({
  ...common,
  entryPoints: ['src/php/pglite-worker.mjs'],
  outfile: 'dist/pglite-worker.mjs',
});
// ESLint and stylelint with the plugins Moodle's configs name (tools/js-lint, its own lockfile):
// loaded by the javascript and css phases only when they run (src/style/js-lint.ts).
await build({
  ...common,
  entryPoints: ['tools/js-lint/index.mjs'],
  outfile: 'dist/js-lint.mjs',
  // css-tree's ES build reads its JSON data with createRequire(import.meta.url), which a bundle
  // cannot follow; its CommonJS build require()s the same data, which esbuild inlines.
  plugins: [
    ...common.plugins,
    {
      name: 'css-tree-cjs',
      setup(b) {
        b.onResolve({ filter: /^css-tree(\/.*)?$/ }, (args) =>
          args.kind === 'require-call'
            ? undefined
            : b.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir }),
        );
      },
    },
  ],
  // Its CommonJS parts (ESLint's config loader) also ask for __filename and __dirname.
  banner: {
    js: `${common.banner.js} import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);`,
  },
});
