// `npm run demo`: the full check of the bundled example plugin on a real Moodle, with live
// progress — a tree from the cache, or the release downloaded when online. With no network and
// nothing cached, the static phases run and one line says how to get the rest.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin/moodle-plugin-check.js');
const example = path.join(root, 'fixtures/plugins/mod_example');
const run = (args) => spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' }).status;

const full = run(['check', example]);
if (full === 2) {
  console.error(
    '\nNo Moodle to install on (none cached, and no download). Static checks only; for the full check run `moodle-plugin-check moodle import <moodle-dir>` once, or go online.\n',
  );
  process.exitCode = run(['check', example, '--no-moodle']) ?? 3;
} else process.exitCode = full ?? 3;
