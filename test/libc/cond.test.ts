/** Condition variables (LIBC-3, FUTEX-3): signal one, broadcast by requeue, clocks, timeouts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EINVAL, EPERM, ETIMEDOUT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME } from '../../src/abi/syscalls.ts';
import {
  pthread_cond_broadcast,
  pthread_cond_clockwait,
  pthread_cond_new,
  pthread_cond_signal,
  pthread_cond_timedwait,
  pthread_cond_wait,
  pthread_condattr_getclock,
  pthread_condattr_init,
  pthread_condattr_setclock,
  pthread_condattr_t,
} from '../../src/libc/cond.ts';
import { PTHREAD_MUTEX_ERRORCHECK } from '../../src/libc/layout.ts';
import { malloc } from '../../src/libc/malloc.ts';
import {
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_unlock,
  pthread_mutexattr_init,
  pthread_mutexattr_settype,
  pthread_mutexattr_t,
} from '../../src/libc/mutex.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import { clock_gettime_ns, deadline_after, sleep_ns, timespec_at } from '../../src/libc/time.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

test('condattr_setclock takes CLOCK_REALTIME and CLOCK_MONOTONIC only', () => {
  const a = new pthread_condattr_t();
  pthread_condattr_init(a);
  assert.deepEqual(pthread_condattr_getclock(a), [0, CLOCK_REALTIME]);
  assert.equal(pthread_condattr_setclock(a, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
  assert.equal(pthread_condattr_setclock(a, CLOCK_MONOTONIC), 0);
  assert.deepEqual(pthread_condattr_getclock(a), [0, CLOCK_MONOTONIC]);
});

interface Herd {
  m: number;
  c: number;
  /** Waiters done; each decrements `tokens` if it is positive, else waits again. */
  tokens: number;
  done: number;
  resleeps: number[];
}

function* herdWaiter(t: Guest, raw: unknown): Program<number> {
  const h = raw as Herd;
  yield* pthread_mutex_lock(t, h.m);
  while (t.load32(h.tokens) === 0) {
    yield* pthread_cond_wait(t, h.c, h.m);
    if (t.load32(h.tokens) === 0) h.resleeps.push(t.tid);
  }
  t.store32(h.tokens, t.load32(h.tokens) - 1);
  t.store32(h.done, t.load32(h.done) + 1);
  yield* pthread_mutex_unlock(t, h.m);
  return 0;
}

