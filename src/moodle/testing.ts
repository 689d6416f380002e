// Tiny Moodle trees for tests: just the files the source layer reads.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create } from 'tar';
import { UserError } from '../core/errors.js';
import { CLI_SPELLING, renderInputs } from '../core/inputs.js';

export interface MiniTree {
  release: string;
  version: number;
  branch: string;
  layout?: 'classic' | 'public';
  /** 5.1 kept components.json under public/lib/; 5.2 has it at the root. */
  componentsUnderPublic?: boolean;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `mpc-${prefix}-`));
}

/** Writes a minimal Moodle tree into `dir` (created) and returns `dir`. */
export function writeMiniTree(dir: string, t: MiniTree): string {
  const web = t.layout === 'public' ? path.join(dir, 'public') : dir;
  const components =
    t.layout === 'public' && !t.componentsUnderPublic
      ? path.join(dir, 'lib', 'components.json')
      : path.join(web, 'lib', 'components.json');
  mkdirSync(path.dirname(components), { recursive: true });
  mkdirSync(web, { recursive: true });
  mkdirSync(path.join(dir, 'admin', 'cli'), { recursive: true });
  writeFileSync(
    path.join(web, 'version.php'),
    `<?php\ndefined('MOODLE_INTERNAL') || die();\n\n$version  = ${t.version.toFixed(2)};\n` +
      `$release  = '${t.release}';\n$branch   = '${t.branch}';\n$maturity = MATURITY_STABLE;\n`,
  );
  writeFileSync(components, '{"plugintypes":{"mod":"mod","local":"local"},"subsystems":{}}\n');
  writeFileSync(path.join(dir, 'admin', 'cli', 'install.php'), '<?php\n');
  return dir;
}

export const MINI_45: MiniTree = {
  release: '4.5.7+ (Build: 20251024)',
  version: 2024100707.03,
  branch: '405',
};
export const MINI_50: MiniTree = {
  release: '5.0 (Build: 20250414)',
  version: 2025041400,
  branch: '500',
};
export const MINI_52: MiniTree = {
  release: '5.2.1+ (Build: 20260714)',
  version: 2026042001.06,
  branch: '502',
  layout: 'public',
};

/** A GitHub-style release archive (one top folder) of a mini tree, as a .tar.gz buffer. */
export async function miniArchive(t: MiniTree): Promise<Buffer> {
  const dir = tempDir('arch');
  const top = `moodle-${t.release.split(' ')[0] ?? 'x'}`;
  writeMiniTree(path.join(dir, top), t);
  const file = path.join(dir, 'a.tar.gz');
  await create({ gzip: true, file, cwd: dir, portable: true }, [top]);
  return readFileSync(file);
}

/** Retry and timeout settings that keep download tests fast. */
export const FAST_HTTP = {
  retries: 2,
  baseDelayMs: 1,
  maxDelayMs: 5,
  headersTimeoutMs: 2000,
  idleTimeoutMs: 2000,
} as const;

export type Step = 'ok' | 503 | 404 | 'truncated';

/** A 127.0.0.1 server answering each path with its planned steps in order (the last repeats). */
export async function archiveServer(
  bodies: Readonly<Record<string, Buffer>>,
  plan: Readonly<Record<string, Step[]>>,
): Promise<{ base: string; hits: Map<string, number>; close: () => Promise<void> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const n = hits.get(url) ?? 0;
    hits.set(url, n + 1);
    const steps = plan[url] ?? [404];
    const step = steps[Math.min(n, steps.length - 1)]!;
    const body = bodies[url];
    if ((step === 'ok' || step === 'truncated') && body) {
      res.writeHead(200, { 'content-length': body.length });
      if (step === 'ok') res.end(body);
      // Half the body, then a dropped connection (as a reset mid-download looks).
      else
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
          res.destroy();
        });
    } else {
      res.writeHead(step === 'ok' || step === 'truncated' ? 404 : step);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A lower layer's text as the command line shows it (inputs spelled as flags). */
export const asCli = (text: string | undefined): string => renderInputs(text ?? '', CLI_SPELLING);

/** `fn`, with the UserError it throws spelled as the command line shows it. */
export function spelledAsCli<T>(fn: () => T): () => T {
  return () => {
    try {
      return fn();
    } catch (e) {
      throw e instanceof UserError ? e.spelled(CLI_SPELLING) : e;
    }
  };
}
