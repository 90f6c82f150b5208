/**
 * CPU hotplug (kernel/hotplug.ts, issue 18): the improved kernel (fair) takes a CPU offline as
 * Linux's cpu_down does (kernel/cpu.c; kernel/sched/core.c sched_cpu_deactivate, migrate_tasks,
 * select_fallback_rq; kernel/time/hrtimer.c hrtimers_cpu_dying) and brings it back; the Redox
 * baseline refuses with EOPNOTSUPP. Exact counts: threads migrated, affinities broken, timers
 * moved, zero ticks and zero thread switches on the CPU while it is offline.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EBUSY, EINVAL, ENOENT, ENOTSUP, EPERM } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { errno } from '../../src/libc/errno.ts';
import { cpu_set_online, proc_cpu_online, proc_cpu_set_online } from '../../src/libc/hotplug.ts';
import {
  pthread_attr_init,
  pthread_attr_setaffinity_np,
  pthread_attr_t,
  pthread_create,
  pthread_join,
  type pthread_t,
} from '../../src/libc/pthread.ts';
import { sched_getcpu } from '../../src/libc/sched.ts';
import { sleep_ns } from '../../src/libc/time.ts';
import { isThread } from '../../src/kernel/thread.ts';
import { DEFAULT_TIMER_SLACK_NS } from '../../src/kernel/timeout.ts';
import { bootGuest, type GuestMachineOptions, runGuest } from '../support/guest.ts';

const US = 1000;
const MS = 1_000_000;

function onCpus(cpus: readonly number[]): pthread_attr_t {
  const attr = new pthread_attr_t();
  pthread_attr_init(attr);
  pthread_attr_setaffinity_np(attr, cpus);
  return attr;
}

/** What a guest's hotplug call returned: 0, or the errno it failed with. */
function* setOnline(t: Guest, cpuId: number, online: boolean): Program<number> {
  const r = yield* cpu_set_online(t, cpuId, online);
  return r === 0 ? 0 : errno(t);
}

interface Counts {
  chunks: number;
  wakeups: number;
}

/** Computes 3 ms in 100 us chunks (3 cycles per ns at the default clock). */
function* computer(t: Guest, raw: unknown): Program<number> {
  const c = raw as Counts;
  for (let i = 0; i < 30; i++) {
    yield t.compute(100 * US * 3);
    c.chunks++;
  }
  return 0;
}

/** Sleeps 4 ms twice, counting its wakeups. */
function* sleeper(t: Guest, raw: unknown): Program<number> {
  const c = raw as Counts;
  for (let i = 0; i < 2; i++) {
    yield* sleep_ns(t, 4 * MS);
    c.wakeups++;
  }
  return 0;
}

const FAIR: GuestMachineOptions = {
  policy: 'fair',
  cpus: 4,
  futex: { mode: 'linux', shards: 64 },
  costs: { computeJitterPpm: 0 },
};

