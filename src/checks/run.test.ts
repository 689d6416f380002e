import { describe, expect, it } from 'vitest';
import { runFamilies } from './run.js';
import { compact, loadFixture } from './testing.js';
import type { CheckFamily } from './types.js';

describe('runFamilies', () => {
  it('turns a crashing family into a tool/check-crashed error and keeps going', () => {
    const boom: CheckFamily = {
      family: 'boom',
      rules: [],
      run() {
        throw new Error('kaboom');
      },
    };
    const fine: CheckFamily = {
      family: 'fine',
      rules: [{ id: 'fine/seen', severity: 'notice', title: 't', why: 'w', fix: 'f' }],
      run(ctx) {
        ctx.report('fine/seen', { file: 'version.php', line: 1 }, 'ran');
      },
    };
    const findings = runFamilies([boom, fine], loadFixture('mod_example'));
    expect(compact(findings)).toEqual(['fine/seen version.php:1', 'tool/check-crashed']);
    expect(findings.find((f) => f.ruleId === 'tool/check-crashed')?.message).toContain('kaboom');
  });

  it('prefixes subplugin paths, honours disabled rules and ignored paths', () => {
    const each: CheckFamily = {
      family: 'each',
      rules: [
        { id: 'each/file', severity: 'notice', title: 't', why: 'w', fix: 'f' },
        { id: 'each/off', severity: 'notice', title: 't', why: 'w', fix: 'f' },
      ],
      run() {
        // Nothing plugin-wide.
      },
      checkFile(ctx, rel) {
        if (rel === 'version.php') {
          ctx.report('each/file', { file: rel, line: 2 }, 'x');
          ctx.report('each/off', { file: rel }, 'x');
        }
      },
    };
    const findings = runFamilies([each], loadFixture('clean-subplugins'), {
      isRuleEnabled: (id) => id !== 'each/off',
      isPathIgnored: (f) => f === 'version.php',
    });
    expect(compact(findings)).toEqual(['each/file part/one/version.php:2']);
  });
});
