// Test helper: a small fake of the GitHub REST API on 127.0.0.1 — issue comments, pulls, run
// artifacts — with scripted failures (5xx, rate limits, 403) to exercise retries and fork paths.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  body: string;
}

export interface Failure {
  method: string;
  /** Matched against the path (without query). */
  path: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many requests it answers before letting them through; default 1. */
  times?: number;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  conclusion?: string;
  title?: string;
  summary?: string;
  annotations: Record<string, unknown>[];
  /** Annotations per request, in order: GitHub takes at most 50 each. */
  batches: number[];
}

export interface FakeGitHub {
  url: string;
  comments: Map<number, FakeComment[]>;
  pulls: Map<number, { sha: string; ref: string; repo: string }>;
  artifacts: { id: number; name: string; zip: Uint8Array; runId: number }[];
  checkRuns: FakeCheckRun[];
  /** PR number → its files, as pulls/{n}/files lists them (filename, patch). */
  pullFiles: Map<number, { filename: string; patch?: string }[]>;
  requests: { method: string; path: string; auth?: string }[];
  fail: (f: Failure) => void;
  close: () => Promise<void>;
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const comments = new Map<number, FakeComment[]>();
  const pulls = new Map<number, { sha: string; ref: string; repo: string }>();
  const artifacts: FakeGitHub['artifacts'] = [];
  const checkRuns: FakeCheckRun[] = [];
  const pullFiles: FakeGitHub['pullFiles'] = new Map();
  const requests: FakeGitHub['requests'] = [];
  const failures: Failure[] = [];
  let nextId = 1000;

  const send = (res: ServerResponse, status: number, body?: unknown, headers = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const p = url.pathname;
    requests.push({
      method,
      path: p,
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
    });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body: unknown = chunks.length
      ? JSON.parse(Buffer.concat(chunks).toString('utf8'))
      : undefined;

    const failure = failures.find(
      (f) => f.method === method && f.path.test(p) && (f.times ?? 1) > 0,
    );
    if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      send(
        res,
        failure.status,
        failure.body ?? { message: `fake ${failure.status}` },
        failure.headers,
      );
      return;
    }

    let m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(p);
    if (m) {
      const n = Number(m[1]);
      const list = comments.get(n) ?? [];
      if (method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? '1');
        const per = Number(url.searchParams.get('per_page') ?? '30');
        send(res, 200, list.slice((page - 1) * per, page * per));
        return;
      }
      if (method === 'POST') {
        const c = { id: nextId++, body: (body as { body: string }).body };
        comments.set(n, [...list, c]);
        send(res, 201, { ...c, html_url: `http://example.test/c/${c.id}` });
        return;
      }
    }
    m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(p);
    if (m && method === 'PATCH') {
      const id = Number(m[1]);
      const c = [...comments.values()].flat().find((x) => x.id === id);
      if (!c) {
        send(res, 404, { message: 'Not Found' });
        return;
      }
      c.body = (body as { body: string }).body;
      send(res, 200, c);
      return;
    }
    if (/^\/repos\/[^/]+\/[^/]+\/check-runs$/.test(p) && method === 'POST') {
      const b = body as {
        name: string;
        head_sha: string;
        conclusion?: string;
        output?: { title?: string; summary?: string; annotations?: Record<string, unknown>[] };
      };
      const list = b.output?.annotations ?? [];
      if (list.length > 50) {
        send(res, 422, { message: 'Only 50 annotations are allowed per request' });
        return;
      }
      const run: FakeCheckRun = {
        id: nextId++,
        name: b.name,
        head_sha: b.head_sha,
        ...(b.conclusion ? { conclusion: b.conclusion } : {}),
        ...(b.output?.title ? { title: b.output.title } : {}),
        ...(b.output?.summary ? { summary: b.output.summary } : {}),
        annotations: [...list],
        batches: [list.length],
      };
      checkRuns.push(run);
      send(res, 201, { id: run.id, name: run.name });
      return;
    }
    m = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(p);
    if (m && method === 'PATCH') {
      const run = checkRuns.find((c) => c.id === Number(m![1]));
      const list =
        (body as { output?: { annotations?: Record<string, unknown>[] } }).output?.annotations ??
        [];
      if (!run) {
        send(res, 404, { message: 'Not Found' });
        return;
      }
      if (list.length > 50) {
        send(res, 422, { message: 'Only 50 annotations are allowed per request' });
        return;
      }
      run.annotations.push(...list);
      run.batches.push(list.length);
      send(res, 200, { id: run.id });
      return;
    }
    m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/files$/.exec(p);
    if (m && method === 'GET') {
      const page = Number(url.searchParams.get('page') ?? '1');
      const per = Number(url.searchParams.get('per_page') ?? '30');
      send(res, 200, (pullFiles.get(Number(m[1])) ?? []).slice((page - 1) * per, page * per));
      return;
    }
    m = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(p);
    if (m && method === 'GET') {
      const pr = pulls.get(Number(m[1]));
      if (!pr) {
        send(res, 404, { message: 'Not Found' });
        return;
      }
      send(res, 200, {
        state: 'open',
        head: { sha: pr.sha, ref: pr.ref, repo: { full_name: pr.repo } },
      });
      return;
    }
    m = /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/artifacts$/.exec(p);
    if (m && method === 'GET') {
      const runId = Number(m[1]);
      const list = artifacts
        .filter((a) => a.runId === runId)
        .map((a) => ({ id: a.id, name: a.name, size_in_bytes: a.zip.byteLength, expired: false }));
      send(res, 200, { total_count: list.length, artifacts: list });
      return;
    }
    m = /^\/repos\/[^/]+\/[^/]+\/actions\/artifacts\/(\d+)\/zip$/.exec(p);
    if (m && method === 'GET') {
      // GitHub answers with a redirect to blob storage; so do we.
      res.writeHead(302, { location: `/blob/${m[1]}` });
      res.end();
      return;
    }
    m = /^\/blob\/(\d+)$/.exec(p);
    if (m) {
      const id = Number(m[1]);
      const a = artifacts.find((x) => x.id === id);
      if (!a) {
        send(res, 404);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.end(Buffer.from(a.zip));
      return;
    }
    send(res, 404, { message: `fake: no route ${method} ${p}` });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      send(res, 500, { message: String(e) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    comments,
    pulls,
    artifacts,
    checkRuns,
    pullFiles,
    requests,
    fail: (f) => failures.push(f),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