test('hotplug: offline CPU 2 under load moves its threads and timers, takes no tick, and comes back', () => {
  const counts: Counts = { chunks: 0, wakeups: 0 };
  const results: Record<string, number> = {};
  let offlineAtNs = -1;
  let onlineAtNs = -1;
  const machine = bootGuest(
    function* (t) {
      const tids: pthread_t[] = [];
      // Two sleepers and three computers allowed only on CPU 2: every mask is broken when it goes.
      // The sleepers start first and block at once: their hrtimers are on CPU 2's queue.
      for (const entry of [sleeper, sleeper, computer, computer, computer]) {
        const [err, tid] = yield* pthread_create(t, onCpus([2]), entry, counts);
        assert.equal(err, 0);
        tids.push(tid);
      }
      yield* sleep_ns(t, 1 * MS);
      offlineAtNs = machine.board.engine.nowNs;
      results.offline = yield* setOnline(t, 2, false);
      results.again = yield* setOnline(t, 2, false); // already offline: nothing to do
      results.bsp = yield* setOnline(t, 0, false);
      results.bad = yield* setOnline(t, 9, false);
      yield* sleep_ns(t, 10 * MS);
      onlineAtNs = machine.board.engine.nowNs;
      results.online = yield* setOnline(t, 2, true);
      // It takes work again: a thread allowed only on CPU 2 runs there.
      const [err, tid] = yield* pthread_create(
        t,
        onCpus([2]),
        function* (g) {
          return yield* sched_getcpu(g);
        },
        null,
      );
      assert.equal(err, 0);
      results.after = (yield* pthread_join(t, tid))[1] as number;
      for (const w of tids) yield* pthread_join(t, w);
      return 0;
    },
    null,
    FAIR,
  );
  const k = machine.kernel;
  let switchesWhileOff = 0;
  k.switchListeners.push((cpuId, _prev, next) => {
    const now = machine.board.engine.nowNs;
    if (cpuId === 2 && isThread(next) && offlineAtNs >= 0 && now > offlineAtNs + 100 * US && onlineAtNs < 0)
      switchesWhileOff++;
  });
  machine.board.engine.run({ simNsMax: 200 * MS, eventsMax: 2_000_000 });
  assert.equal(k.stopReason, null);
  assert.deepEqual(k.faults, []);
  assert.ok(k.finished, 'the root exited');
  assert.deepEqual(results, { offline: 0, again: 0, bsp: EPERM, bad: EINVAL, online: 0, after: 2 });
  // No work or wakeup lost: 3 computers x 30 chunks, 2 sleepers x 2 wakeups.
  assert.equal(counts.chunks, 90);
  assert.equal(counts.wakeups, 4);
  const hp = k.hotplug;
  assert.equal(hp.offlines.length, 1);
  const r = hp.offlines[0]!;
  // At 1 ms the three computers share CPU 2 (one running, two queued): all three move; the two
  // sleepers' hrtimers move to CPU 0's queue; all five masks named only CPU 2.
  assert.equal(r.threadsMigrated, 3);
  assert.equal(r.timersMoved, 2);
  assert.equal(r.affinityBroken, 5);
  assert.equal(r.vectorsMoved, 0); // no device vector domain on this machine
  assert.equal(hp.log.length, 5);
  assert.match(hp.log[0]!, /^process 1 \(tid \d+\) no longer affine to cpu2$/);
  // The CPU's tick stopped: no tick and no thread on it while offline.
  assert.equal(hp.offlineTicks, 0);
  assert.equal(switchesWhileOff, 0);
  assert.equal(hp.onlines, 1);
  assert.deepEqual([...hp.online], [1, 1, 1, 1]);
  // Offline from the call to the online call: the 10 ms sleep, up to its 50 us timer slack, and
  // the three refused calls between (a few us).
  const endNs = machine.board.engine.nowNs;
  const offNs = endNs - hp.onlineTimeNs(2, endNs);
  assert.ok(
    offNs >= 10 * MS && offNs < 10 * MS + DEFAULT_TIMER_SLACK_NS + 20 * US,
    `offline for ${offNs} ns`,
  );
});

test('hotplug: the last online CPU is refused with EBUSY', () => {
  const results: number[] = [];
  runGuest(
    function* (t) {
      results.push(yield* setOnline(t, 1, false));
      results.push(yield* setOnline(t, 0, false));
      results.push(yield* sched_getcpu(t));
      results.push(yield* setOnline(t, 1, true));
      return 0;
    },
    null,
    { ...FAIR, cpus: 2 },
  );
  assert.deepEqual(results, [0, EBUSY, 0, 0]);
});

test('hotplug: the Redox baseline (dwrr) has no CPU hotplug: EOPNOTSUPP, nothing changes', () => {
  const results: number[] = [];
  const r = runGuest(
    function* (t) {
      results.push(yield* setOnline(t, 1, false));
      results.push(yield* setOnline(t, 1, true));
      return 0;
    },
    null,
    { policy: 'dwrr', cpus: 2 },
  );
  assert.deepEqual(results, [ENOTSUP, ENOTSUP]);
  assert.deepEqual([...r.kernel.hotplug.online], [1, 1]);
  assert.equal(r.kernel.hotplug.offlines.length, 0);
});

test('hotplug: the /proc/cpu/<n>/online handle reads 1/0 and offlines by a write of 0 (fair); Redox has none', () => {
  const seen: unknown[] = [];
  runGuest(
    function* (t) {
      seen.push(yield* proc_cpu_online(t, 3));
      seen.push(yield* proc_cpu_set_online(t, 3, false));
      seen.push(yield* proc_cpu_online(t, 3));
      seen.push(yield* proc_cpu_set_online(t, 0, false));
      seen.push(yield* proc_cpu_set_online(t, 3, true));
      seen.push(yield* proc_cpu_online(t, 3));
      seen.push(yield* proc_cpu_online(t, 9));
      return 0;
    },
    null,
    FAIR,
  );
  assert.deepEqual(seen, [[0, true], 0, [0, false], EPERM, 0, [0, true], [ENOENT, false]]);
  const baseline: unknown[] = [];
  runGuest(
    function* (t) {
      baseline.push(yield* proc_cpu_set_online(t, 1, false));
      baseline.push(yield* proc_cpu_online(t, 1));
      return 0;
    },
    null,
    { policy: 'dwrr', cpus: 2 },
  );
  assert.deepEqual(baseline, [ENOENT, [ENOENT, false]]);
});
