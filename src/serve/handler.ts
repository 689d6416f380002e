// The HTTP side of `serve`: the one-time admin login, the tree's and the plugin's static files
// (never PHP source, never a dotfile), and every other request handed to the site's warm PHP with
// the browser's cookies, body and the headers Moodle reads.
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { prepareLogin } from '../blueprint/moodle-site.js';
import { realInside } from '../core/host-paths.js';
import { failureSummary } from '../moodle/site/outcome.js';
import type { SiteServer } from '../moodle/site/site.js';
import type { SiteSession } from '../pipeline/moodle.js';

export const LOGIN_PATH = '/__mpc/login';

/** Files Node serves itself (Moodle's PHP serves the rest: styles.php, javascript.php, pluginfile.php…). */
const STATIC_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.txt': 'text/plain; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/** Request headers passed on to Moodle; the rest (hop-by-hop, Host) are the server's business. */
const PASSED_HEADERS = [
  'accept',
  'accept-language',
  'content-type',
  'cookie',
  'referer',
  'user-agent',
  'x-requested-with',
  'origin',
  'if-none-match',
  'if-modified-since',
  'range',
];
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export interface HandlerOptions {
  url: string;
  tokens: Set<string>;
  landingPage: string;
  timeoutMs: number;
  plugin?: { dir: string; installPath: string };
  upgradeOnChange: boolean;
  log: (line: string) => void;
}

export class Handler {
  private versionStamp: string | undefined;
  private upgrading: Promise<void> | undefined;

  constructor(
    private readonly session: SiteSession,
    private readonly server: SiteServer,
    private readonly o: HandlerOptions,
  ) {
    this.versionStamp = this.stamp();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const target = new URL(req.url ?? '/', this.o.url);
      if (target.pathname === LOGIN_PATH) {
        await this.login(target, res);
        return;
      }
      if (target.pathname.startsWith('/__mpc')) {
        res.writeHead(404).end();
        return;
      }
      const file = this.staticFile(target.pathname);
      if (file && (req.method === 'GET' || req.method === 'HEAD')) {
        res.writeHead(200, {
          'content-type': file.type,
          'content-length': file.size,
          'cache-control': 'no-cache',
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file.path).pipe(res);
        return;
      }
      await this.upgradeIfChanged();
      await this.php(req, res, `${target.pathname}${target.search}`);
    } catch (e) {
      this.o.log(`serve: ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`moodle-plugin-check serve: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }

  /** The one-time admin login: Moodle's complete_user_login(), its session cookie to the browser. */
  private async login(target: URL, res: ServerResponse): Promise<void> {
    const token = target.searchParams.get('token') ?? '';
    if (!this.o.tokens.delete(token)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('This login link was used already or is not one of this server’s.\n');
      return;
    }
    const aliases: { urlPrefix: string; fsPath: string }[] = [];
    const url = prepareLogin(this.session.site, 'admin', aliases);
    const r = await this.server.request({ url, headers: {} }, this.o.timeoutMs, aliases);
    const to = target.searchParams.get('to') ?? this.o.landingPage;
    if (r.status !== 200 || !r.text.includes('"ok":true')) {
      this.o.log(
        `serve: logging in as admin failed: HTTP ${r.status} ${r.text.slice(0, 300)} ${r.errors.slice(0, 300)}`,
      );
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Logging in as admin failed; see the serve log.\n');
      return;
    }
    res.writeHead(303, {
      ...(r.headers['set-cookie'] ? { 'set-cookie': r.headers['set-cookie'] } : {}),
      location: to.startsWith('/') && !to.startsWith('//') ? to : '/',
    });
    res.end();
  }

  /** A static file of the tree or the plugin under the web root, never a .php file or a dotfile. */
  private staticFile(pathname: string): { path: string; type: string; size: number } | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    const rel = path.posix.normalize(decoded).replace(/^\/+/, '');
    if (rel === '' || rel.startsWith('..') || rel.split('/').some((p) => p.startsWith('.')))
      return undefined;
    const type = STATIC_TYPES[path.posix.extname(rel).toLowerCase()];
    if (type === undefined) return undefined;
    const { tree } = this.session.site.options;
    const web = tree.layout === 'public' ? path.join(tree.root, 'public') : tree.root;
    const plugin = this.o.plugin;
    const [root, inside] =
      plugin && (rel === plugin.installPath || rel.startsWith(`${plugin.installPath}/`))
        ? [plugin.dir, rel.slice(plugin.installPath.length + 1)]
        : [web, rel];
    // A symbolic link is followed only while it stays inside the tree (or the plugin).
    let host: string;
    try {
      host = realInside(root, inside);
    } catch {
      return undefined;
    }
    const stat = statSync(host, { throwIfNoEntry: false });
    return stat?.isFile() ? { path: host, type, size: stat.size } : undefined;
  }

  private stamp(): string | undefined {
    if (!this.o.plugin) return undefined;
    const s = statSync(path.join(this.o.plugin.dir, 'version.php'), { throwIfNoEntry: false });
    return s ? `${s.mtimeMs}:${s.size}` : undefined;
  }

  /** With --upgrade-on-change: Moodle's upgrade when version.php changed since the last one. */
  private async upgradeIfChanged(): Promise<void> {
    if (!this.o.upgradeOnChange) return;
    if (this.upgrading) {
      await this.upgrading;
      return;
    }
    const now = this.stamp();
    if (now === this.versionStamp) return;
    this.versionStamp = now;
    this.upgrading = (async () => {
      this.o.log('serve: version.php changed; running admin/cli/upgrade.php');
      const r = await this.session.site.upgrade();
      // The warm PHP would still see the cache files the upgrade purged.
      await this.server.recycle();
      this.o.log(
        r.exitCode === 0
          ? `serve: upgraded in ${(r.durationMs / 1000).toFixed(1)} s`
          : `serve: the upgrade failed: ${failureSummary(r.stdout, r.stderr)}`,
      );
    })().finally(() => {
      this.upgrading = undefined;
    });
    await this.upgrading;
  }

  private async php(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = v;
      else if (Array.isArray(v)) headers[name] = v.join(name === 'cookie' ? '; ' : ', ');
    }
    const r = await this.server.request(
      {
        method: req.method ?? 'GET',
        url,
        headers,
        ...(body.length > 0 ? { body: new Uint8Array(body) } : {}),
      },
      this.o.timeoutMs,
    );
    const out: Record<string, string | string[]> = {};
    for (const [name, values] of Object.entries(r.headers)) {
      if (['content-length', 'transfer-encoding', 'connection'].includes(name)) continue;
      out[name] = name === 'set-cookie' ? values : values.join(', ');
    }
    out['content-length'] = String(r.body.byteLength);
    res.writeHead(r.status, out);
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(r.body));
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}
