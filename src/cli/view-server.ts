/**
 * The viewer's HTTP server (`smpsim view`, issue 21): on 127.0.0.1 only, it serves the page,
 * its one script, the list of runs (`/api/runs`) and each given file at `/file/N` — nothing
 * else. No request path is mapped onto the file system, so there is nothing to traverse to; a
 * path that tries (`..`, an encoded dot or slash, a backslash) is refused with 403 all the same,
 * any other path is 404, a method other than GET or HEAD 405, and a Host header naming another
 * host 403 (a page elsewhere cannot reach the server by a DNS name that resolves here).
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeHttp } from '../machine/builtin.ts';
import { basename } from 'node:path';

/** One run the page lists: a name and its files (a report, a trace, or both). */
export interface ServedRun {
  readonly name: string;
  readonly files: readonly string[];
}

export interface ViewServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>smpsim view</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><script type="module" src="/viewer.js"></script></body></html>
`;

/** The URL path's problem, if it reaches for anything but a name: 403. */
export function traversal(path: string): boolean {
  return /\.\.|%2e|%2f|%5c|\\|\/\//i.test(path);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'",
  });
  res.end(body);
}

function manifest(runs: readonly ServedRun[]): string {
  let n = 0;
  const listed = runs.map((r) => ({
    name: r.name,
    files: r.files.map((f) => ({ name: basename(f), url: `/file/${n++}` })),
  }));
  return JSON.stringify({ runs: listed });
}

function handler(runs: readonly ServedRun[], script: string, hosts: () => string[]) {
  const files = runs.flatMap((r) => r.files);
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!hosts().includes(req.headers.host ?? '')) return send(res, 403, 'text/plain', 'forbidden host\n');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'method not allowed\n');
    if (traversal(path)) return send(res, 403, 'text/plain', 'forbidden\n');
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', PAGE);
    if (path === '/viewer.js') return send(res, 200, 'text/javascript; charset=utf-8', script);
    if (path === '/api/runs') return send(res, 200, 'application/json', manifest(runs));
    const m = /^\/file\/(\d{1,6})$/.exec(path);
    const file = m === null ? undefined : files[Number(m[1])];
    if (file === undefined) return send(res, 404, 'text/plain', 'not found\n');
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(statSync(file).size),
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  };
}

/** Starts serving `runs` on 127.0.0.1:`port` (0: a free port the system picks). */
export function startViewServer(runs: readonly ServedRun[], script: string, port = 0): Promise<ViewServer> {
  let bound = 0;
  const hosts = () => [`127.0.0.1:${bound}`, `localhost:${bound}`];
  const server: Server = nodeHttp().createServer(handler(runs, script, hosts));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        url: `http://127.0.0.1:${bound}/`,
        port: bound,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
