// Option values the CLI parses itself, worded with the flag the user typed.
import { Option } from 'commander';
import { UserError } from '../core/errors.js';
import { DB_KINDS } from '../moodle/site/site.js';
import { DEFAULT_DB } from '../pipeline/moodle.js';
import { timeoutSeconds, TIMEOUT_RANGE } from '../core/timeout.js';

/** `--timeout` (or another option in seconds) as a number; bad values are bad input. */
export function parseTimeoutSeconds(option: string, raw: string): number {
  const seconds = timeoutSeconds(raw);
  if (seconds === undefined)
    throw new UserError(
      `${option} ${raw} is not a number of seconds from ${TIMEOUT_RANGE}.`,
      `Use e.g. ${option} 600.`,
    );
  return seconds;
}

/** What the `blueprint` commands print through, and how they set the exit code. */
export interface BlueprintCliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Sets the process exit code of the command (the caller returns it from main()). */
  setExitCode: (code: number) => void;
}

/** `--db <database>` of `check` and `blueprint run`: commander refuses any other value (exit 2). */
export function dbOption(): Option {
  return new Option(
    '--db <database>',
    `database of the Moodle run: postgres (Moodle's PostgreSQL driver on PGlite, a real PostgreSQL in WebAssembly) or sqlite (faster to start; not a database Moodle supports) (default: ${DEFAULT_DB})`,
  ).choices(DB_KINDS);
}
