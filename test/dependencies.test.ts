// Integration: phase dependencies on a real Moodle. local_mpcneeds requires local_mpczbase (served
// by a local imitation of the Plugins directory's pluginfo.php, downloaded with its md5) and
// local_mpcextra (given as an extra plugin folder); its db/install.php throws unless both are
// installed first. Skipped, with the reason, when no Moodle tree is registered.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../src/pipeline/pipeline.js';
import { LABEL, pluginZip, registeredBranches } from './real-moodle.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/dependencies');
const branch = ['405', '502', '501', '500', '401'].find((b) => registeredBranches().includes(b));

describe.skipIf(branch === undefined)(
  `dependencies installed first on Moodle ${LABEL[branch ?? ''] ?? '(no tree registered: skipped)'}`,
  () => {
    let server: Server;
    let api = '';
    const asked: string[] = [];
    beforeAll(async () => {
      const zip = pluginZip(path.join(FIXTURES, 'local_mpczbase'), 'local_mpczbase');
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        asked.push(url.search);
        if (url.pathname === '/local_mpczbase.zip') {
          res.writeHead(200, { 'content-type': 'application/zip' });
          res.end(Buffer.from(zip));
          return;
        }
        if (
          url.pathname !== '/pluginfo.php' ||
          url.searchParams.get('plugin') !== 'local_mpczbase'
        ) {
          res.writeHead(404);
          res.end('{"error":"no such plugin"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            apiver: '1.3',
            status: 'OK',
            pluginfo: {
              id: 1,
              name: 'Dependency from the Plugins directory',
              component: 'local_mpczbase',
              source: '',
              doc: '',
              bugs: '',
              discussion: '',
              version: {
                id: 11,
                version: 2026020200,
                release: '1.0',
                maturity: 200,
                downloadurl: `${api}/local_mpczbase.zip`,
                downloadmd5: createHash('md5').update(zip).digest('hex'),
                vcssystem: '',
                vcssystemother: '',
                vcsrepositoryurl: '',
                vcsbranch: '',
                vcstag: '',
                supportedmoodles: [{ version: 2024100700, release: '4.5' }],
              },
            },
          }),
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    it(
      'installs one from the directory and one given, before the plugin, in one check',
      { timeout: 10 * 60_000 },
      async () => {
        const { report } = await runCheck({
          pluginDir: path.join(FIXTURES, 'local_mpcneeds'),
          moodle: true,
          moodleOptions: { spec: LABEL[branch!]!, timeoutMs: 10 * 60_000 },
          extraPlugins: [path.join(FIXTURES, 'local_mpcextra')],
          pluginsApiUrl: `${api}/pluginfo.php`,
        });
        const phase = (n: string) => report.phases.find((p) => p.name === n);
        expect(report.findings.filter((f) => f.severity !== 'notice')).toEqual([]);
        expect(phase('dependencies')).toMatchObject({ status: 'passed' });
        expect(phase('dependencies')!.detail).toMatch(
          /^installed local_mpcextra 1\.0, local_mpczbase 1\.0 in [\d.]+ s$|^installed local_mpczbase 1\.0, local_mpcextra 1\.0 in [\d.]+ s$/,
        );
        expect(phase('install')).toMatchObject({ status: 'passed' });
        expect(phase('environment')!.detail).toContain('dependency local_mpczbase');
        expect(asked.filter((q) => q.includes('plugin=local_mpczbase'))).toHaveLength(1);
        expect(asked[0]).toContain(`branch=${LABEL[branch!]!.replace(/^(\d)\.(\d)$/, '$10.$2')}`);
      },
    );
  },
);
