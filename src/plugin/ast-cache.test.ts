import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AST_CACHE_VERSION, diskAstCache } from './ast-cache.js';
import { parsePhp } from './php.js';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(path.join(tmpdir(), 'mpc-ast-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entries = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));

const CODE =
  '<?php\nnamespace mod_x;\nclass a extends \\core\\b { public function f(int $x): ?string { return clone($this); } }\n';

describe('the AST cache', () => {
  it('gives back what php-parser gives, parse errors included, from the second read on', () => {
    const dir = temp();
    const cache = diskAstCache(dir);
    for (const code of [CODE, '<?php\n$a = ;\n']) {
      const fresh = JSON.parse(JSON.stringify(parsePhp(code, 'x.php', '8.3'))) as unknown;
      expect(cache.parse(code, 'x.php', '8.3')).toEqual(fresh);
      expect(cache.parse(code, 'x.php', '8.3')).toEqual(fresh);
    }
    expect(entries(dir)).toHaveLength(2);
  });

  it('keys on the content, the file name and the PHP version', () => {
    const dir = temp();
    const cache = diskAstCache(dir);
    cache.parse(CODE, 'a.php', '8.3');
    cache.parse(CODE, 'b.php', '8.3');
    cache.parse(CODE, 'a.php', '7.4');
    cache.parse(`${CODE} `, 'a.php', '8.3');
    expect(entries(dir)).toHaveLength(4);
    // enum is PHP 8.1 syntax: the 7.4 parse must not come from the 8.3 entry.
    const enumCode = '<?php enum A { case B; }';
    expect(cache.parse(enumCode, 'e.php', '8.3').error).toBeUndefined();
    expect(cache.parse(enumCode, 'e.php', '7.4').error).toBeDefined();
  });

  it('parses afresh over a damaged entry, and goes on without a cache it cannot write', () => {
    const dir = temp();
    const cache = diskAstCache(dir);
    cache.parse(CODE, 'x.php', '8.3');
    const [entry] = entries(dir);
    writeFileSync(entry!, '{"ast": {"kind": "trunc');
    expect(cache.parse(CODE, 'x.php', '8.3').ast?.kind).toBe('program');
    // A file where the cache folder should be: no write can succeed (even as root).
    const blocked = path.join(temp(), 'not-a-dir');
    writeFileSync(blocked, '');
    const none = diskAstCache(path.join(blocked, 'ast'));
    expect(none.parse(CODE, 'x.php', '8.3').ast?.kind).toBe('program');
    expect(none.parse(CODE, 'x.php', '8.3').ast?.kind).toBe('program');
  });

  it('names the installed php-parser in its version (bump it with php-parser)', () => {
    const manifest = JSON.parse(
      readFileSync(
        path.resolve(import.meta.dirname, '../../node_modules/php-parser/package.json'),
        'utf8',
      ),
    ) as { version: string };
    expect(AST_CACHE_VERSION).toContain(`php-parser@${manifest.version}/`);
  });
});
