// `smpsim sweep --queue` and `smpsim worker` (issue 23): a real redis-server on a loopback port,
// two worker processes, and the sweep's records equal to the local run's. redis-server is a
// Debian package that .ci/run installs; outside CI a machine without it skips this test.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseResults } from '../../src/report/sweep-record.ts';
import { smpsim } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SWEEP = join(ROOT, 'test', 'fixtures', 'sweep', 'spin-sweep.toml');
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
const skip =
  !hasRedis && process.env.CI !== 'true'
    ? 'redis-server is not installed (apt-get install redis-server)'
    : false;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves once the process has printed `pattern` on stdout or stderr (rejects on exit). */
function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolveSeen, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) resolveSeen();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before ${pattern}: ${seen}`)));
  });
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return () => text;
}

async function stopAll(children: readonly ChildProcess[]): Promise<void> {
  const exited = children.map((c) =>
    c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)),
  );
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(exited);
}

test('a sweep through Redis and two worker processes gives the local run records', {
  skip,
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smpsim-queue-'));
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const workers: ChildProcess[] = [];
  try {
    await waitFor(redis, /Ready to accept connections/, 'redis-server');
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 2; i++) {
      const w = spawn(process.execPath, [join(ROOT, 'bin', 'smpsim.js'), 'worker', '--queue', url], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      workers.push(w);
    }
    const logs = workers.map(collect);
    await Promise.all(workers.map((w, i) => waitFor(w, /taking runs from/, `worker ${i}`)));
    const queued = join(dir, 'queued.jsonl');
    const got = await smpsim('sweep', SWEEP, '--queue', url, '--out', queued);
    assert.equal(got.status, 0, got.err);
    const local = join(dir, 'local.jsonl');
    assert.equal((await smpsim('sweep', SWEEP, '--out', local, '--jobs', '1')).status, 0);
    const q = parseResults(readFileSync(queued, 'utf8'), queued);
    const l = parseResults(readFileSync(local, 'utf8'), local);
    assert.equal(q.size, 24);
    for (const [key, rec] of l) assert.deepEqual(q.get(key), rec, key);
    // A worker's log line can arrive after the sweep has its record: count once they have exited.
    await stopAll(workers);
    const done = logs.map((log) => (log().match(/^done /gm) ?? []).length);
    assert.equal(done[0]! + done[1]!, 24, `runs done per worker: ${done.join(', ')}`);
  } finally {
    await stopAll(workers);
    redis.kill('SIGTERM');
  }
});

test('a worker or a sweep given something that is not a Redis URL is a one-line error', async () => {
  const got = await smpsim(
    'sweep',
    SWEEP,
    '--queue',
    'http://x',
    '--out',
    join(mkdtempSync(join(tmpdir(), 'q-')), 'o.jsonl'),
  );
  assert.equal(got.status, 2);
  assert.match(
    got.err,
    /^smpsim: --queue: http:\/\/x is not a Redis URL \(allowed: redis:\/\/HOST:PORT\)\n$/,
  );
});
