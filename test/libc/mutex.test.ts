/** The first-form pthread mutex (three-state futex word) and condition variable, on 4 CPUs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AtomicOp, type Program } from '../../src/abi/effects.ts';
import { EAGAIN, EBUSY, EDEADLK, EINVAL, EPERM, ETIMEDOUT } from '../../src/abi/errno.ts';
import { CLOCK_MONOTONIC, CLOCK_REALTIME } from '../../src/abi/syscalls.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { malloc } from '../../src/libc/malloc.ts';
import {
  pthread_cond_broadcast,
  pthread_cond_new,
  pthread_cond_signal,
  pthread_cond_wait,
} from '../../src/libc/cond.ts';
import {
  MUTEX_COUNT,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
  PTHREAD_PROCESS_SHARED,
} from '../../src/libc/layout.ts';
import {
  pthread_mutex_destroy,
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_clocklock,
  pthread_mutex_timedlock,
  pthread_mutexattr_destroy,
  pthread_mutexattr_getpshared,
  pthread_mutexattr_gettype,
  pthread_mutexattr_init,
  pthread_mutexattr_setpshared,
  pthread_mutexattr_settype,
  pthread_mutexattr_t,
  pthread_mutex_trylock,
  pthread_mutex_unlock,
} from '../../src/libc/mutex.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { clock_gettime_ns, deadline_after, sleep_ns, timespec_at } from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';
import { runLibc } from '../support/libc.ts';

interface Shared {
  mutex: number;
  counter: number;
  rounds: number;
}

/** A non-atomic read-compute-write: only the mutex keeps increments from being lost. */
function* incrementer(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  for (let i = 0; i < s.rounds; i++) {
    yield* pthread_mutex_lock(t, s.mutex);
    const value = t.load32(s.counter);
    yield t.compute(300); // the critical section takes time, so other CPUs do contend
    t.store32(s.counter, value + 1);
    yield* pthread_mutex_unlock(t, s.mutex);
  }
  return 0;
}

for (const policy of ['fair', 'dwrr'] as const) {
  test(`the mutex loses no increment among 4 threads on 4 CPUs (${policy})`, () => {
    let final = -1;
    let word = -1;
    const run = runGuest(
      function* (t) {
        const s: Shared = { mutex: yield* pthread_mutex_new(t), counter: yield* malloc(t, 4), rounds: 500 };
        const threads: pthread_t[] = [];
        for (let i = 0; i < 4; i++) threads.push((yield* pthread_create(t, null, incrementer, s))[1]);
        for (const th of threads) yield* pthread_join(t, th);
        final = t.load32(s.counter);
        word = t.load32(s.mutex);
        return 0;
      },
      null,
      { policy, cpus: 4 },
    );
    assert.equal(run.kernel.finished, true);
    assert.equal(final, 2000);
    assert.equal(word, 0, 'the mutex word is 0 (free) at the end');
    assert.ok(run.kernel.futex.counts.wait > 0, 'the lock was contended: some lockers slept on the futex');
  });
}

test('trylock on a held mutex returns EBUSY and takes it when free', () => {
  const results: number[] = [];
  runGuest(function* (t) {
    const m = yield* pthread_mutex_new(t);
    results.push(yield* pthread_mutex_trylock(t, m));
    results.push(yield* pthread_mutex_trylock(t, m));
    yield* pthread_mutex_unlock(t, m);
    results.push(yield* pthread_mutex_trylock(t, m));
    return 0;
  }, null);
  assert.deepEqual(results, [0, EBUSY, 0]);
});

interface Gate {
  mutex: number;
  cond: number;
  ready: number;
  woken: number;
}

function* waiter(t: Guest, raw: unknown): Program<number> {
  const g = raw as Gate;
  yield* pthread_mutex_lock(t, g.mutex);
  while (t.load32(g.ready) === 0) yield* pthread_cond_wait(t, g.cond, g.mutex);
  t.store32(g.woken, t.load32(g.woken) + 1);
  t.store32(g.ready, t.load32(g.ready) - 1);
  yield* pthread_mutex_unlock(t, g.mutex);
  return 0;
}

