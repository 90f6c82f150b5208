// `smpsim view`'s server (issue 21): it serves the page, its script, the run list and the given
// files, and refuses everything else: a file it was not given (404), traversal (403), another
// Host (403), a write (405). Bad command lines are one line, exit 2. No browser here.
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { runStem, startView, viewRuns } from '../../src/cli/view.ts';
import { viewerScript } from '../../src/cli/view-assets.ts';
import { traversal } from '../../src/cli/view-server.ts';

/**
 * A raw GET: the path is sent as written (no URL normalisation, as curl --path-as-is). Each on a
 * connection of its own (`agent: false`): a kept-alive socket the server closes just as the next
 * request goes out fails that request with ECONNRESET, which is not the server's answer. CI failed
 * this test once with only its name on record (40 runs under load here passed); that reuse race
 * is the one way it could fail without the server being wrong, so it is taken out of the test.
 */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function files() {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-view-'));
  const report = join(dir, 'a.json');
  const trace = join(dir, 'a.trace.json');
  const other = join(dir, 'b.json');
  const secret = join(dir, 'secret.json');
  writeFileSync(report, '{"schema":"smpsim.run/1"}');
  writeFileSync(trace, '{"traceEvents":[]}');
  writeFileSync(other, '{"schema":"smpsim.run/1","n":2}');
  writeFileSync(secret, '{"secret":true}');
  return { dir, report, trace, other, secret };
}

test('view: runs are grouped by stem (NAME.json with NAME.trace.json), others are their own', async () => {
  const f = files();
  assert.equal(runStem('/x/run-1.trace.json'), 'run-1');
  assert.equal(runStem('run-1.JSON'), 'run-1');
  const runs = await viewRuns([f.report, f.trace, f.other], () => f.dir);
  assert.deepEqual(runs, [
    { name: 'a', files: [f.report, f.trace] },
    { name: 'b', files: [f.other] },
  ]);
});

test('view: serves the page, script, list and given files; refuses the rest', async () => {
  const f = files();
  const { server } = await startView([f.report, f.trace]);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const p = server.port;
    const page = await get(p, '/');
    assert.equal(page.status, 200);
    assert.match(page.body, /<script type="module" src="\/viewer\.js">/);
    assert.match((await get(p, '/viewer.js')).body, /smpsim view/);
    const list = JSON.parse((await get(p, '/api/runs')).body);
    assert.deepEqual(list, {
      runs: [
        {
          name: 'a',
          files: [
            { name: 'a.json', url: '/file/0' },
            { name: 'a.trace.json', url: '/file/1' },
          ],
        },
      ],
    });
    assert.deepEqual(await get(p, '/file/0'), { status: 200, body: '{"schema":"smpsim.run/1"}' });
    assert.equal((await get(p, '/file/1')).body, '{"traceEvents":[]}');
    // Not given: the next index, the secret beside them by name, any path of the file system.
    for (const path of ['/file/2', '/secret.json', f.secret, '/file/', '/file/-1', '/package.json'])
      assert.equal((await get(p, path)).status, 404, path);
    for (const path of [
      '/../secret.json',
      '/file/../../secret.json',
      '/%2e%2e/secret.json',
      '/file/0%2f..%2fsecret.json',
      '/..%5csecret.json',
      '//etc/passwd',
    ]) {
      const r = await get(p, path);
      assert.equal(r.status, 403, path);
      assert.doesNotMatch(r.body, /secret/);
    }
    assert.equal((await get(p, '/', { host: 'evil.example:80' })).status, 403);
    assert.equal((await get(p, '/', { host: `localhost:${p}` })).status, 200);
    assert.equal((await get(p, '/file/0', {}, 'POST')).status, 405);
  } finally {
    await server.close();
  }
});

test('view: the traversal check', () => {
  for (const bad of ['/..', '/a/../b', '/%2E%2E/x', '/a%2fb', '/a\\b', '//x']) assert.ok(traversal(bad), bad);
  for (const ok of ['/', '/file/0', '/viewer.js', '/api/runs', '/a.b']) assert.ok(!traversal(ok), ok);
});

test('view: the script is bundled from src/web when no build is current', async () => {
  const root = mkdtempSync(join(tmpdir(), 'smpsim-view-root-'));
  // No src/web and no build: a clear error.
  await assert.rejects(viewerScript(root), /the viewer's script is missing: .*dist\/web\/viewer\.js/);
  const repo = join(import.meta.dirname, '..', '..');
  assert.match(await viewerScript(repo), /smpsim view/);
  // A stale build next to the sources is not served.
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(root, 'dist', 'web'), { recursive: true });
  writeFileSync(join(root, 'dist', 'web', 'viewer.js'), '// built');
  assert.equal(await viewerScript(root), '// built');
  utimesSync(join(root, 'dist', 'web', 'viewer.js'), 0, 0);
  assert.equal(await viewerScript(root), '// built', 'no src/web beside it: the build is all there is');
});

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const status = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { status, out, err };
}

test('smpsim view: bad inputs are one line and exit 2', async () => {
  const f = files();
  const cases: [string[], RegExp][] = [
    [[join(f.dir, 'missing.json')], /missing\.json: cannot read the file \(ENOENT\)/],
    [[join(f.dir, 'x.csv')], /x\.csv: is neither a \.json report or trace nor a \.toml scenario/],
    [[f.report, '--port', '0'], /--port: 0 is out of range \(allowed: 1\.\.65535\)/],
    [[f.report, '--port', 'http'], /--port: "http" is not an integer/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(['view', ...args]);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.err, message);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});
