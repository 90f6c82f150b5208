/** `smpsim bench futex` (FUTEX-2..6): every shape runs, counts its ops exactly, and is deterministic. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BENCH_FUTEX_SHAPES, formatBenchFutex, runBenchFutex } from '../../src/report/bench-futex.ts';

test('bench futex --quick runs each shape with both tables and counts every op', async () => {
  const report = await runBenchFutex({ quick: true, cpus: [4] });
  assert.equal(report.rows.length, BENCH_FUTEX_SHAPES.length * 2);
  const ops = Object.fromEntries(report.rows.map((r) => [`${r.shape}/${r.table}`, r.ops]));
  // hash: 4 threads x 100 waits; wake and requeue: 4 waiters x 2 rounds; wake-parallel: the same
  // 8 wakes split over 4 wakers; lock-pi: 4 threads x 20 lock-unlock pairs.
  assert.deepEqual(ops, {
    'hash/global': 400,
    'hash/64-shards': 400,
    'wake/global': 8,
    'wake/64-shards': 8,
    'wake-parallel/global': 8,
    'wake-parallel/64-shards': 8,
    'requeue/global': 8,
    'requeue/64-shards': 8,
    'lock-pi/global': 80,
    'lock-pi/64-shards': 80,
  });
  for (const r of report.rows) assert.ok(r.ops_per_sim_s > 0, `${r.shape}/${r.table} measured`);
  const again = await runBenchFutex({ quick: true, cpus: [4] });
  assert.deepEqual(
    again.rows.map((r) => r.trace_hash),
    report.rows.map((r) => r.trace_hash),
  );
  assert.match(formatBenchFutex(report), /^ {2}lock-pi +4 /m);
});