test('a signal lets exactly one waiter through and a broadcast lets the rest through', () => {
  const seen: number[] = [];
  const run = runGuest(
    function* (t) {
      const g: Gate = {
        mutex: yield* pthread_mutex_new(t),
        cond: yield* pthread_cond_new(t),
        ready: yield* malloc(t, 4),
        woken: yield* malloc(t, 4),
      };
      const threads: pthread_t[] = [];
      for (let i = 0; i < 3; i++) threads.push((yield* pthread_create(t, null, waiter, g))[1]);
      yield t.compute(3_000_000); // let all three block on the condition
      yield* pthread_mutex_lock(t, g.mutex);
      t.store32(g.ready, 1);
      yield* pthread_cond_signal(t, g.cond);
      yield* pthread_mutex_unlock(t, g.mutex);
      yield t.compute(3_000_000);
      seen.push((yield t.atomic(AtomicOp.Load, g.woken)) as number);
      yield* pthread_mutex_lock(t, g.mutex);
      t.store32(g.ready, 2);
      yield* pthread_cond_broadcast(t, g.cond);
      yield* pthread_mutex_unlock(t, g.mutex);
      for (const th of threads) yield* pthread_join(t, th);
      seen.push(t.load32(g.woken));
      return 0;
    },
    null,
    { cpus: 2 },
  );
  assert.equal(run.kernel.finished, true);
  assert.deepEqual(seen, [1, 3]);
});

function kindAttr(type: number): pthread_mutexattr_t {
  const a = new pthread_mutexattr_t();
  pthread_mutexattr_init(a);
  assert.equal(pthread_mutexattr_settype(a, type), 0);
  return a;
}

test('mutexattr settype/gettype and pshared check their values', () => {
  const a = new pthread_mutexattr_t();
  assert.equal(pthread_mutexattr_settype(a, PTHREAD_MUTEX_RECURSIVE), EINVAL, 'not initialised');
  assert.equal(pthread_mutexattr_init(a), 0);
  assert.deepEqual(pthread_mutexattr_gettype(a), [0, PTHREAD_MUTEX_NORMAL]);
  assert.equal(pthread_mutexattr_settype(a, 3), EINVAL);
  assert.equal(pthread_mutexattr_settype(a, PTHREAD_MUTEX_ERRORCHECK), 0);
  assert.deepEqual(pthread_mutexattr_gettype(a), [0, PTHREAD_MUTEX_ERRORCHECK]);
  assert.equal(pthread_mutexattr_setpshared(a, 2), EINVAL);
  assert.equal(pthread_mutexattr_setpshared(a, PTHREAD_PROCESS_SHARED), 0);
  assert.deepEqual(pthread_mutexattr_getpshared(a), [0, PTHREAD_PROCESS_SHARED]);
  assert.equal(pthread_mutexattr_destroy(a), 0);
  assert.deepEqual(pthread_mutexattr_gettype(a), [EINVAL, 0]);
});

/** What the owner and another thread get from each call on a mutex of `type`. */
function* ownerAndOther(t: Guest, type: number, out: unknown[]): Program<void> {
  const m = yield* pthread_mutex_new(t, kindAttr(type));
  out.push(yield* pthread_mutex_lock(t, m));
  out.push(yield* pthread_mutex_trylock(t, m)); // relock attempts by the owner
  out.push(yield* pthread_mutex_timedlock(t, m, yield* deadline_after(t, CLOCK_REALTIME, 2_000_000)));
  const [, th] = yield* pthread_create(
    t,
    null,
    function* (t2) {
      const r: unknown[] = [];
      r.push(yield* pthread_mutex_trylock(t2, m));
      r.push(yield* pthread_mutex_timedlock(t2, m, yield* deadline_after(t2, CLOCK_REALTIME, 3_000_000)));
      r.push(yield* pthread_mutex_unlock(t2, m)); // not the owner
      return r;
    },
    null,
  );
  out.push((yield* pthread_join(t, th))[1]);
  out.push(pthread_mutex_destroy(t, m));
}

