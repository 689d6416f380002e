// `serve`: a local Moodle with the plugin installed, on http://127.0.0.1:PORT, for developing
// against it. The site is a private copy of the cached installed site (the cache is never
// written); the plugin is mounted, not copied, so an edit shows on the next request; one warm PHP
// answers page requests one at a time (queued, so concurrent requests cannot corrupt the site)
// while Node serves the tree's static files itself. A one-time link logs the browser in as admin.
import { gitContext } from '../blueprint/context.js';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourceDeadlineMs } from '../blueprint/resources.js';
import { describeFailure, runBlueprint } from '../blueprint/executor.js';
import { MoodleBlueprintSite } from '../blueprint/moodle-site.js';
import { Handler, LOGIN_PATH } from './handler.js';
import { loadBlueprint } from '../blueprint/parse.js';
import { UserError } from '../core/errors.js';
import { input } from '../core/inputs.js';
import { failureSummary } from '../moodle/site/outcome.js';
import { VFS, type DbKind, type SiteServer } from '../moodle/site/site.js';
import {
  chooseMoodle,
  chooseVersions,
  DEFAULT_DB,
  openSite,
  provisionSite,
} from '../pipeline/moodle.js';
import { pluginRoot } from '../pipeline/pipeline.js';
import { Plugin } from '../plugin/plugin.js';

export interface ServeOptions {
  pluginDir?: string;
  /** 0 (the default): a free port. */
  port?: number;
  /** Where to listen; 127.0.0.1 unless told otherwise. */
  host?: string;
  moodle?: string;
  php?: string;
  db?: DbKind;
  blueprint?: string;
  timeoutMs: number;
  offline?: boolean;
  /** Run Moodle's upgrade before the next request when the plugin's version.php changed. */
  upgradeOnChange?: boolean;
  log: (line: string) => void;
}

export interface RunningSite {
  url: string;
  /** Where the site opens: the blueprint's landing page, else the plugin's page, else `/`. */
  landingPage: string;
  /** A link that logs the browser in as admin once, then goes to `to` (default the landing page). */
  loginLink(to?: string): string;
  release: string;
  php: string;
  close(): Promise<void>;
}

