// Parsed PHP kept between runs, by content: the lint parses every PHP file of a plugin with
// php-parser, which is most of its time (mod_attendance: ~0.5 s of ~1 s). A file whose bytes,
// name, PHP version and parser are the same as last time is read back as JSON instead (~5× faster).
// Entries are our own output, keyed by a hash of what they were made from; a damaged or
// unreadable entry is parsed afresh, and a cache that cannot be written is simply not used.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot } from '../core/cache-dir.js';
import { parsePhp, type ParsedPhp } from './php.js';

/**
 * What the entries depend on besides the code: php-parser's release and our parse options and
 * shims (parsePhp). Change it with either; a test holds it to the installed php-parser.
 */
export const AST_CACHE_VERSION = 'php-parser@3.7.0/positions/clone-shim-1/packed-loc-1';

/** Files larger than this are parsed every time (an entry would be several times their size). */
const MAX_CACHED_BYTES = 512 * 1024;

export interface AstCache {
  parse(code: string, file: string, phpVersion?: string): ParsedPhp;
}

/** A cache in `<cache root>/ast/`; MPC_AST_CACHE=0 turns it off. */
export function defaultAstCache(env: NodeJS.ProcessEnv = process.env): AstCache {
  if (env.MPC_AST_CACHE === '0') return NO_AST_CACHE;
  return diskAstCache(path.join(cacheRoot({ env }), 'ast'));
}

export const NO_AST_CACHE: AstCache = { parse: (code, file, v) => parsePhp(code, file, v) };

export function diskAstCache(dir: string): AstCache {
  let writable = true;
  return {
    parse(code, file, phpVersion) {
      if (code.length > MAX_CACHED_BYTES) return parsePhp(code, file, phpVersion);
      const key = createHash('sha256')
        .update(`${AST_CACHE_VERSION}\0${phpVersion ?? ''}\0${file}\0`)
        .update(code)
        .digest('hex');
      const entry = path.join(dir, key.slice(0, 2), `${key}.json`);
      try {
        return unpackLocs(JSON.parse(readFileSync(entry, 'utf8'))) as ParsedPhp;
      } catch {
        // not there yet, or damaged: parse it
      }
      const parsed = parsePhp(code, file, phpVersion);
      if (writable) {
        try {
          mkdirSync(path.dirname(entry), { recursive: true });
          const tmp = `${entry}.${randomBytes(4).toString('hex')}.tmp`;
          writeFileSync(tmp, JSON.stringify(parsed, packLoc));
          renameSync(tmp, entry);
        } catch {
          writable = false; // a read-only or full cache: go on without it
        }
      }
      return parsed;
    },
  };
}

interface Loc {
  source: string | null;
  start: { line: number; column: number; offset: number };
  end: { line: number; column: number; offset: number };
}

/**
 * Positions are two thirds of an AST's JSON: each `loc` is stored as six numbers, which makes an
 * entry a third of the size and reading it back twice as fast.
 */
function packLoc(key: string, value: unknown): unknown {
  if (key !== 'loc' || value === null || typeof value !== 'object') return value;
  const loc = value as Loc;
  if (loc.source !== null) return value;
  const { start: s, end: e } = loc;
  return [s.line, s.column, s.offset, e.line, e.column, e.offset];
}

/** Puts back every `loc` packLoc packed, in place. */
function unpackLocs(value: unknown): unknown {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const n = stack.pop();
    if (Array.isArray(n)) {
      for (const item of n) if (item !== null && typeof item === 'object') stack.push(item);
    } else if (n !== null && typeof n === 'object') {
      const o = n as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        const v = o[key];
        if (key === 'loc' && Array.isArray(v)) {
          const [sl, sc, so, el, ec, eo] = v as number[];
          o.loc = {
            source: null,
            start: { line: sl, column: sc, offset: so },
            end: { line: el, column: ec, offset: eo },
          };
        } else if (v !== null && typeof v === 'object') stack.push(v);
      }
    }
  }
  return value;
}
