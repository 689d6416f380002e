// esbuild plugin: keeps WebAssembly out of dist/. The Azure storage SDK (under @actions/cache and
// @actions/artifact) inlines a 137 KB CRC64 WASM module that is only loaded when a caller asks
// for CRC64 download validation, which @actions/* never do; we swap it for a stub that says so.
// Then every output is scanned for inlined WASM: the only ones allowed are undici's llhttp HTTP
// parsers (~65 KB of base64 each, pulled in by @actions/http-client for proxy support); anything
// bigger — the PHP runtime above all — fails the build.
import { readFileSync } from 'node:fs';

const WASM_BASE64_HEADER = 'AGFzbQ'; // "\0asm", base64
const MAX_INLINED_WASM = 100_000;

export const noWasm = {
  name: 'no-wasm',
  setup(build) {
    build.onResolve({ filter: /^\.\/crc64\.js$/ }, (args) =>
      args.importer.includes('@azure/storage-common')
        ? { path: 'crc64-stub', namespace: 'no-wasm' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'no-wasm' }, () => ({
      contents:
        "export default function NativeCRC64() { return Promise.reject(new Error('CRC64 validation is not bundled in moodle-plugin-check (no WASM in dist/).')); }",
      loader: 'js',
    }));
    build.onEnd((result) => {
      const file = build.initialOptions.outfile;
      if (result.errors.length > 0 || !file) return;
      const text = readFileSync(file, 'latin1');
      for (
        let i = text.indexOf(WASM_BASE64_HEADER);
        i >= 0;
        i = text.indexOf(WASM_BASE64_HEADER, i + 1)
      ) {
        const end = text.indexOf('"', i);
        const size = end < 0 ? text.length - i : end - i;
        if (size > MAX_INLINED_WASM)
          return {
            errors: [
              {
                text: `${file} inlines a ${size}-byte WebAssembly module; dist/ must not carry WASM runtimes.`,
              },
            ],
          };
      }
    });
  },
};
