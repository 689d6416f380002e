import { execFileSync, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../checks/testing.js';
import { registeredBranches } from '../../test/real-moodle.js';
import { terminalProgress } from './progress.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/moodle-plugin-check.js');
const phase = (name: string, status: 'passed' | 'failed' | 'skipped', detail?: string) => ({
  name,
  status,
  durationMs: 1234,
  ...(detail !== undefined ? { detail } : {}),
});

describe('terminalProgress', () => {
  it('prints a line when a phase starts and one when it ends, off a terminal', () => {
    let out = '';
    const p = terminalProgress({ write: (s) => (out += s), tty: false, color: false });
    p.phaseStarted('install');
    p.phaseProgress('install', 'component 1 of 2: mod_x');
    p.phaseEnded(phase('install', 'failed', 'admin/cli/upgrade.php failed'), []);
    p.phaseEnded(phase('environment', 'skipped', 'skipped by --no-moodle'), []);
    expect(out).toBe(
      '▸ install …\n✖ install failed 1.2 s — admin/cli/upgrade.php failed\n- environment skipped — skipped by --no-moodle\n',
    );
  });

  it('redraws one line on a terminal, and ends it with the result', () => {
    let out = '';
    const p = terminalProgress({ write: (s) => (out += s), tty: true, color: false, fps: 0 });
    p.phaseStarted('provision');
    p.phaseProgress('provision', 'component 12 of 410: mod_assign');
    p.note('a note');
    p.phaseEnded(phase('provision', 'passed', 'installed'), []);
    expect(out).toContain('\r\u001b[2K');
    expect(out).toMatch(/provision \d+\.\d s — component 12 of 410: mod_assign/);
    expect(out).toContain('a note\n');
    expect(out.endsWith('✔ provision passed 1.2 s — installed\n')).toBe(true);
  });

  it('shows text from the plugin inert', () => {
    let out = '';
    const p = terminalProgress({ write: (s) => (out += s), tty: false, color: false });
    p.note('::add-mask::x');
    p.phaseEnded(phase('install', 'failed', 'x\n::error::y \u001b[2J'), []);
    expect(out.split('\n').filter((l) => /^\s*::/.test(l))).toEqual([]);
    expect(out).not.toContain('\u001b');
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('check shows its phases as they happen', () => {
  it.skipIf(!hasScript)('on a terminal (a pseudo-terminal made by script(1))', () => {
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} check ${JSON.stringify(fixture('mod_example'))} --no-moodle`;
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, TERM: 'xterm', NO_COLOR: '1' },
    });
    // The spinner line is drawn and replaced in place, then the result line stays.
    // eslint-disable-next-line no-control-regex
    expect(out).toMatch(/\r\u001b\[2K⠋ detect 0\.\d s/);
    expect(out).toMatch(/✔ lint passed \d+\.\d s — \d+ rules over 1 plugin\(s\)/);
  });

  it('in a pipe, each phase line arrives when the phase starts, not at the end', async () => {
    const child = spawn(process.execPath, [BIN, 'check', fixture('mod_example'), '--no-moodle'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const seen: { line: string; stdoutSoFar: number }[] = [];
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      for (const line of c.toString().split('\n').filter(Boolean))
        seen.push({ line, stdoutSoFar: stdout.length });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(seen.map((s) => s.line)).toEqual(
      expect.arrayContaining([
        '▸ detect …',
        '▸ lint …',
        '- provision skipped — skipped by --no-moodle',
      ]),
    );
    // Every progress line came before the report was printed.
    expect(seen.every((s) => s.stdoutSoFar === 0)).toBe(true);
  });

  it.skipIf(registeredBranches(['405']).length === 0)(
    'in a pipe, the install line is out while Moodle still installs the plugin',
    { timeout: 5 * 60_000 },
    async () => {
      const child = spawn(
        process.execPath,
        [BIN, 'check', fixture('mod_example'), '--moodle', '4.5', '--offline'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let installSeenAt: number | undefined;
      child.stderr.on('data', (c: Buffer) => {
        if (installSeenAt === undefined && c.toString().includes('▸ install …'))
          installSeenAt = performance.now();
      });
      await new Promise((resolve) => child.on('close', resolve));
      expect(installSeenAt).toBeDefined();
      // A plugin install takes seconds in php-wasm; the line came at its start, not its end.
      expect(performance.now() - (installSeenAt ?? Infinity)).toBeGreaterThan(2000);
    },
  );
});
