import { describe, expect, it } from 'vitest';
import {
  assignments,
  classLikes,
  describe as show,
  evaluate,
  parsePhp,
  topLevelFunctions,
  UNKNOWN,
} from './php.js';

const ast = (code: string) => {
  const r = parsePhp(code, 'x.php');
  if (!r.ast) throw new Error(r.error?.message);
  return r.ast;
};

describe('parsePhp', () => {
  it('reports the line and column of a syntax error', () => {
    const r = parsePhp('<?php\n$a = 1;\n$b = ;\n', 'x.php');
    expect(r.ast).toBeUndefined();
    expect(r.error?.line).toBe(3);
    expect(r.error?.message).toMatch(/syntax error/);
  });

  it('accepts clone followed by a parenthesis, which php-parser alone rejects', () => {
    for (const code of [
      '$a = clone($b);',
      '$c = clone ($d)->x;',
      '$e = clone (object) $f;',
      '$g = clone ($h ?? $i);',
    ]) {
      expect(parsePhp(`<?php ${code}`, 'x.php').error, code).toBeUndefined();
    }
    expect(
      parsePhp('<?php class A { function clone() {} } $a->clone(); A::clone();', 'x.php').error,
    ).toBeUndefined();
    expect(parsePhp('<?php $a = clone(;', 'x.php').error).toBeDefined();
  });

  it('judges syntax by PHP version', () => {
    expect(parsePhp('<?php enum A { case B; }', 'x.php', '7.4').error).toBeDefined();
    expect(parsePhp('<?php enum A { case B; }', 'x.php', '8.1').error).toBeUndefined();
  });
});

describe('evaluate', () => {
  const valueOf = (expr: string, constants = {}) => {
    const a = assignments(ast(`<?php $x = ${expr};`))[0];
    return evaluate(a?.value, constants);
  };

  it('evaluates literals, arrays and named constants', () => {
    expect(valueOf('2024100700.01')).toBe(2024100700.01);
    expect(valueOf("'a' . 'b'")).toBe('ab');
    expect(valueOf('-1')).toBe(-1);
    expect(valueOf('FOO', { FOO: 3 })).toBe(3);
    expect(valueOf('FOO')).toBe(UNKNOWN);
    expect(show(valueOf("[401, 'x' => [true, null]]"))).toBe('[401, [true, null]]');
  });

  it('numbers array entries as PHP does', () => {
    const v = valueOf("['a', 5 => 'b', 'c', '7' => 'd']");
    expect(typeof v === 'object' && v !== null ? v.entries.map((e) => e.key) : []).toEqual([
      0, 5, 6, 7,
    ]);
  });
});

describe('declarations', () => {
  it('finds top-level functions but not methods or conditional ones', () => {
    const fns = topLevelFunctions(
      ast(
        '<?php function a() {} if (!function_exists("b")) { function b() {} } class C { function d() {} }',
      ),
    );
    expect([...fns.keys()]).toEqual(['a']);
  });

  it('ignores classes declared in if (false) stubs', () => {
    const list = classLikes(
      ast('<?php namespace a; if (false) { class stub {} } else { class real {} }'),
    );
    expect(list.map((c) => c.fqn)).toEqual(['a\\real']);
  });

  it('finds classes with their namespace, in both namespace forms', () => {
    const list = classLikes(
      ast(
        '<?php namespace mod_x\\task; class cleanup extends \\core\\task\\scheduled_task {} interface i {}',
      ),
    );
    expect(list.map((c) => [c.kind, c.fqn, c.extends])).toEqual([
      ['class', 'mod_x\\task\\cleanup', 'core\\task\\scheduled_task'],
      ['interface', 'mod_x\\task\\i', undefined],
    ]);
  });
});
