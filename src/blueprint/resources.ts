// Resolves a step's `data` (a `@name`, a resource descriptor, or literal text) to bytes.
// Resources are untrusted input: downloads are http(s) only and size-capped, `bundled` files
// cannot leave the blueprint's folder (not by `..`, not by an absolute path, not by a symlink),
// and `vfs` paths must be inside the site.
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { DownloadError, downloadFile, type HttpOptions } from '../core/http.js';
import { DecodeError, decodeBase64, decodeDataUrl } from './encoding.js';
import { siteVfsPath } from './paths.js';
import type { Blueprint, ResourceDescriptor, ResourceRef } from './types.js';

export interface ResourceContext {
  blueprint: Blueprint;
  /** Folder `bundled` resources are relative to (LoadedBlueprint.baseDir). */
  baseDir?: string;
  /** Reads a file of the site's virtual filesystem (given by the executor). */
  readVfs?: (vfsPath: string) => Promise<Uint8Array>;
  /** Per attempt: no response headers, or no body bytes, for this long fails the attempt. */
  fetchTimeoutMs?: number;
  /** Largest download or decoded resource accepted (default 256 MiB). */
  maxBytes?: number;
  /** Retry/back-off settings for url resources (tests make them fast). */
  http?: HttpOptions;
}

export const DEFAULT_MAX_RESOURCE_BYTES = 256 * 1024 * 1024;
/** One url resource, every attempt included, within this long (ctx.http.deadlineMs overrides). */
export const DEFAULT_RESOURCE_DEADLINE_MS = 5 * 60_000;

/** A run's url resources are bounded by the run's own time limit too (`--timeout`). */
export function resourceDeadlineMs(timeoutMs: number | undefined): number {
  return Math.min(DEFAULT_RESOURCE_DEADLINE_MS, timeoutMs ?? Infinity);
}
const KINDS = ['url', 'base64', 'data-url', 'bundled', 'vfs', 'literal'] as const;

/** Downloads are shared between steps of one run (a plugin ZIP used twice is fetched once). */
const downloads = new WeakMap<ResourceContext, Map<string, Promise<Uint8Array>>>();

function kindOf(d: ResourceDescriptor, where: string): (typeof KINDS)[number] {
  const keys = Object.keys(d);
  const kind = KINDS.find((k) => k === keys[0]);
  if (keys.length !== 1 || !kind)
    throw new UserError(
      `${where}: a resource descriptor needs exactly one of ${KINDS.join(', ')}; got ${keys.join(', ') || 'none'}.`,
    );
  return kind;
}

/**
 * Resolves `ref` to bytes. `where` names the field for error messages
 * (e.g. `steps/3 (writeFile).data`). A string not starting with `@` is literal UTF-8 text
 * (writeFile's inline form).
 */
export async function resolveResource(
  ref: ResourceRef,
  ctx: ResourceContext,
  where = 'resource',
): Promise<Uint8Array> {
  if (typeof ref === 'string') {
    if (!ref.startsWith('@')) return new TextEncoder().encode(ref);
    const name = ref.slice(1);
    const desc = ctx.blueprint.resources?.[name];
    if (!desc || !Object.hasOwn(ctx.blueprint.resources ?? {}, name))
      throw new UserError(
        `${where}: "${ref}" names no resource.`,
        `Define it under "resources": { "${name}": { "url": "…" } }.`,
      );
    return resolveDescriptor(desc, ctx, `resources/${name}`);
  }
  return resolveDescriptor(ref, ctx, where);
}

async function resolveDescriptor(
  d: ResourceDescriptor,
  ctx: ResourceContext,
  where: string,
): Promise<Uint8Array> {
  const max = ctx.maxBytes ?? DEFAULT_MAX_RESOURCE_BYTES;
  const capped = (bytes: Uint8Array): Uint8Array => {
    if (bytes.length > max)
      throw new UserError(`${where}: ${bytes.length} bytes is over the ${max}-byte limit.`);
    return bytes;
  };
  const decodeFail = (e: unknown, what: string): never => {
    if (e instanceof DecodeError) throw new UserError(`${where}: ${what} ${e.message}.`);
    throw e;
  };
  const kind = kindOf(d, where);
  switch (kind) {
    case 'literal': {
      const v = (d as { literal: unknown }).literal;
      return capped(new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v)));
    }
    case 'base64':
      try {
        return capped(decodeBase64((d as { base64: string }).base64));
      } catch (e) {
        return decodeFail(e, 'base64 is invalid:');
      }
    case 'data-url':
      try {
        return capped(decodeDataUrl((d as { 'data-url': string })['data-url']).bytes);
      } catch (e) {
        return decodeFail(e, 'the data: URL');
      }
    case 'bundled':
      return capped(readBundled((d as { bundled: string }).bundled, ctx.baseDir, where));
    case 'vfs': {
      const p = siteVfsPath((d as { vfs: string }).vfs, `${where}.vfs`);
      if (!ctx.readVfs)
        throw new UserError(`${where}: a vfs resource needs a running site to read ${p} from.`);
      try {
        return capped(await ctx.readVfs(p));
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(`${where}: cannot read ${p} from the site: ${(e as Error).message}`);
      }
    }
    case 'url':
      return download((d as { url: string }).url, ctx, where, max);
  }
}

