// The plugin's Mustache templates rendered with their example contexts by the Mustache library of
// a Moodle tree, inside php-wasm (php/style/mustache.php, mustache_lint's way), and the HTML they
// give judged well-formed as a fragment (html-check.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ourPhpDir } from '../moodle/site/site.js';
import type { MoodleTree } from '../moodle/source/tree.js';
import { createPhpRuntime } from '../php/runtime.js';
import { lastJsonLine, runTool, type ToolRun } from './run-tool.js';
import type { PhpVersion } from '../php/runtime-package.js';
import type { Plugin } from '../plugin/plugin.js';
import { checkHtmlFragment, type HtmlProblem } from './html-check.js';

export interface TemplateResult {
  /** Relative to the top plugin's root. */
  file: string;
  status: 'ok' | 'no-example' | 'bad-example' | 'render-failed';
  message?: string;
  line?: number;
  /** Problems of the rendered HTML (none when it is well-formed or its check is ignored). */
  html: HtmlProblem[];
  /** `.mustachelintignore` names it: the HTML was not judged. */
  htmlIgnored: boolean;
}

export class MustacheError extends Error {
  override readonly name = 'MustacheError';
}

const RENDERER: ToolRun = { name: 'rendering', fail: (m) => new MustacheError(m) };

/** Every templates/**\/*.mustache the plugin and its subplugins ship (third-party code left out). */
export function templateFiles(
  top: Plugin,
  all: (p: Plugin) => Plugin[],
): { plugin: Plugin; file: string }[] {
  return all(top).flatMap((p) =>
    p.files
      .filter((f) => f.startsWith('templates/') && f.endsWith('.mustache'))
      .map((f) => ({ plugin: p, file: f })),
  );
}

const VFS_TREE = '/moodle';
const VFS_PLUGIN = '/plugin';

export async function renderTemplates(
  top: Plugin,
  all: (p: Plugin) => Plugin[],
  tree: MoodleTree,
  options: { php: PhpVersion; timeoutMs?: number },
): Promise<TemplateResult[]> {
  const templates = templateFiles(top, all);
  if (templates.length === 0) return [];
  const web = tree.webRoot === tree.root ? VFS_TREE : `${VFS_TREE}/public`;
  const components = JSON.parse(readFileSync(tree.componentsJson, 'utf8')) as {
    plugintypes?: Record<string, string>;
    subsystems?: Record<string, string | null>;
  };
  const inTree = (rel: string): string => `${VFS_TREE}/${rel}`;
  const dirs: Record<string, string> = { core: `${web}/lib` };
  for (const [name, rel] of Object.entries(components.subsystems ?? {}))
    if (typeof rel === 'string') dirs[`core_${name}`] = inTree(rel);
  const types: Record<string, string> = {};
  for (const [type, rel] of Object.entries(components.plugintypes ?? {})) types[type] = inTree(rel);
  for (const p of all(top))
    if (p.component) dirs[p.component] = `${VFS_PLUGIN}/${p.prefix}`.replace(/\/$/, '');
  const request = {
    moodle: web,
    components: dirs,
    types,
    theme: top.type === 'theme' ? VFS_PLUGIN : null,
    templates: templates.map(({ plugin, file }) => ({
      file: plugin.prefix + file,
      path: `${VFS_PLUGIN}/${plugin.prefix}${file}`,
    })),
  };
  const scratch = mkdtempSync(path.join(tmpdir(), 'mpc-mustache-'));
  try {
    writeFileSync(path.join(scratch, 'request.json'), JSON.stringify(request));
    const runtime = await createPhpRuntime({
      phpVersion: options.php,
      mounts: [
        { hostPath: tree.root, vfsPath: VFS_TREE, readOnly: true },
        { hostPath: top.root, vfsPath: VFS_PLUGIN, readOnly: true },
        { hostPath: path.join(ourPhpDir(), 'style'), vfsPath: '/mpc-style', readOnly: true },
        {
          hostPath: path.join(scratch, 'request.json'),
          vfsPath: '/mpc-request.json',
          readOnly: true,
        },
      ],
    });
    const r = await runTool(
      runtime,
      ['php', '/mpc-style/mustache.php', '/mpc-request.json'],
      { env: {}, cwd: VFS_PLUGIN, timeoutMs: options.timeoutMs ?? 300_000, memoryLimit: '512M' },
      RENDERER,
    );
    return parseRendered(r.stdout);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const STATUSES = new Set(['ok', 'no-example', 'bad-example', 'render-failed']);

/** The driver's JSON (its last line) → results, each rendered HTML judged. */
export function parseRendered(stdout: string): TemplateResult[] {
  const data = lastJsonLine(stdout, RENDERER);
  const list = (data as { templates?: unknown } | null)?.templates;
  if (!Array.isArray(list))
    throw new MustacheError('the renderer printed a report without templates');
  return (list as Record<string, unknown>[]).map((t) => {
    const status =
      typeof t.status === 'string' && STATUSES.has(t.status) ? t.status : 'render-failed';
    const html = typeof t.html === 'string' ? t.html : undefined;
    const ignored = t.ignorehtml === true;
    return {
      file: typeof t.file === 'string' ? t.file : '',
      status: status as TemplateResult['status'],
      ...(typeof t.message === 'string' ? { message: t.message } : {}),
      ...(typeof t.line === 'number' ? { line: t.line } : {}),
      html: html !== undefined && !ignored && html.trim() !== '' ? checkHtmlFragment(html) : [],
      htmlIgnored: ignored,
    };
  });
}
