// `serve [plugin-dir]`: a local Moodle with the plugin installed, until Ctrl-C.
import { Option, type Command } from 'commander';
import type { DbKind } from '../moodle/site/site.js';
import { UserError } from '../core/errors.js';
import { startServe } from '../serve/serve.js';
import { dbOption, parseTimeoutSeconds } from './options.js';

interface ServeCliOptions {
  port: string;
  host: string;
  moodle?: string;
  php?: string;
  db?: DbKind;
  blueprint?: string;
  timeout: string;
  offline?: boolean;
  upgradeOnChange?: boolean;
}

export function addServeCommand(
  program: Command,
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
  /** Resolves when the user stops the server (Ctrl-C, SIGTERM). */
  stopped: () => Promise<void> = untilSignal,
): void {
  program
    .command('serve')
    .description(
      'run a local Moodle with the plugin installed (a private copy of the cached site), until Ctrl-C',
    )
    .argument('[plugin-dir]', 'the folder with the plugin’s version.php (none: Moodle alone)')
    .option('--port <port>', 'port to listen on (default: a free one)', '0')
    .addOption(
      new Option('--host <address>', 'address to listen on').default('127.0.0.1').hideHelp(),
    )
    .option(
      '--moodle <version>',
      'Moodle branch, release or folder (default: the newest the plugin supports)',
    )
    .option('--php <version>', 'PHP version (default: the newest that Moodle supports)')
    .addOption(dbOption())
    .option(
      '--blueprint <file|json|base64|data-url>',
      'apply this Moodle Playground blueprint first',
    )
    .option('--timeout <seconds>', 'stop a page (or the install) that runs longer than this', '900')
    .option('--offline', 'never download: use Moodle trees and runtimes already in the cache')
    .option(
      '--upgrade-on-change',
      'when the plugin’s version.php changes, run Moodle’s upgrade before the next page',
    )
    .action(async (dir: string | undefined, opts: ServeCliOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UserError(
          `--port ${opts.port} is not a port number.`,
          'Use e.g. --port 8080, or leave it out for a free one.',
        );
      const timeout = parseTimeoutSeconds('--timeout', opts.timeout);
      const running = await startServe({
        ...(dir !== undefined ? { pluginDir: dir } : {}),
        port,
        host: opts.host,
        ...(opts.moodle !== undefined ? { moodle: opts.moodle } : {}),
        ...(opts.php !== undefined ? { php: opts.php } : {}),
        ...(opts.db !== undefined ? { db: opts.db } : {}),
        ...(opts.blueprint !== undefined ? { blueprint: opts.blueprint } : {}),
        timeoutMs: timeout * 1000,
        ...(opts.offline ? { offline: true } : {}),
        ...(opts.upgradeOnChange ? { upgradeOnChange: true } : {}),
        log: (line) => {
          io.stderr(`${line}\n`);
        },
      });
      io.stdout(
        `Moodle ${running.release} on PHP ${running.php} at ${running.url}${running.landingPage}\n` +
          `Log in as admin (this link works once): ${running.loginLink()}\n` +
          'Enter prints another login link; Ctrl-C stops it and throws the site away.\n',
      );
      const more = (): void => {
        io.stdout(`Log in as admin (once): ${running.loginLink()}\n`);
      };
      const stdin = process.stdin;
      const reading = stdin.readable && !stdin.destroyed;
      if (reading) stdin.on('data', more);
      try {
        await stopped();
      } finally {
        if (reading) {
          stdin.off('data', more);
          stdin.pause();
        }
        await running.close();
      }
      io.stdout('Stopped.\n');
    });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