for (const variant of VARIANTS) {
  test(`signal lets one of 8 waiters through; broadcast the rest (${variant})`, () => {
    const seen: number[] = [];
    let resleeps = -1;
    const run = runLibc(
      variant,
      function* (t) {
        const h: Herd = {
          m: yield* pthread_mutex_new(t),
          c: yield* pthread_cond_new(t),
          tokens: yield* malloc(t, 4),
          done: yield* malloc(t, 4),
          resleeps: [],
        };
        const threads: number[] = [];
        for (let i = 0; i < 8; i++) threads.push((yield* pthread_create(t, null, herdWaiter, h))[1]);
        yield* sleep_ns(t, 5_000_000);
        yield* pthread_mutex_lock(t, h.m);
        t.store32(h.tokens, 1);
        yield* pthread_cond_signal(t, h.c);
        yield* pthread_mutex_unlock(t, h.m);
        yield* sleep_ns(t, 5_000_000);
        seen.push(t.load32(h.done));
        yield* pthread_mutex_lock(t, h.m);
        t.store32(h.tokens, 7);
        yield* pthread_cond_broadcast(t, h.c);
        yield* pthread_mutex_unlock(t, h.m);
        for (const th of threads) yield* pthread_join(t, th);
        seen.push(t.load32(h.done));
        resleeps = h.resleeps.length;
      },
      { cpus: 4 },
    );
    assert.deepEqual(seen, [1, 8]);
    // relibc's signal is a broadcast: the 7 others wake, find no token and sleep again.
    assert.equal(resleeps, variant === 'relibc' ? 7 : 0);
    if (variant === 'improved') {
      assert.equal(run.kernel.futex.counts.requeue, 1, 'the broadcast was one CMP_REQUEUE');
      assert.equal(run.kernel.futex.counts.requeued, 6, 'it woke one and moved six onto the mutex');
    }
  });

  test(`timedwait: ETIMEDOUT on its clock, EINVAL for a bad abstime, EPERM without the errorcheck mutex (${variant})`, () => {
    const out: number[] = [];
    runLibc(variant, function* (t) {
      const a = new pthread_condattr_t();
      pthread_condattr_init(a);
      pthread_condattr_setclock(a, CLOCK_MONOTONIC);
      const mono = yield* pthread_cond_new(t, a);
      const real = yield* pthread_cond_new(t);
      const ma = new pthread_mutexattr_t();
      pthread_mutexattr_init(ma);
      pthread_mutexattr_settype(ma, PTHREAD_MUTEX_ERRORCHECK);
      const m = yield* pthread_mutex_new(t, ma);
      yield* pthread_mutex_lock(t, m);
      const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
      out.push(
        yield* pthread_cond_timedwait(t, mono, m, yield* deadline_after(t, CLOCK_MONOTONIC, 3_000_000)),
      );
      const waited = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
      out.push(waited >= 3_000_000 && waited < 8_000_000 ? 1 : 0);
      out.push(
        yield* pthread_cond_timedwait(t, real, m, yield* deadline_after(t, CLOCK_REALTIME, 2_000_000)),
      );
      out.push(yield* pthread_cond_timedwait(t, real, m, yield* timespec_at(t, 0, 1_000_000_000)));
      yield* pthread_mutex_unlock(t, m);
      out.push(
        yield* pthread_cond_timedwait(t, real, m, yield* deadline_after(t, CLOCK_REALTIME, 1_000_000_000)),
      );
    });
    // relibc unlocks through its own errorcheck check too: EPERM from both.
    assert.deepEqual(out, [ETIMEDOUT, 1, ETIMEDOUT, EINVAL, EPERM]);
  });
}

/**
 * A deadline already past ends a timed wait at once with ETIMEDOUT, the mutex held again:
 * glibc passes it to FUTEX_WAIT_BITSET, whose hrtimer fires as it is armed (a negative tv_sec
 * glibc answers itself); relibc's timespec_realtime_to_monotonic answers a past realtime one
 * before any futex call. "At once": within 60 us (syscalls, a switch, the 50 us slack at most).
 */
for (const variant of VARIANTS) {
  test(`a timedwait whose deadline has passed returns ETIMEDOUT at once, holding the mutex (${variant})`, () => {
    const out: string[] = [];
    runLibc(variant, function* (t) {
      const ma = new pthread_mutexattr_t();
      pthread_mutexattr_init(ma);
      pthread_mutexattr_settype(ma, PTHREAD_MUTEX_ERRORCHECK);
      const m = yield* pthread_mutex_new(t, ma);
      const c = yield* pthread_cond_new(t);
      yield* pthread_mutex_lock(t, m);
      const cases: [string, number, Program<number>][] = [
        ['1970', CLOCK_REALTIME, timespec_at(t, 0, 0)],
        ['a second ago', CLOCK_REALTIME, deadline_after(t, CLOCK_REALTIME, -1_000_000_000)],
        ['negative tv_sec', CLOCK_REALTIME, timespec_at(t, -1, 500)],
        ['monotonic 1 us', CLOCK_MONOTONIC, timespec_at(t, 0, 1000)],
      ];
      for (const [name, clock, abstime] of cases) {
        const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
        const r = yield* pthread_cond_clockwait(t, c, m, clock, yield* abstime);
        const took = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0;
        out.push(`${name}: ${r}${took < 60_000 ? '' : ` after ${took} ns`}`);
      }
      out.push(`unlock: ${yield* pthread_mutex_unlock(t, m)}`); // errorcheck: 0 only for the owner
    });
    assert.deepEqual(out, [
      `1970: ${ETIMEDOUT}`,
      `a second ago: ${ETIMEDOUT}`,
      `negative tv_sec: ${ETIMEDOUT}`,
      `monotonic 1 us: ${ETIMEDOUT}`,
      'unlock: 0',
    ]);
  });
}
