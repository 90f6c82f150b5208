/**
 * Init's scheduler (SVC-1..SVC-5, U1..U4, U11) driven by scripted children in virtual time:
 * exact start times, readiness, timeouts, cycles, restarts and the U1 boot deadlock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { criticalChain, showChain, waitForCycle, waitForEdges } from '../../src/services/boot-analysis.ts';
import { RUNTIME_TARGET } from '../../src/services/unit.ts';
import { MS, mkUnit, runInit, S } from './init-harness.ts';

const CHAIN = [mkUnit('a.service', []), mkUnit('b.service', ['a.service']), mkUnit('c.service', [])];
const TEN_MS = { readyNs: 10 * MS };

test('redox starts one unit at a time, synchronously; improved starts what is free at once', () => {
  const behaviours = { 'a.service': [TEN_MS], 'b.service': [TEN_MS], 'c.service': [TEN_MS] };
  const script = { behaviours, roots: ['b.service', 'c.service'], endNs: S };
  const red = runInit(CHAIN, 'redox', script);
  // BFS order b, c, a; b waits for a: c at 0, a at 10 ms, b at 20 ms.
  assert.deepEqual(red.spawns, [
    ['c.service', 0],
    ['a.service', 10 * MS],
    ['b.service', 20 * MS],
  ]);
  const imp = runInit(CHAIN, 'improved', script);
  assert.deepEqual(imp.spawns, [
    ['c.service', 0],
    ['a.service', 0],
    ['b.service', 10 * MS],
  ]);
  assert.deepEqual(showChain(criticalChain(imp.core, 'b.service')), [
    'b.service @0.020s +0.010s',
    '  a.service @0.010s +0.010s',
  ]);
});

test('U11: at most 50 units starting at once', () => {
  const units = Array.from({ length: 120 }, (_, i) => mkUnit(`u${i}.service`, []));
  const behaviours = Object.fromEntries(units.map((u) => [u.name, [TEN_MS]]));
  const { spawns } = runInit(units, 'improved', { behaviours, roots: units.map((u) => u.name), endNs: S });
  const at = (t: number) => spawns.filter(([, s]) => s === t).length;
  assert.deepEqual([at(0), at(10 * MS), at(20 * MS)], [50, 50, 20]);
});

test('SVC-3 / U2: a unit that never notifies times out and boot continues (improved); redox waits forever', () => {
  const units = [
    mkUnit('hung.service', [], 'notify', { timeoutStartMs: 5000 }),
    mkUnit('login.service', ['hung.service']),
  ];
  const script = { behaviours: { 'hung.service': [{}] }, roots: ['login.service'], endNs: 60 * S };
  const imp = runInit(units, 'improved', script);
  assert.equal(imp.core.records.get('hung.service')!.state, 'failed');
  assert.equal(imp.core.records.get('hung.service')!.reason, 'start timed out');
  assert.equal(imp.core.records.get('login.service')!.firstReadyNs, 5 * S + MS);
  const red = runInit(units, 'redox', script);
  assert.equal(red.core.records.get('hung.service')!.state, 'starting');
  assert.equal(red.core.records.get('login.service')!.state, 'queued');
  assert.deepEqual(waitForEdges(red.core), [
    ['init', 'hung.service'],
    ['login.service', 'hung.service'],
  ]);
});

test('a child exiting without notifying: EOF, logged, boot continues; with the pre-eeee52f2 write end kept, it hangs', () => {
  const units = [mkUnit('x.service', []), mkUnit('login.service', ['x.service'])];
  const script = {
    behaviours: { 'x.service': [{ exitNs: 3 * MS, status: 1 }] },
    roots: ['login.service'],
    endNs: S,
  };
  const red = runInit(units, 'redox', script);
  assert.ok(red.core.log.includes('x.service: exited without notifying readiness'));
  assert.equal(red.core.records.get('login.service')!.firstReadyNs, 4 * MS);
  const hung = runInit(units, 'redox', script, (c) => {
    c.keepNotifyWriteEnd = true;
  });
  assert.equal(hung.core.records.get('login.service')!.state, 'queued');
});

test('SVC-4 / U3: a real cycle fails with its path and a diamond starts (improved); redox livelocks', () => {
  const units = [
    mkUnit('a.service', ['b.service']),
    mkUnit('b.service', ['a.service']),
    mkUnit('c.service', ['a.service']),
    mkUnit('top.target', ['l.service', 'r.service'], null),
    mkUnit('l.service', ['base.service']),
    mkUnit('r.service', ['base.service']),
    mkUnit('base.service', []),
  ];
  const script = { behaviours: {}, roots: ['c.service', 'top.target'], endNs: S };
  const imp = runInit(units, 'improved', script);
  assert.deepEqual(imp.core.log, ['ordering cycle: a.service -> b.service -> a.service']);
  assert.equal(
    imp.core.records.get('a.service')!.reason,
    'dependency cycle a.service -> b.service -> a.service',
  );
  assert.equal(imp.core.records.get('c.service')!.state, 'up');
  assert.equal(imp.core.records.get('top.target')!.state, 'done');
  const red = runInit(units, 'redox', script);
  assert.deepEqual(red.core.log, []); // P15-8 hides it
  assert.deepEqual(red.core.livelock, ['a.service', 'b.service', 'c.service']);
  assert.equal(red.core.records.get('top.target')!.state, 'done');
  const pre = runInit(units, 'redox', script, (c) => {
    c.loadMode = 'redox-pre-p15-8';
  });
  // BFS order: the diamond's second visit (r -> base) comes before the cycle's (b -> a).
  assert.deepEqual(pre.core.log, [
    'cycle detected: r.service -> base.service',
    'cycle detected: b.service -> a.service',
  ]);
});

test('SVC-5 / U4: a crash is restarted after 1 s (back within 5 s); a crash loop backs off 1, 2, 4, 8 s and gives up at 5', () => {
  const once = [mkUnit('d.service', [], 'notify', { restart: 'on-failure' })];
  const crashOnce = { 'd.service': [{ readyNs: 10 * MS, exitNs: 2 * S, status: 139 }, TEN_MS] };
  const r1 = runInit(once, 'improved', { behaviours: crashOnce, roots: ['d.service'], endNs: 60 * S });
  assert.deepEqual(r1.spawns, [
    ['d.service', 0],
    ['d.service', 3 * S],
  ]);
  assert.equal(r1.core.records.get('d.service')!.state, 'up');
  const loop = { 'd.service': [{ readyNs: 10 * MS, exitNs: 20 * MS, status: 1 }] };
  const r2 = runInit(once, 'improved', { behaviours: loop, roots: ['d.service'], endNs: 120 * S });
  const gaps = r2.spawns.slice(1).map(([, t], i) => t - r2.spawns[i]![1] - 20 * MS);
  assert.deepEqual(gaps, [1 * S, 2 * S, 4 * S, 8 * S]);
  assert.equal(r2.core.records.get('d.service')!.state, 'failed');
  assert.equal(r2.core.records.get('d.service')!.reason, 'gave up after 5 failures');
  const red = runInit(once, 'redox', { behaviours: crashOnce, roots: ['d.service'], endNs: 60 * S });
  assert.equal(red.spawns.length, 1);
  assert.equal(red.core.records.get('d.service')!.state, 'stopped');
});

test('SVC-7: a service that stops answering health checks is killed and restarted', () => {
  const units = [mkUnit('h.service', [], 'notify', { restart: 'on-failure', healthCheck: true })];
  const behaviours = { 'h.service': [{ readyNs: 10 * MS, healthy: false }, TEN_MS] };
  const { core, spawns } = runInit(units, 'improved', { behaviours, roots: ['h.service'], endNs: 30 * S });
  // Ready at 10 ms, check at 5.010 s, no answer by 6.010 s, restart 1 s later.
  assert.deepEqual(spawns, [
    ['h.service', 0],
    ['h.service', 7 * S + 10 * MS],
  ]);
  assert.ok(core.log.includes('h.service: health check timed out'));
});

test('U1 / SVC-2: gpiod with default dependencies deadlocks boot against the driver manager; off, it boots', () => {
  const units = (gpiodDefaults: boolean) => [
    mkUnit(RUNTIME_TARGET, ['00_logd.service', '10_drivermgr.service'], null),
    mkUnit('00_logd.service', []),
    mkUnit('10_drivermgr.service', []),
    mkUnit('00_intel-gpiod.service', [], 'notify', { defaultDependencies: gpiodDefaults }),
  ];
  const behaviours = { '10_drivermgr.service': [{ readyAfterUnit: '00_intel-gpiod.service' }] };
  const script = { behaviours, roots: [RUNTIME_TARGET, '00_intel-gpiod.service'], endNs: 200 * S };
  const bad = runInit(units(true), 'redox', script);
  const edges = waitForEdges(bad.core, [['10_drivermgr.service', '00_intel-gpiod.service']]);
  assert.deepEqual(waitForCycle(edges), [
    '00_intel-gpiod.service',
    RUNTIME_TARGET,
    '10_drivermgr.service',
    '00_intel-gpiod.service',
  ]);
  const good = runInit(units(false), 'redox', script);
  assert.equal(good.core.records.get(RUNTIME_TARGET)!.state, 'done');
  // The improved init breaks it only by timing the driver manager out (90 s default).
  const imp = runInit(units(true), 'improved', script);
  assert.equal(imp.core.records.get('10_drivermgr.service')!.reason, 'start timed out');
  assert.equal(imp.core.records.get(RUNTIME_TARGET)!.settledNs, 90 * S);
});
