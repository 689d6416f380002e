import type { Command } from 'commander';
import { cacheRoot } from '../core/cache-dir.js';
import { importPackages, packagesDir } from '../phpunit/packages.js';

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
