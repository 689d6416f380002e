// The blueprint steps that unzip (unzip, installMoodlePlugin) refuse a ZIP over its bounds with
// the bound's own message, writing nothing (the bounds themselves: src/moodle/source/extract.test.ts).
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { runBlueprint } from '../executor.js';
import type { BlueprintSite } from '../site-api.js';
import type { BlueprintStep, LoadedBlueprint } from '../types.js';

/** A plugin ZIP whose directory declares 3 GiB for version.php: over the 1 GiB default. */
function declaredHuge(): Uint8Array {
  const zip = Buffer.from(
    zipSync({ 'moodle-local_x/version.php': strToU8("<?php $plugin->component = 'local_x';") }),
  );
  const central = zip.indexOf('PK\x01\x02', 0, 'latin1');
  zip.writeUInt32LE(3 * 1024 ** 3, central + 24);
  return new Uint8Array(zip);
}

function site(written: string[]): BlueprintSite {
  const no = (): never => {
    throw new Error('not used');
  };
  return {
    webRoot: '/www/moodle',
    branch: 405,
    files: {
      exists: () => false,
      read: no,
      write: (vfs: string) => written.push(vfs),
      mkdir: (vfs: string) => written.push(vfs),
      rmdir: no,
      copy: no,
      move: no,
      delete: no,
    },
    runOps: no,
    runPhp: no,
    request: no,
    upgrade: () => Promise.resolve({ ok: true, output: '', message: '' }),
  };
}

describe.each<[string, BlueprintStep, RegExp]>([
  [
    'unzip',
    { step: 'unzip', data: { url: 'https://example.test/p.zip' }, destination: '/persist/x' },
    /^steps\/0 \(unzip\)\.data: 1 entry declares 3\.00 GiB \(3,221,225,472 bytes\) uncompressed, over the limit of 1\.00 GiB/,
  ],
  [
    'installMoodlePlugin',
    { step: 'installMoodlePlugin', url: 'https://example.test/moodle-local_x/archive/main.zip' },
    /^steps\/0 \(installMoodlePlugin\)\.url: https:\/\/example\.test\/.*main\.zip: 1 entry declares 3\.00 GiB .*over the limit of 1\.00 GiB/,
  ],
])('%s', (_name, step, message) => {
  it('refuses a ZIP over the size bound and writes nothing', async () => {
    const written: string[] = [];
    const loaded = { blueprint: { steps: [step] } } as unknown as LoadedBlueprint;
    const run = await runBlueprint(loaded, site(written), {
      resolve: () => Promise.resolve(declaredHuge()),
    });
    expect(run.failed).toEqual([0]);
    expect(run.steps[0]?.error).toMatch(message);
    expect(written).toEqual([]);
  });
});
