// Test helper: run the CLI in-process and capture what it prints.
import { main, type Io } from './main.js';

export async function runCli(
  ...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), color: false };
  const code = await main(argv, io);
  return { code, out, err };
}
