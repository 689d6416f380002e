import type { Command } from 'commander';
import { cacheRoot } from '../core/cache-dir.js';
import { UserError } from '../core/errors.js';
import { importPackages, packagesDir } from '../phpunit/packages.js';
import {
  CS_PACKAGES,
  ensureToolchain,
  MOODLECHECK_PACKAGES,
  TOOL_PACKAGES,
} from '../style/toolchain.js';

/** `phpunit import <dir>`: PHPUnit's Composer packages into the cache, for offline runs. */
export function addPhpunitCommands(program: Command, out: (s: string) => void): void {
  const phpunit = program
    .command('phpunit')
    .description('manage the PHPUnit packages (as Moodle’s composer.lock pins them) in the cache');
  phpunit
    .command('import')
    .description(
      'copy package sources laid out as <dir>/<vendor>/<name>/<commit>/ into the cache (read-only), for runs without network',
    )
    .argument('<dir>', 'the folder holding <vendor>/<name>/<commit>/ package sources')
    .action((dir: string) => {
      const imported = importPackages(dir, cacheRoot());
      for (const p of imported)
        out(`${p.replaced ? 'Replaced' : 'Imported'} ${p.name} at ${p.reference.slice(0, 12)}\n`);
      out(
        `${imported.length} package${imported.length === 1 ? '' : 's'} in ${packagesDir(cacheRoot())}; a run uses those its Moodle tree’s composer.lock names.\n`,
      );
    });
}

/**
 * `cs import <dir>`: the coding-style toolchain (PHP_CodeSniffer, moodle-cs, PHPCSUtils,
 * PHPCSExtra) into the cache, laid out like PHPUnit's packages; then says whether the pinned set
 * is complete and is what was pinned. A package that is not is bad input (exit 2).
 */
export function addCsCommands(program: Command, out: (s: string) => void): void {
  const cs = program
    .command('cs')
    .description(
      'manage the coding-style and phpdoc tools (PHP_CodeSniffer, moodle-cs, moodlecheck) in the cache',
    );
  cs.command('import')
    .description(
      `copy their sources, laid out as <dir>/<vendor>/<name>/<commit>/, into the cache (read-only), for runs without network; pinned: ${TOOL_PACKAGES.map((p) => `${p.name} ${p.version} (${p.reference.slice(0, 8)})`).join(', ')}`,
    )
    .argument('<dir>', 'the folder holding <vendor>/<name>/<commit>/ package sources')
    .action(async (dir: string) => {
      const imported = importPackages(
        dir,
        cacheRoot(),
        new Set(MOODLECHECK_PACKAGES.map((p) => p.name)),
      );
      for (const p of imported)
        out(`${p.replaced ? 'Replaced' : 'Imported'} ${p.name} at ${p.reference.slice(0, 12)}\n`);
      let usable = 0;
      for (const [what, packages] of [
        ['coding-style (cs/*)', CS_PACKAGES],
        ['phpdoc (phpdoc/*)', MOODLECHECK_PACKAGES],
      ] as const) {
        const tools = await ensureToolchain({ offline: true, packages });
        out(
          tools.ok ? `${what}: ready, ${tools.versions}.\n` : `${what}: not usable: ${tools.why}\n`,
        );
        if (tools.ok) usable++;
      }
      if (usable === 0)
        throw new UserError(
          `${dir}: none of the pinned tools was found there.`,
          `Lay out ${TOOL_PACKAGES.map((p) => `${p.name}/${p.reference}`).join(', ')} as <dir>/<vendor>/<name>/<commit>/.`,
        );
    });
}
