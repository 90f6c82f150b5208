/**
 * The improved kernel's high-resolution timers (kernel/hrtimer.ts): a timed wait ends at its
 * expiry plus the thread's timer slack (50 us under SCHED_OTHER, none under SCHED_FIFO), a
 * timer whose slack window holds an earlier interrupt rides it (__hrtimer_run_queues), and a
 * throttled SCHED_DEADLINE server is replenished at its period's start (dl_task_timer), not at
 * the tick after it. The baseline's tick-checked timeouts are the contrast.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SCHED_DEADLINE, SCHED_FIFO } from '../../src/abi/sched.ts';
import { CLOCK_MONOTONIC } from '../../src/abi/syscalls.ts';
import { DEFAULT_TIMER_SLACK_NS } from '../../src/kernel/timeout.ts';
import type { TickSourceName } from '../../src/machine/config.ts';
import {
  pthread_attr_init,
  pthread_attr_setaffinity_np,
  pthread_attr_t,
  pthread_create,
  pthread_join,
} from '../../src/libc/pthread.ts';
import { sched_setattr, sched_setscheduler } from '../../src/libc/sched.ts';
import {
  clock_gettime_ns,
  clock_nanosleep,
  TIMER_ABSTIME,
  timespec_new,
  timespecOfNs,
} from '../../src/libc/time.ts';
import { bootGuest, type GuestMachineOptions, runGuest } from '../support/guest.ts';

const US = 1000;
const MS = 1_000_000;

function onCpu(cpu: number): pthread_attr_t {
  const attr = new pthread_attr_t();
  pthread_attr_init(attr);
  pthread_attr_setaffinity_np(attr, [cpu]);
  return attr;
}

/** Sleeps until `atNs` (CLOCK_MONOTONIC, TIMER_ABSTIME); returns how late it woke. */
function* sleepUntil(t: Guest, atNs: number): Program<number> {
  const at = timespecOfNs(atNs);
  const req = yield* timespec_new(t, at.tv_sec, at.tv_nsec);
  const r = yield* clock_nanosleep(t, CLOCK_MONOTONIC, TIMER_ABSTIME, req, 0);
  assert.equal(r, 0);
  return (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - atNs;
}

function run(main: (t: Guest) => Program<number>, options: GuestMachineOptions) {
  const r = runGuest(main, null, {
    cpus: 2,
    futex: { mode: 'linux', shards: 64 },
    costs: { computeJitterPpm: 0 },
    ...options,
  });
  assert.equal(r.kernel.stopReason, null);
  assert.deepEqual(r.kernel.faults, []);
  return r;
}

/** Lateness of one absolute sleep 10.3 ms ahead, alone on CPU 1, under `fifo` or SCHED_OTHER. */
function lateness(fifo: boolean, tick: TickSourceName): number {
  let late = -1;
  run(
    function* (t) {
      const [, th] = yield* pthread_create(
        t,
        onCpu(1),
        function* (g) {
          if (fifo) assert.equal(yield* sched_setscheduler(g, 0, SCHED_FIFO, { sched_priority: 50 }), 0);
          late = yield* sleepUntil(g, (yield* clock_gettime_ns(g, CLOCK_MONOTONIC)) + 10_300 * US);
          return 0;
        },
        null,
      );
      yield* pthread_join(t, th);
      return 0;
    },
    { tick },
  );
  return late;
}

test('hrtimers: a sleep ends at its request plus exactly the 50 us slack under SCHED_OTHER, and none under SCHED_FIFO', () => {
  // Tickless (TSC-deadline) and on an idle CPU nothing else interrupts: the one-shot fires at
  // the hard expiry, soft + slack, so the two lateness figures differ by the slack exactly.
  const fifo = lateness(true, 'tsc-deadline');
  const other = lateness(false, 'tsc-deadline');
  assert.equal(other - fifo, DEFAULT_TIMER_SLACK_NS);
  assert.ok(fifo > 0 && fifo < 5 * US, `FIFO woke ${fifo} ns late: interrupt, wake and switch costs only`);
  // Under a periodic tick the hrtimer's own one-shot does the same, whatever the tick source.
  for (const tick of ['lapic', 'pit'] as const) {
    assert.ok(lateness(true, tick) < 5 * US, tick);
    const late = lateness(false, tick);
    assert.ok(late < DEFAULT_TIMER_SLACK_NS + 5 * US, `${tick}: ${late}`);
  }
});

test('hrtimers: a SCHED_OTHER timer whose slack window holds an earlier expiry fires with it', () => {
  // On CPU 1, A (OTHER: 50 us slack) sleeps until T and B (FIFO: none) until T + 20 us. The
  // one-shot fires at B's hard expiry, T + 20 us; the interrupt's walk in hard-expiry order
  // fires B, then A, whose soft expiry T has passed: A wakes 20 us late, not 50.
  const late: number[] = [];
  run(
    function* (t) {
      const T = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) + 5 * MS;
      const [, a] = yield* pthread_create(
        t,
        onCpu(1),
        function* (g) {
          late[0] = yield* sleepUntil(g, T);
          return 0;
        },
        null,
      );
      const [, b] = yield* pthread_create(
        t,
        onCpu(1),
        function* (g) {
          assert.equal(yield* sched_setscheduler(g, 0, SCHED_FIFO, { sched_priority: 50 }), 0);
          late[1] = (yield* sleepUntil(g, T + 20 * US)) + 20 * US;
          return 0;
        },
        null,
      );
      yield* pthread_join(t, a);
      yield* pthread_join(t, b);
      return 0;
    },
    { tick: 'tsc-deadline' },
  );
  const [a, b] = late as [number, number];
  assert.ok(b >= 20 * US && b < 25 * US, `B (from T) ${b}`);
  assert.ok(a > b && a < 30 * US, `A ${a}: after B (which runs first, FIFO), well before its 50 us slack`);
});

