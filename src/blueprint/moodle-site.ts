// BlueprintSite on a real provisioned Site: Moodle operations through php/blueprint/ops.php
// (arguments in a JSON file under /mpc-run, never spliced into PHP code), HTTP through the
// runtime's request(), filesystem steps on the host through SiteFiles.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TMP_ROOT } from './paths.js';
import { formatBytes } from '../core/format.js';
import { failureSummary } from '../moodle/site/outcome.js';
import type { PhpRunLimits } from '../php/runtime-limits.js';
import { VFS, type Site } from '../moodle/site/site.js';
import type {
  BlueprintSite,
  HttpRequest,
  HttpResult,
  HttpVia,
  MoodleOp,
  OpResult,
  OpsRun,
  PhpResult,
} from './site-api.js';
import { SiteFiles } from './site-files.js';

const MARK = '@@MPC-BP@@';
/** URL prefixes our own scripts are served under, for one request each. */
const LOGIN_PREFIX = '/__mpc_blueprint';
const SCRIPT_PREFIX = '/__mpc_blueprint_run';

/**
 * Readies a login request (php/blueprint/web/login.php: Moodle's complete_user_login() for the
 * user, the username in a run file): adds its alias and returns the URL to request.
 */
export function prepareLogin(
  site: Site,
  username: string,
  aliases: { urlPrefix: string; fsPath: string }[],
): string {
  site.writeRunFile('login.json', JSON.stringify({ username }));
  aliases.push({ urlPrefix: LOGIN_PREFIX, fsPath: `${VFS.ours}/blueprint/web` });
  return `${LOGIN_PREFIX}/login.php`;
}

export class MoodleBlueprintSite implements BlueprintSite {
  readonly files: SiteFiles;
  readonly webRoot: string;
  readonly branch: number;
  private calls = 0;

  constructor(
    private readonly site: Site,
    workDir: string,
  ) {
    const { tree } = site.options;
    this.webRoot = site.webRootVfs;
    this.branch = Number(tree.branch);
    // /tmp for the run: the same folder for host-side steps and every PHP call of the site.
    const tmpDir = path.join(workDir, 'tmp');
    mkdirSync(tmpDir, { recursive: true });
    if (!site.mounts().some((m) => m.vfsPath === TMP_ROOT))
      site.addMount({ hostPath: tmpDir, vfsPath: TMP_ROOT, readOnly: false });
    const quota = site.options.limits?.diskQuotaBytes;
    this.files = new SiteFiles({
      treeRoot: tree.root,
      persistDir: site.persistPath,
      tmpDir: site.mounts().find((m) => m.vfsPath === TMP_ROOT)?.hostPath ?? tmpDir,
      ...(quota !== undefined ? { quotaBytes: quota } : {}),
      layerDir: path.join(workDir, 'layer'),
      mounts: () => site.mounts(),
      inject: (rel, hostPath) => site.inject(rel, hostPath),
    });
  }

  defineConstants(constants: Readonly<Record<string, string | number | boolean>>): void {
    this.site.definePhpConstants(constants);
  }

  async runOps(ops: readonly MoodleOp[]): Promise<OpsRun> {
    const input = this.site.writeRunFile(`ops-${++this.calls}.json`, JSON.stringify({ ops }));
    const started = performance.now();
    const r = withinQuota(await this.site.cli(`${VFS.ours}/blueprint/ops.php`, [input]));
    return parseOpsOutput(r.stdout, r.stderr, r.exitCode, performance.now() - started);
  }

  async runPhp(code: string): Promise<PhpResult> {
    const file = this.site.writeRunFile(`code-${++this.calls}.php`, code);
    const r = withinQuota(await this.site.cli(file, []));
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  async request(request: HttpRequest, via?: HttpVia): Promise<HttpResult> {
    let url = request.url;
    const aliases: { urlPrefix: string; fsPath: string }[] = [];
    if (via?.kind === 'login') {
      url = prepareLogin(this.site, via.username, aliases);
    } else if (via?.kind === 'script') {
      const name = `script-${++this.calls}.php`;
      this.site.writeRunFile(name, via.code);
      aliases.push({ urlPrefix: SCRIPT_PREFIX, fsPath: VFS.run });
      url = `${SCRIPT_PREFIX}/${name}`;
    }
    const r = await this.site.request(
      {
        method: request.method ?? 'GET',
        url,
        headers: request.headers ?? {},
        ...(request.body !== undefined ? { body: request.body } : {}),
      },
      undefined,
      aliases,
    );
    return { status: r.status, headers: r.headers, text: r.text, errors: r.errors };
  }

  async upgrade(): Promise<{ ok: boolean; output: string; message: string }> {
    const r = await this.site.upgrade();
    return {
      ok: r.exitCode === 0,
      output: `${r.stdout}\n${r.stderr}`.trim(),
      message: failureSummary(r.stdout, r.stderr),
    };
  }
}

/**
 * A step whose PHP hit the disk quota failed, whatever PHP made of its failed writes (Moodle
 * often carries on): the step says so, with the quota.
 */
function withinQuota<T extends PhpRunLimits>(r: T): T {
  if (r.diskQuotaExceeded)
    throw new Error(
      `PHP tried to write more than the disk quota of ${formatBytes(r.diskQuotaBytes)} (${formatBytes(r.writtenBytes)} written); writes beyond it failed with “No space left on device”.`,
    );
  return r;
}

/** Reads ops.php's protocol lines; Moodle's own output between them goes to that op's output. */
export function parseOpsOutput(
  stdout: string,
  stderr: string,
  exitCode: number,
  totalMs: number,
): OpsRun {
  const results: OpResult[] = [];
  let running: number | undefined;
  let extra: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(MARK)) {
      if (running !== undefined && line.trim() !== '') extra.push(line.trim());
      continue;
    }
    const event = JSON.parse(line.slice(MARK.length)) as {
      event: 'start' | 'done';
      index: number;
      ok?: boolean;
      ms?: number;
      output?: string;
      error?: string;
    };
    if (event.event === 'start') {
      running = event.index;
      extra = [];
      continue;
    }
    const noise = extra.join('\n').slice(0, 2000);
    results.push({
      index: event.index,
      ok: event.ok === true,
      ms: event.ms ?? 0,
      ...(event.output !== undefined || noise
        ? { output: [event.output, noise].filter(Boolean).join('\n') }
        : {}),
      ...(event.error !== undefined ? { error: event.error } : {}),
    });
    running = undefined;
  }
  const run: OpsRun = { results, totalMs };
  const failed = results.some((r) => !r.ok);
  // An operation that started and never finished is a crash, whatever failed before it.
  if (running !== undefined || (!failed && exitCode !== 0)) {
    run.crashed = {
      index: running ?? results.at(-1)?.index ?? -1,
      message: `PHP stopped (exit ${exitCode}): ${failureSummary(
        stdout
          .split('\n')
          .filter((l) => !l.startsWith(MARK))
          .join('\n'),
        stderr,
      )}`,
    };
  }
  return run;
}
