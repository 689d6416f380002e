// Bundles the CLI (and later the action) into dist/. Deterministic: CI checks dist/ is fresh.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/cli/index.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: false,
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