/**
 * When a CPU-bound SCHED_DEADLINE server (1 ms every 10 ms, on one CPU: a deadline task's mask
 * must span its root domain, so it is not pinned) is switched in,
 * as offsets into its periods: its first run starts its period; each later one is its
 * replenishment (the server is throttled once its 1 ms is spent, at the tick).
 */
function deadlineStartOffsets(hrtimers: boolean): number[] {
  let tid = -1;
  let setAtNs = 0;
  const machine = bootGuest(
    function* (t) {
      yield* pthread_create(
        t,
        null,
        function* (g) {
          const attr = {
            policy: SCHED_DEADLINE,
            flags: 0,
            nice: 0,
            priority: 0,
            runtimeNs: 1 * MS,
            deadlineNs: 10 * MS,
            periodNs: 10 * MS,
          };
          assert.equal(yield* sched_setattr(g, 0, attr), 0);
          setAtNs = yield* clock_gettime_ns(g, CLOCK_MONOTONIC);
          tid = g.tid;
          for (;;) yield g.compute(30_000); // 10 us chunks
        },
        null,
      );
      yield* clock_nanosleep(t, CLOCK_MONOTONIC, 0, yield* timespec_new(t, 0, 100 * MS), 0);
      return 0;
    },
    null,
    { cpus: 1, futex: { mode: 'linux', shards: 64 }, costs: { computeJitterPpm: 0 }, hrtimers },
  );
  const starts: number[] = [];
  machine.kernel.switchListeners.push((cpuId, prev, next) => {
    if (cpuId === 0 && next.id === tid && prev.id !== tid) starts.push(machine.board.engine.nowNs);
  });
  machine.board.engine.run({ simNsMax: 55 * MS, eventsMax: 2_000_000 });
  assert.equal(machine.kernel.stopReason, null);
  assert.deepEqual(machine.kernel.faults, []);
  // Its first period began as it entered SCHED_DEADLINE, a syscall before `setAtNs`: each
  // replenishment is a whole number of periods after that, give or take a few us.
  const period = 10 * MS;
  return starts.map((at) => ((((at - setAtNs) % period) + period + period / 2) % period) - period / 2);
}

test('hrtimers: a throttled SCHED_DEADLINE server is replenished at its period start, not at the tick after', () => {
  const exact = deadlineStartOffsets(true);
  assert.ok(exact.length >= 4, `${exact.length} replenishments`);
  // dl_task_timer fires at the period boundary: the server runs again a few us after it.
  for (const offset of exact) assert.ok(offset < 5 * US, `replenished ${offset} ns into the period`);
  // Tick-timed, the replenishment waits for the next 1 ms tick: the same offset every period.
  const ticked = deadlineStartOffsets(false);
  assert.ok(ticked.length >= 4);
  for (const offset of ticked)
    assert.ok(offset >= 5 * US && offset < 1 * MS + 5 * US, `tick-timed: ${offset} ns`);
});
