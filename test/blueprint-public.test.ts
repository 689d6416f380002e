// Integration: blueprint steps whose paths depend on the layout, on the newest registered Moodle
// with the 5.1+ `public/` layout (plugins land under public/, URLs are served from public/).
// Skipped, with a message, when no 5.1+ tree is registered (`moodle-plugin-check moodle import <dir>`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBlueprint } from '../src/blueprint/parse.js';
import { archiveServer } from '../src/moodle/testing.js';
import { runBlueprintOnSite } from '../src/pipeline/blueprint-run.js';
import { LABEL, pluginZip, registeredPublicBranches } from './real-moodle.js';

const branch = registeredPublicBranches().at(-1);
if (branch === undefined)
  console.warn(
    'blueprint-public: skipped — no Moodle 5.1+ tree registered (moodle-plugin-check moodle import <dir>)',
  );

describe.skipIf(branch === undefined)(
  `blueprint on Moodle ${LABEL[branch ?? ''] ?? '5.x'} (public/ layout)`,
  () => {
    let server: Awaited<ReturnType<typeof archiveServer>>;
    beforeAll(async () => {
      server = await archiveServer(
        { '/block.zip': Buffer.from(pluginZip('clean-block', 'moodle-block_cleanblock-main')) },
        { '/block.zip': ['ok'] },
      );
    });
    afterAll(async () => {
      await server.close();
    });

    it(
      'installMoodlePlugin lands under public/, login and requests are served from public/',
      { timeout: 15 * 60_000 },
      async () => {
        const loaded = await loadBlueprint(
          JSON.stringify({
            steps: [
              { step: 'installMoodlePlugin', url: `${server.base}/block.zip` },
              { step: 'createCourse', fullname: 'Public 101', shortname: 'PUB101' },
              { step: 'login', username: 'admin' },
              { step: 'request', url: '/course/view.php?id=2' },
              {
                step: 'runPhpCode',
                code: `<?php
define('CLI_SCRIPT', true);
require('/www/moodle/config.php');
echo json_encode([
  'dirroot' => $CFG->dirroot,
  'block' => get_config('block_cleanblock', 'version'),
  'file' => is_file('/www/moodle/public/blocks/cleanblock/version.php'),
  'classic' => file_exists('/www/moodle/blocks/cleanblock'),
]);`,
              },
            ],
          }),
        );
        const r = await runBlueprintOnSite(loaded, {
          moodle: LABEL[branch!]!,
          offline: true,
          timeoutMs: 10 * 60_000,
        });
        expect(
          r.steps.filter((s) => s.status !== 'ok').map((s) => `${s.step}: ${s.error ?? ''}`),
        ).toEqual([]);
        expect(r.steps.find((s) => s.step === 'request')?.output).toMatch(/→ 200/);
        const out = r.steps.at(-1)?.output ?? '';
        expect(JSON.parse(out.slice(out.indexOf('{')))).toEqual({
          dirroot: '/www/moodle/public',
          block: '2026110200',
          file: true,
          classic: false,
        });
      },
    );
  },
);
