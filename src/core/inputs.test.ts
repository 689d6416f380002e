import { describe, expect, it } from 'vitest';
import { UserError } from './errors.js';
import { CLI_SPELLING, input, renderInputs, renderInputsDeep } from './inputs.js';

const SHOUT = (name: string, value?: string): string => `<${name.toUpperCase()}${value ?? ''}>`;

describe('input references', () => {
  it('are spelled by the front end, with or without a value', () => {
    const text = `use ${input('moodle', '4.5')}, ${input('offline')} or ${input('no-moodle')}`;
    expect(renderInputs(text, CLI_SPELLING)).toBe('use --moodle 4.5, --offline or --no-moodle');
    expect(renderInputs(text, SHOUT)).toBe('use <MOODLE4.5>, <OFFLINE> or <NO-MOODLE>');
  });

  it('leave text without references alone, and keep a value that holds the closing mark out', () => {
    expect(renderInputs('plain [text]', SHOUT)).toBe('plain [text]');
    expect(renderInputs(input('upgrade-from', 'a\u27e7b'), CLI_SPELLING)).toBe('--upgrade-from ab');
  });

  it('are spelled everywhere in a report-like value, which is copied', () => {
    const report = { phases: [{ detail: `skipped by ${input('no-moodle')}` }], n: 3, x: null };
    const out = renderInputsDeep(report, CLI_SPELLING);
    expect(out).toEqual({ phases: [{ detail: 'skipped by --no-moodle' }], n: 3, x: null });
    expect(report.phases[0]!.detail).toContain('\u27e6');
  });

  it('are spelled in a UserError, message and hint', () => {
    const e = new UserError(`${input('php', '9.9')}: no`, `set ${input('php')}`).spelled(SHOUT);
    expect(e).toBeInstanceOf(UserError);
    expect([e.message, e.hint]).toEqual(['<PHP9.9>: no', 'set <PHP>']);
  });
});