export async function startServe(options: ServeOptions): Promise<RunningSite> {
  // The same checks as `check`: a folder, with a readable version.php.
  const plugin = options.pluginDir ? Plugin.load(pluginRoot(options.pluginDir)) : undefined;
  const installPath = plugin?.installPath;
  if (plugin && !installPath)
    throw new UserError(
      `Cannot serve ${options.pluginDir}: ${plugin.installProblem() ?? 'version.php names no plugin'}.`,
      'Fix version.php (`moodle-plugin-check check --no-moodle` lists what is wrong with it).',
    );
  const loaded = options.blueprint
    ? await loadBlueprint(options.blueprint, {
        context: gitContext(options.pluginDir ?? process.cwd()),
      })
    : undefined;
  const { resolved, php } = await chooseMoodle({
    ...chooseVersions({ spec: options.moodle, php: options.php }, loaded),
    plugin,
    offline: options.offline,
    timeoutMs: options.timeoutMs,
  });
  if (resolved.note) options.log(resolved.note);

  // Listen first: the address is Moodle's wwwroot. Until the site is ready, requests wait.
  let ready: ((s: Handler) => void) | undefined;
  const handler = new Promise<Handler>((resolve) => {
    ready = resolve;
  });
  const http = createServer((req, res) => {
    void handler.then((h) => h.handle(req, res));
  });
  const address = await listen(http, options.port ?? 0, options.host ?? '127.0.0.1');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  const session = openSite(resolved, {
    php,
    db: options.db ?? DEFAULT_DB,
    timeoutMs: options.timeoutMs,
    purpose: 'serve',
  });
  let server: SiteServer | undefined;
  const close = async (): Promise<void> => {
    await new Promise<void>((resolve) => {
      http.close(() => {
        resolve();
      });
      http.closeAllConnections();
    });
    await server?.close();
    await session.close();
  };
  try {
    const site = session.site;
    options.log(`serve: ${await provisionSite(site, resolved)}`);
    site.setWwwroot(url);
    let landingPage = '/';
    if (plugin && installPath) {
      site.setPlugin({ dir: plugin.root, installPath, changing: true });
      options.log(
        `serve: installing ${plugin.component ?? installPath} with admin/cli/upgrade.php`,
      );
      const r = await site.upgrade();
      options.log(
        r.exitCode === 0
          ? `serve: ${plugin.component ?? installPath} installed in ${(r.durationMs / 1000).toFixed(1)} s`
          : `serve: ${plugin.component ?? installPath} did not install (the site runs anyway): ${failureSummary(r.stdout, r.stderr)}`,
      );
      landingPage = pluginLanding(plugin, installPath);
    }
    // Moodle keeps URLs in its caches (theme CSS, JS): built for http://localhost until now.
    await site.cli(`${VFS.moodle}/admin/cli/purge_caches.php`, []);
    if (loaded) {
      const run = await runBlueprint(loaded, new MoodleBlueprintSite(site, session.workDir), {
        deadlineMs: resourceDeadlineMs(options.timeoutMs),
      });
      const ok = run.steps.filter((s) => s.status === 'ok').length;
      options.log(`serve: blueprint ${loaded.source}: ${ok}/${run.steps.length} steps ok`);
      for (const i of run.failed) options.log(`serve: ${describeFailure(run.steps[i]!)}`);
      if (run.landingPage) landingPage = run.landingPage;
    }
    server = await site.server();
    const tokens = new Set<string>();
    const h = new Handler(session, server, {
      url,
      tokens,
      landingPage,
      timeoutMs: options.timeoutMs,
      ...(plugin && installPath ? { plugin: { dir: plugin.root, installPath } } : {}),
      upgradeOnChange: options.upgradeOnChange === true,
      log: options.log,
    });
    ready?.(h);
    return {
      url,
      landingPage,
      loginLink(to = landingPage) {
        const token = randomBytes(18).toString('base64url');
        tokens.add(token);
        return `${url}${LOGIN_PATH}?token=${token}&to=${encodeURIComponent(to)}`;
      },
      release: resolved.tree.release,
      php,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The page that shows the plugin: its settings, its index, or Moodle's plugin list. */
function pluginLanding(plugin: Plugin, installPath: string): string {
  if (plugin.has('index.php') && plugin.type !== 'mod') return `/${installPath}/index.php`;
  if (plugin.has('settings.php') && plugin.component)
    return `/admin/settings.php?section=${settingsSection(plugin.type ?? '', plugin.name ?? '', plugin.component)}`;
  // Moodle's list of the plugins that are not part of Moodle: the plugin near the top.
  return '/admin/plugins.php?contribonly=1';
}

/** Moodle's settings section name for the plugin types that have a standard one. */
function settingsSection(type: string, name: string, component: string): string {
  const standard: Record<string, string> = {
    mod: `modsetting${name}`,
    block: `blocksetting${name}`,
    filter: `filtersetting${name}`,
    theme: `themesetting${name}`,
    auth: `authsetting${name}`,
    enrol: `enrolsettings${name}`,
    qtype: `qtypesetting${name}`,
    format: `formatsetting${name}`,
    repository: `repositorysettings${name}`,
  };
  return standard[type] ?? component;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'EADDRINUSE' || e.code === 'EACCES'
          ? new UserError(
              `${input('port', String(port))}: cannot listen on ${host}:${port} (${e.code}).`,
              `Choose another port, or leave ${input('port')} out for a free one.`,
            )
          : e,
      );
    });
    server.listen(port, host, () => {
      resolve(server.address() as AddressInfo);
    });
  });
}
