/**
 * Batched thread creation and the context pool (issue 24, SCHED-12): the pthread conformance
 * subset gives the same results whether the kernel takes three proc-scheme round trips per
 * thread (Redox) or two (batched), in both libcs; the round trips are counted, and the time
 * each step saves is the cost model's difference, exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EAGAIN, EINVAL } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  SYS_PROC_NEW_THREAD,
  SYS_PROC_NEW_THREAD_REGS,
  SYS_PROC_SET_REGS,
  SYS_PROC_START,
} from '../../src/abi/syscalls.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import { CONTEXT_POOL_ENTRY_BYTES } from '../../src/kernel/context-pool.ts';
import type { ProcOptions } from '../../src/kernel/proc-options.ts';
import { PTHREAD_CREATE_DETACHED } from '../../src/libc/layout.ts';
import {
  pthread_attr_init,
  pthread_attr_setaffinity_np,
  pthread_attr_setdetachstate,
  pthread_attr_setstacksize,
  pthread_attr_t,
  pthread_create,
  pthread_join,
} from '../../src/libc/pthread.ts';
import { clock_gettime_ns, sleep_ns } from '../../src/libc/time.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

const MODES: readonly { name: string; proc: ProcOptions | undefined }[] = [
  { name: 'redox (3 round trips)', proc: undefined },
  { name: 'batched (2 round trips)', proc: { threadCreate: 'batched' } },
  { name: 'batched + shm + pool', proc: { threadCreate: 'batched', shm: true, contextPool: 4 } },
];

/** The conformance subset: values through join, detached threads, and each creation error. */
function* subset(t: Guest, out: unknown[]) {
  const handles: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [err, th] = yield* pthread_create(
      t,
      null,
      function* (_c, arg) {
        return (arg as number) * 10;
      },
      i + 1,
    );
    out.push(err);
    handles.push(th);
  }
  for (const th of handles) out.push(yield* pthread_join(t, th));
  const detached = new pthread_attr_t();
  pthread_attr_init(detached);
  pthread_attr_setdetachstate(detached, PTHREAD_CREATE_DETACHED);
  out.push(
    (yield* pthread_create(
      t,
      detached,
      function* () {
        return 0;
      },
      null,
    ))[0],
  );
  out.push(
    (yield* pthread_create(
      t,
      new pthread_attr_t(),
      function* () {
        return 0;
      },
      null,
    ))[0],
  );
  const huge = new pthread_attr_t();
  pthread_attr_init(huge);
  pthread_attr_setstacksize(huge, 1 << 30); // more than the machine's 256 MiB: the mmap fails
  out.push(
    (yield* pthread_create(
      t,
      huge,
      function* () {
        return 0;
      },
      null,
    ))[0],
  );
  const nowhere = new pthread_attr_t();
  pthread_attr_init(nowhere);
  pthread_attr_setaffinity_np(nowhere, [7]); // the machine has CPUs 0 and 1
  out.push(
    (yield* pthread_create(
      t,
      nowhere,
      function* () {
        return 0;
      },
      null,
    ))[0],
  );
  // The thread limit (threadsMax 8: the root, and up to 7 more live at once).
  const blockers: number[] = [];
  let refused = 0;
  for (let i = 0; i < 9; i++) {
    const [err, th] = yield* pthread_create(
      t,
      null,
      function* (c) {
        yield* sleep_ns(c, 1_000_000);
        return 0;
      },
      null,
    );
    if (err === 0) blockers.push(th);
    else refused = err;
  }
  out.push(blockers.length, refused);
  for (const th of blockers) yield* pthread_join(t, th);
}

const EXPECTED = [0, 0, 0, [0, 10], [0, 20], [0, 30], 0, EINVAL, EAGAIN, EINVAL, 7, EAGAIN];

