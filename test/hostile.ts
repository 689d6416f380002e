// Shared by the hostile suites: canaries, a hostile copy of a fixture plugin, a 127.0.0.1 listener
// that counts connections, digests that prove a folder was not touched, and the two assertions
// every output is held to (no canary, no live workflow command).
import { createHash, randomUUID } from 'node:crypto';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { registeredBranches } from './real-moodle.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/hostile');

/** Secrets a leak would carry: one in the environment, one in a host file. */
export interface Canaries {
  env: string;
  file: string;
  /** Host file holding `file`. */
  secretFile: string;
  /** Folder of secretFile (removed by the caller). */
  dir: string;
}

export function makeCanaries(envName = 'MPC_HOSTILE_CANARY'): Canaries {
  const dir = mkdtempSync(path.join(tmpdir(), 'mpc-canary-'));
  const c = {
    env: `canary-env-${randomUUID()}`,
    file: `canary-file-${randomUUID()}`,
    secretFile: path.join(dir, 'secret.txt'),
    dir,
  };
  writeFileSync(c.secretFile, `${c.file}\n`);
  process.env[envName] = c.env;
  return c;
}

/** Canaries for one test file: made before its tests, removed after them. */
export function useCanaries(): () => Canaries {
  let c: Canaries | undefined;
  beforeAll(() => {
    c = makeCanaries();
  });
  afterAll(() => {
    if (c) rmSync(c.dir, { recursive: true, force: true });
    delete process.env.MPC_HOSTILE_CANARY;
  });
  return () => {
    if (!c) throw new Error('canaries are made in beforeAll');
    return c;
  };
}

/** The tree the Moodle cases run on: 4.5 when registered, else the newest registered. */
export const HOSTILE_BRANCH: string | undefined =
  registeredBranches(['405']).at(0) ?? registeredBranches().at(-1);

/**
 * A copy of fixtures/hostile/leak with what a checkout cannot carry as plain files: symbolic
 * links out of the plugin (to /proc/self/environ, a host secret, /, nowhere), one inside it,
 * and file names that imitate workflow commands.
 */
export function hostilePlugin(c: Canaries, o: { port?: number; names?: boolean } = {}): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'mpc-hostile-')), 'hostileleak');
  cpSync(path.join(FIXTURES, 'leak'), dir, { recursive: true });
  mkdirSync(path.join(dir, 'classes'));
  symlinkSync('/proc/self/environ', path.join(dir, 'leak-env'));
  symlinkSync(c.secretFile, path.join(dir, 'leak-file'));
  symlinkSync('/', path.join(dir, 'leak-root'));
  symlinkSync(c.secretFile, path.join(dir, 'classes', 'leak.php'));
  symlinkSync(path.join(c.dir, 'nothing-here'), path.join(dir, 'leak-dangling'));
  symlinkSync('README.md', path.join(dir, 'inside-link.md'));
  if (o.port !== undefined) writeFileSync(path.join(dir, 'port.txt'), String(o.port));
  if (o.names !== false) {
    writeFileSync(path.join(dir, '::add-mask::leaked~'), '');
    writeFileSync(path.join(dir, '##[group]bad.php'), '<?php\n$x = ;\n');
    writeFileSync(path.join(dir, 'nl\n::error::newline.php'), '<?php\n$y = ;\n');
  }
  return dir;
}

/** Every text is free of both canaries, also inside base64 tokens (the probe encodes what it read). */
export function expectNoCanary(c: Canaries, texts: readonly string[]): void {
  for (const text of texts) {
    const decoded = [...text.matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)].map((m) =>
      Buffer.from(m[0], 'base64').toString('latin1'),
    );
    for (const t of [text, ...decoded]) {
      expect(t).not.toContain(c.env);
      expect(t).not.toContain(c.file);
    }
  }
}

/** Workflow commands the runner would act on: `::` after leading blanks, or `##[` anywhere. */
export function liveCommands(text: string): string[] {
  return text.split(/\r\n|\r|\n/).filter((line) => /^\s*::/.test(line) || line.includes('##['));
}

/** A listener on 127.0.0.1 that counts the connections it gets. */
export async function listener(): Promise<{
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.end('HTTP/1.0 200 OK\r\n\r\nreached');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * A digest of a folder as it is on disk: every entry's path, type, mode, size and content (links
 * by their target, never followed). Files over `hashLimit` bytes count by size and mtime only
 * (0: every file, for a large tree such as Moodle's).
 */
export function digest(root: string, hashLimit = 64 * 1024 * 1024): string {
  const hash = createHash('sha256');
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const r = `${rel}/${name}`;
      const st = lstatSync(full);
      hash.update(`${r}\0${st.mode}\0`);
      if (st.isSymbolicLink()) hash.update(readlinkSync(full));
      else if (st.isDirectory()) walk(full, r);
      else if (st.size > hashLimit) hash.update(`${st.size}:${st.mtimeMs}`);
      else hash.update(readFileSync(full));
    }
  };
  walk(root, '');
  return hash.digest('hex');
}