test('normal, recursive and errorcheck mutexes: relock, trylock, timedlock and unlock results (improved)', () => {
  const out: Record<string, unknown[]> = { normal: [], recursive: [], errorcheck: [] };
  runLibc('improved', function* (t) {
    yield* ownerAndOther(t, PTHREAD_MUTEX_RECURSIVE, out.recursive!);
    yield* ownerAndOther(t, PTHREAD_MUTEX_ERRORCHECK, out.errorcheck!);
    // normal: the owner's timedlock waits on itself until the deadline (POSIX: deadlock).
    yield* ownerAndOther(t, PTHREAD_MUTEX_NORMAL, out.normal!);
  });
  // Recursive: lock, trylock, timedlock each add a level; the other thread is refused.
  assert.deepEqual(out.recursive, [0, 0, 0, [EBUSY, ETIMEDOUT, EPERM], EBUSY]);
  assert.deepEqual(out.errorcheck, [0, EBUSY, EDEADLK, [EBUSY, ETIMEDOUT, EPERM], EBUSY]);
  assert.deepEqual(out.normal, [0, EBUSY, ETIMEDOUT, [EBUSY, ETIMEDOUT, 0], 0]);
});

test('relibc keeps its quirks: errorcheck relock EAGAIN, trylock EDEADLK; a normal unlock by anyone (models.md §3)', () => {
  const out: Record<string, unknown[]> = { recursive: [], errorcheck: [] };
  runLibc('relibc', function* (t) {
    yield* ownerAndOther(t, PTHREAD_MUTEX_RECURSIVE, out.recursive!);
    yield* ownerAndOther(t, PTHREAD_MUTEX_ERRORCHECK, out.errorcheck!);
  });
  assert.deepEqual(out.recursive, [0, 0, 0, [EBUSY, ETIMEDOUT, EPERM], EBUSY]);
  assert.deepEqual(out.errorcheck, [0, EDEADLK, EAGAIN, [EBUSY, ETIMEDOUT, EPERM], EBUSY]);
});

for (const variant of ['relibc', 'improved'] as const) {
  test(`a recursive mutex refuses a level past the u32 count with EAGAIN and unlocks level by level (${variant})`, () => {
    const out: number[] = [];
    runLibc(variant, function* (t) {
      const m = yield* pthread_mutex_new(t, kindAttr(PTHREAD_MUTEX_RECURSIVE));
      out.push(yield* pthread_mutex_lock(t, m), yield* pthread_mutex_lock(t, m));
      out.push(t.load32(m + MUTEX_COUNT));
      t.store32(m + MUTEX_COUNT, 0xffffffff); // as if locked 2^32-1 times
      out.push(yield* pthread_mutex_lock(t, m), yield* pthread_mutex_trylock(t, m));
      t.store32(m + MUTEX_COUNT, 2);
      out.push(yield* pthread_mutex_unlock(t, m), pthread_mutex_destroy(t, m));
      out.push(yield* pthread_mutex_unlock(t, m), pthread_mutex_destroy(t, m));
      out.push(yield* pthread_mutex_unlock(t, m)); // not held any more
    });
    assert.deepEqual(out, [0, 0, 2, EAGAIN, EAGAIN, 0, EBUSY, 0, 0, EPERM]);
  });
}

/**
 * Timed locks against abstime values that are not a time or already past, in each libc's own
 * order: glibc (improved) tries the lock first, so a free mutex is taken (0) whatever the
 * abstime; a held one gets EINVAL for a bad tv_nsec (the kernel's timespec64_valid) and
 * ETIMEDOUT at once for a past deadline, realtime or monotonic, and for a negative tv_sec
 * (libc's own check). relibc converts the realtime deadline before anything else
 * (timespec_realtime_to_monotonic), so a past one is ETIMEDOUT even on a free mutex.
 * "At once": within 60 us of the call (the 50 us timer slack and a few syscall and switch
 * costs), where a tick-timed wait would take most of a 1 ms tick or a 4 ms PIT tick.
 */