function readBundled(rel: string, baseDir: string | undefined, where: string): Uint8Array {
  if (!baseDir)
    throw new UserError(
      `${where}: a bundled resource ("${rel}") needs a blueprint file; this blueprint was given inline.`,
      'Load the blueprint from a file, or use a url/base64/literal resource instead.',
    );
  const escape = (why: string): UserError =>
    new UserError(
      `${where}: bundled path "${rel}" ${why}.`,
      'A bundled resource is a file in the blueprint’s folder or below it.',
    );
  if (rel.includes('\0')) throw escape('contains a NUL byte');
  if (path.isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || rel.startsWith('\\'))
    throw escape('is absolute');
  if (rel.split(/[\\/]/).includes('..')) throw escape('climbs out with ".."');
  let root: string;
  let real: string;
  try {
    root = realpathSync(baseDir);
    real = realpathSync(path.join(root, rel));
  } catch (e) {
    throw new UserError(`${where}: cannot read bundled file "${rel}": ${(e as Error).message}`);
  }
  // A symlink inside the folder can still point outside it.
  if (real !== root && !real.startsWith(root + path.sep))
    throw escape(`resolves (through a symlink) to ${real}, outside ${root}`);
  if (!statSync(real).isFile()) throw escape('is not a file');
  return new Uint8Array(readFileSync(real));
}

function download(
  url: string,
  ctx: ResourceContext,
  where: string,
  max: number,
): Promise<Uint8Array> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${where}: "${url}" is not a URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UserError(`${where}: "${url}" is not http(s); only http and https URLs are fetched.`);
  let cache = downloads.get(ctx);
  if (!cache) {
    cache = new Map<string, Promise<Uint8Array>>();
    downloads.set(ctx, cache);
  }
  const hit = cache.get(url);
  if (hit) return hit;
  const job = fetchCapped(url, ctx, where, max);
  cache.set(url, job);
  // A failed download is not cached: a later step may retry it.
  job.catch(() => cache.delete(url));
  return job;
}

async function fetchCapped(
  url: string,
  ctx: ResourceContext,
  where: string,
  max: number,
): Promise<Uint8Array> {
  const tooBig = (n: number | string): DownloadError =>
    new DownloadError(`${url} is larger than the ${max}-byte limit (${n} bytes)`, url, false);
  let overLimit: DownloadError | undefined;
  const baseFetch = ctx.http?.fetch ?? fetch;
  // Wraps fetch so the size limit holds with or without a Content-Length header.
  const limitedFetch: typeof fetch = async (input, init) => {
    const res = await baseFetch(input, init);
    const length = Number(res.headers.get('content-length') ?? NaN);
    if (length > max) {
      await res.body?.cancel();
      throw tooBig(length);
    }
    if (!res.body) return res;
    let seen = 0;
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.length;
          if (seen > max) controller.error((overLimit = tooBig(`over ${max}`)));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'mpc-resource-'));
  try {
    const file = path.join(dir, 'download');
    const timeout = ctx.fetchTimeoutMs;
    await downloadFile(url, file, {
      retries: 3,
      baseDelayMs: 500,
      maxDelayMs: 8000,
      deadlineMs: DEFAULT_RESOURCE_DEADLINE_MS,
      ...ctx.http,
      ...(timeout ? { headersTimeoutMs: timeout, idleTimeoutMs: timeout } : {}),
      fetch: limitedFetch,
      onRetry: (info) => {
        // Retrying cannot make a too-large file smaller.
        if (overLimit) throw overLimit;
        ctx.http?.onRetry?.(info);
      },
    });
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    if (e instanceof DownloadError)
      throw new UserError(`${where}: download failed: ${(overLimit ?? e).message}`);
    throw e;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
