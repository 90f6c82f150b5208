// The trace recorder's cost with no trace (issue 14 item 7): the checks are counted exactly, the
// counting sink leaves the run unchanged (runBenchTraceOff throws otherwise), and the report holds
// together. No timing assertions beyond "finite and positive": wall-clock rates depend on the host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBenchTraceOff, nullCheckNs, runBenchTraceOff } from '../../src/report/bench-trace-off.ts';
import type { RunConfig } from '../../src/machine/config.ts';
import { defaultRunConfig } from '../../src/machine/defaults.ts';

const PAIRS = 2;

function pingpong(rounds: number): RunConfig {
  const config = defaultRunConfig('fair', 4);
  config.name = 'trace-off-test';
  config.seed = 1;
  config.workloads = [{ kind: 'pingpong', pairs: PAIRS, rounds }];
  return config;
}

test('trace-off: counts the sites a ping-pong run passes, and keeps its hash', () => {
  const rounds = 300;
  const r = runBenchTraceOff(pingpong(rounds), pingpong(50));
  // Every round, each thread of a pair makes at least one futex call (a site at entry) and the
  // pair hands the token over with a wake: at least 2 checks per pair per round.
  assert.ok(r.site_checks >= 2 * PAIRS * rounds, `site_checks ${r.site_checks}`);
  // Each check sits on a path that also runs at least one effect (a syscall, a switch, an irq).
  assert.ok(r.site_checks <= r.effects, `site_checks ${r.site_checks} > effects ${r.effects}`);
  assert.equal(r.checks_per_effect, Math.round((r.site_checks / r.effects) * 1e4) / 1e4);
  assert.ok(r.null_check_ns > 0 && Number.isFinite(r.null_check_ns));
  assert.ok(r.off_share >= 0 && r.off_share < 1);
  assert.ok(r.counting_sink_ratio > 0);
  const line = formatBenchTraceOff(r).join('\n');
  assert.match(line, new RegExp(`${r.site_checks} null checks`));
});

test('trace-off: the same run counts the same checks (deterministic)', () => {
  const a = runBenchTraceOff(pingpong(100), pingpong(20));
  const b = runBenchTraceOff(pingpong(100), pingpong(20));
  assert.equal(a.site_checks, b.site_checks);
  assert.equal(a.effects, b.effects);
});

test('trace-off: nullCheckNs is a positive, finite time', () => {
  const ns = nullCheckNs(100_000);
  assert.ok(ns > 0 && Number.isFinite(ns), `${ns}`);
});