for (const variant of VARIANTS) {
  for (const mode of MODES) {
    test(`${variant}, ${mode.name}: the pthread_create subset gives the same results and errors`, () => {
      const out: unknown[] = [];
      const run = runLibc(variant, (t) => subset(t, out), {
        threadsMax: 8,
        ...(mode.proc === undefined ? {} : { proc: mode.proc }),
      });
      assert.deepEqual(out, EXPECTED);
      const calls = (nr: number) => run.kernel.stats.syscalls.get(nr) ?? 0;
      // Started threads: 3 + detached 1 + the failed-affinity one (starts only to exit) + 7.
      const created = 12;
      assert.equal(calls(SYS_PROC_START), created);
      if (mode.proc === undefined) {
        assert.equal(calls(SYS_PROC_NEW_THREAD), created + 2, 'two more: the two refused at the limit');
        assert.equal(calls(SYS_PROC_SET_REGS), created);
        assert.equal(calls(SYS_PROC_NEW_THREAD_REGS), 0);
      } else {
        assert.equal(calls(SYS_PROC_NEW_THREAD_REGS), created + 2);
        assert.equal(calls(SYS_PROC_NEW_THREAD) + calls(SYS_PROC_SET_REGS), 0);
      }
    });
  }
}

/** The time one pthread_create takes, its stack reused, on one CPU with no jitter. */
function createNs(proc: ProcOptions | undefined, idleFirst: boolean): number {
  const times: number[] = [];
  runLibc(
    'improved',
    function* (t) {
      const body = function* () {
        return 0;
      };
      const [, warm] = yield* pthread_create(t, null, body, null); // maps the stack the next reuses
      yield* pthread_join(t, warm);
      if (idleFirst) yield* sleep_ns(t, 1_000_000); // the CPU idles: a pool refills
      const before = yield* clock_gettime_ns(t);
      const [err, th] = yield* pthread_create(t, null, body, null);
      times.push((yield* clock_gettime_ns(t)) - before);
      assert.equal(err, 0);
      yield* pthread_join(t, th);
    },
    { cpus: 1, costs: { computeJitterPpm: 0 }, ...(proc === undefined ? {} : { proc }) },
  );
  return times[0]!;
}

test('each step saves what the cost model says: a round trip, the register copy, the context allocation', () => {
  const c = resolveCostModel({});
  const redox = createNs(undefined, false);
  const batched = createNs({ threadCreate: 'batched' }, false);
  const shm = createNs({ threadCreate: 'batched', shm: true }, false);
  const pooled = createNs({ threadCreate: 'batched', shm: true, contextPool: 2 }, true);
  const pooledNoIdle = createNs({ threadCreate: 'batched', shm: true, contextPool: 2 }, false);
  const shmIdle = createNs({ threadCreate: 'batched', shm: true }, true);
  // Batching drops one round trip and its system call but copies the registers with the request.
  assert.equal(redox - batched, c.schemeCallNs + c.syscallNs - c.procRegsCopyNs);
  assert.equal(batched - shm, c.procRegsCopyNs);
  // A pooled context pays the pop instead of the allocation, once the idle CPU has refilled.
  assert.equal(shmIdle - pooled, c.contextAllocNs - c.contextPoolTakeNs);
  assert.ok(pooledNoIdle <= shm, 'with no idle time before it, the pool may be empty: full cost at most');
});

test('an empty pool falls back to the full setup: one pooled context, then two creations that miss', () => {
  const c = resolveCostModel({});
  const times: number[] = [];
  const run = runLibc(
    'improved',
    function* (t) {
      const body = function* () {
        return 0;
      };
      const warm: number[] = []; // three stacks mapped, which the three creations reuse
      for (let i = 0; i < 3; i++) warm.push((yield* pthread_create(t, null, body, null))[1]);
      for (const th of warm) yield* pthread_join(t, th);
      yield* sleep_ns(t, 1_000_000); // the CPU idles: its pool of one refills
      const handles: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = yield* clock_gettime_ns(t);
        const [err, th] = yield* pthread_create(t, null, body, null);
        times.push((yield* clock_gettime_ns(t)) - before);
        assert.equal(err, 0);
        handles.push(th);
      }
      for (const th of handles) yield* pthread_join(t, th);
    },
    { cpus: 1, costs: { computeJitterPpm: 0 }, proc: { threadCreate: 'batched', shm: true, contextPool: 1 } },
  );
  const pool = run.kernel.contextPool;
  // The pooled creation pays the pop, the next two the allocation: nothing refilled between them.
  assert.equal(times[1]! - times[0]!, c.contextAllocNs - c.contextPoolTakeNs);
  assert.equal(times[2], times[1]);
  // Misses: the three warm-up creations (no idle yet) and the two after the pool's one context.
  assert.deepEqual([pool.hits, pool.misses, pool.refills], [1, 5, 1]);
  assert.equal(pool.peakBytesHeld, CONTEXT_POOL_ENTRY_BYTES, 'the memory reported: one context held');
});