const AT_ONCE_NS = 60_000;

function* timedlockCases(t: Guest, m: number, out: unknown[]): Program<void> {
  const started = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
  const cases: [string, Program<number>][] = [
    ['bad tv_nsec', timespec_at(t, 0, 1_000_000_000)],
    ['past realtime', deadline_after(t, CLOCK_REALTIME, -1_000_000_000)],
    ['epoch + 1 us', timespec_at(t, 0, 1000)],
    ['negative tv_sec', timespec_at(t, -1, 0)],
  ];
  for (const [name, abstime] of cases) {
    const before = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    const r = yield* pthread_mutex_timedlock(t, m, yield* abstime);
    const tookNs = (yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - before;
    out.push(`${name}: ${r}${tookNs < AT_ONCE_NS ? '' : ` after ${tookNs} ns`}`);
    if (r === 0) yield* pthread_mutex_unlock(t, m);
  }
  const past = yield* deadline_after(t, CLOCK_MONOTONIC, -started);
  const r = yield* pthread_mutex_clocklock(t, m, CLOCK_MONOTONIC, past);
  out.push(`past monotonic: ${r}`);
  if (r === 0) yield* pthread_mutex_unlock(t, m);
}

for (const variant of ['relibc', 'improved'] as const) {
  test(`timedlock with a bad or past abstime on a free and on a held mutex, in the libc's order (${variant})`, () => {
    const free: unknown[] = [];
    const held: unknown[] = [];
    runLibc(variant, function* (t) {
      const m = yield* pthread_mutex_new(t);
      yield* timedlockCases(t, m, free);
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          yield* pthread_mutex_lock(t2, m);
          yield* sleep_ns(t2, 10_000_000);
          yield* pthread_mutex_unlock(t2, m);
          return 0;
        },
        null,
      );
      yield* sleep_ns(t, 1_000_000);
      yield* timedlockCases(t, m, held);
      held.push(`lock: ${yield* pthread_mutex_lock(t, m)}`);
      yield* pthread_join(t, th);
    });
    if (variant === 'improved') {
      assert.deepEqual(free, [
        'bad tv_nsec: 0',
        'past realtime: 0',
        'epoch + 1 us: 0',
        'negative tv_sec: 0',
        'past monotonic: 0',
      ]);
    } else {
      const etimedout = `${ETIMEDOUT}`;
      assert.deepEqual(free, [
        `bad tv_nsec: ${EINVAL}`,
        `past realtime: ${etimedout}`,
        `epoch + 1 us: ${etimedout}`,
        `negative tv_sec: ${etimedout}`,
        'past monotonic: 0',
      ]);
    }
    assert.deepEqual(held.slice(0, 4), [
      `bad tv_nsec: ${EINVAL}`,
      `past realtime: ${ETIMEDOUT}`,
      `epoch + 1 us: ${ETIMEDOUT}`,
      `negative tv_sec: ${ETIMEDOUT}`,
    ]);
    // relibc hands a monotonic deadline to Redox as is: ETIMEDOUT when a switch finds it past.
    assert.equal(held[4], `past monotonic: ${ETIMEDOUT}`);
    assert.equal(held[5], 'lock: 0');
  });
}

test('relibc calls futex_wake on every unlock; the improved mutex only when there are waiters (models.md §3)', () => {
  const counts: Record<string, number> = {};
  for (const variant of ['relibc', 'improved'] as const) {
    const run = runLibc(variant, function* (t) {
      const m = yield* pthread_mutex_new(t);
      for (let i = 0; i < 10; i++) {
        yield* pthread_mutex_lock(t, m);
        yield* pthread_mutex_unlock(t, m);
      }
    });
    counts[variant] = run.kernel.futex.counts.wake;
  }
  assert.deepEqual(counts, { relibc: 10, improved: 0 });
});
