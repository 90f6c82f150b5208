/**
 * PTHREAD_PRIO_PROTECT mutexes (LIBC-2's priority ceiling) in the improved libc: ceilings on
 * the attribute and the mutex, the caller raised to the ceiling while it holds the mutex (as
 * sched_getparam shows) and restored after, EINVAL when the caller's own priority is above the
 * ceiling or the ceiling is out of range, and the usual error paths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EBUSY, EDEADLK, EINVAL, ENOTSUP, EPERM, ETIMEDOUT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SCHED_FIFO, SCHED_OTHER } from '../../src/abi/sched.ts';
import { CLOCK_REALTIME } from '../../src/abi/syscalls.ts';
import {
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
  PTHREAD_MUTEX_ROBUST,
  PTHREAD_PRIO_PROTECT,
} from '../../src/libc/layout.ts';
import {
  pthread_mutex_destroy,
  pthread_mutex_getprioceiling,
  pthread_mutex_init,
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_setprioceiling,
  pthread_mutex_timedlock,
  pthread_mutex_trylock,
  pthread_mutex_unlock,
  pthread_mutexattr_getprioceiling,
  pthread_mutexattr_init,
  pthread_mutexattr_setprioceiling,
  pthread_mutexattr_setprotocol,
  pthread_mutexattr_setrobust,
  pthread_mutexattr_settype,
  pthread_mutexattr_t,
} from '../../src/libc/mutex.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { pthread_cond_new, pthread_cond_signal, pthread_cond_wait } from '../../src/libc/cond.ts';
import { pthread_create, pthread_join } from '../../src/libc/pthread.ts';
import { sched_getparam, sched_getscheduler, sched_setscheduler } from '../../src/libc/sched.ts';
import { deadline_after, sleep_ns } from '../../src/libc/time.ts';
import { runLibc } from '../support/libc.ts';

const MS = 1_000_000;

function ppAttr(ceiling: number, type = PTHREAD_MUTEX_NORMAL): pthread_mutexattr_t {
  const a = new pthread_mutexattr_t();
  pthread_mutexattr_init(a);
  assert.equal(pthread_mutexattr_settype(a, type), 0);
  assert.equal(pthread_mutexattr_setprotocol(a, PTHREAD_PRIO_PROTECT), 0);
  assert.equal(pthread_mutexattr_setprioceiling(a, ceiling), 0);
  return a;
}

function* priority(t: Guest): Program<string> {
  const policy = yield* sched_getscheduler(t, 0);
  const [, param] = yield* sched_getparam(t, 0);
  return `${policy === SCHED_FIFO ? 'fifo' : policy}/${param?.sched_priority}`;
}

/** Runs `body` in a thread that made itself SCHED_FIFO at `prio` (or stays OTHER for 0). */
function* asThread(t: Guest, prio: number, body: (t: Guest) => Program<unknown>): Program<unknown> {
  const [, th] = yield* pthread_create(
    t,
    null,
    function* (t2) {
      if (prio > 0) {
        const r = yield* sched_setscheduler(t2, 0, SCHED_FIFO, { sched_priority: prio });
        if (r !== 0) throw new Error('sched_setscheduler failed');
      }
      return yield* body(t2);
    },
    null,
  );
  return (yield* pthread_join(t, th))[1];
}

test('mutexattr setprioceiling/getprioceiling: 1..99, default 1; robust + PROTECT is ENOTSUP', () => {
  const a = new pthread_mutexattr_t();
  assert.equal(pthread_mutexattr_setprioceiling(a, 10), EINVAL, 'not initialised');
  pthread_mutexattr_init(a);
  assert.deepEqual(pthread_mutexattr_getprioceiling(a), [0, 1]);
  assert.equal(pthread_mutexattr_setprioceiling(a, 0), EINVAL);
  assert.equal(pthread_mutexattr_setprioceiling(a, 100), EINVAL);
  assert.equal(pthread_mutexattr_setprioceiling(a, 1.5), EINVAL);
  assert.equal(pthread_mutexattr_setprioceiling(a, 99), 0);
  assert.deepEqual(pthread_mutexattr_getprioceiling(a), [0, 99]);
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const robust = ppAttr(20);
    pthread_mutexattr_setrobust(robust, PTHREAD_MUTEX_ROBUST);
    const m = yield* malloc(t, 32);
    out.push(pthread_mutex_init(t, m, robust));
  });
  assert.deepEqual(out, [ENOTSUP]);
});

test('locking raises a FIFO thread to the ceiling, nested ceilings take the highest, unlocking restores', () => {
  let seen: unknown = null;
  runLibc('improved', function* (t) {
    const m40 = yield* pthread_mutex_new(t, ppAttr(40));
    const m60 = yield* pthread_mutex_new(t, ppAttr(60));
    seen = yield* asThread(t, 10, function* (t2) {
      const log: unknown[] = [yield* priority(t2)];
      log.push(yield* pthread_mutex_lock(t2, m40), yield* priority(t2));
      log.push(yield* pthread_mutex_lock(t2, m60), yield* priority(t2));
      log.push(yield* pthread_mutex_unlock(t2, m60), yield* priority(t2));
      log.push(yield* pthread_mutex_unlock(t2, m40), yield* priority(t2));
      return log;
    });
  });
  assert.deepEqual(seen, ['fifo/10', 0, 'fifo/40', 0, 'fifo/60', 0, 'fifo/40', 0, 'fifo/10']);
});

test("EINVAL when the caller's own priority is above the ceiling, and for a SCHED_OTHER caller (glibc's sched_setscheduler in its own policy)", () => {
  const seen: unknown[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, ppAttr(40));
    seen.push(
      yield* asThread(t, 50, function* (t2) {
        return [yield* pthread_mutex_lock(t2, m), yield* pthread_mutex_trylock(t2, m), yield* priority(t2)];
      }),
    );
    seen.push(
      yield* asThread(t, 0, function* (t2) {
        return [yield* pthread_mutex_lock(t2, m), (yield* sched_getscheduler(t2, 0)) === SCHED_OTHER];
      }),
    );
    seen.push(
      yield* asThread(t, 40, function* (t2) {
        return [yield* pthread_mutex_lock(t2, m), yield* priority(t2), yield* pthread_mutex_unlock(t2, m)];
      }),
    );
  });
  assert.deepEqual(seen, [
    [EINVAL, EINVAL, 'fifo/50'],
    [EINVAL, true],
    [0, 'fifo/40', 0],
  ]);
});

test('PRIO_PROTECT per type: relock, trylock, timedlock, non-owner unlock, destroy', () => {
  const out: Record<string, unknown> = {};
  runLibc('improved', function* (t) {
    for (const [name, type] of [
      ['recursive', PTHREAD_MUTEX_RECURSIVE],
      ['errorcheck', PTHREAD_MUTEX_ERRORCHECK],
      ['normal', PTHREAD_MUTEX_NORMAL],
    ] as const) {
      const m = yield* pthread_mutex_new(t, ppAttr(30, type));
      out[name] = yield* asThread(t, 5, function* (t2) {
        const o: unknown[] = [yield* pthread_mutex_lock(t2, m), yield* pthread_mutex_trylock(t2, m)];
        o.push(yield* pthread_mutex_timedlock(t2, m, yield* deadline_after(t2, CLOCK_REALTIME, 2 * MS)));
        o.push(
          yield* asThread(t2, 5, function* (t3) {
            return [
              yield* pthread_mutex_trylock(t3, m),
              yield* pthread_mutex_timedlock(t3, m, yield* deadline_after(t3, CLOCK_REALTIME, 2 * MS)),
              yield* pthread_mutex_unlock(t3, m),
              yield* priority(t3), // back to its own after the failed attempts
            ];
          }),
        );
        o.push(pthread_mutex_destroy(t2, m));
        return o;
      });
    }
  });
  assert.deepEqual(out.recursive, [0, 0, 0, [EBUSY, ETIMEDOUT, EPERM, 'fifo/5'], EBUSY]);
  assert.deepEqual(out.errorcheck, [0, EDEADLK, EDEADLK, [EBUSY, ETIMEDOUT, EPERM, 'fifo/5'], EBUSY]);
  assert.deepEqual(out.normal, [0, EBUSY, ETIMEDOUT, [EBUSY, ETIMEDOUT, EPERM, 'fifo/5'], EBUSY]);
});

test('a contended PRIO_PROTECT mutex passes to its waiter; each holder runs at the ceiling', () => {
  const log: string[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, ppAttr(70));
    const [, a] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* sched_setscheduler(t2, 0, SCHED_FIFO, { sched_priority: 20 });
        yield* pthread_mutex_lock(t2, m);
        log.push(`a holds at ${yield* priority(t2)}`);
        yield* sleep_ns(t2, 2 * MS);
        yield* pthread_mutex_unlock(t2, m);
        log.push(`a after ${yield* priority(t2)}`);
        return 0;
      },
      null,
    );
    yield* sleep_ns(t, MS / 2);
    const [, b] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* sched_setscheduler(t2, 0, SCHED_FIFO, { sched_priority: 30 });
        log.push(`b lock=${yield* pthread_mutex_lock(t2, m)} at ${yield* priority(t2)}`);
        yield* pthread_mutex_unlock(t2, m);
        log.push(`b after ${yield* priority(t2)}`);
        return 0;
      },
      null,
    );
    yield* pthread_join(t, a);
    yield* pthread_join(t, b);
  });
  // b (FIFO 30) blocks on the held mutex; a's unlock wakes it, and a lowers itself first.
  assert.deepEqual(log, ['a holds at fifo/70', 'a after fifo/20', 'b lock=0 at fifo/70', 'b after fifo/30']);
});

test('pthread_mutex_getprioceiling/setprioceiling: old value, range, non-PP EINVAL, errorcheck EDEADLK, held recursive re-raises', () => {
  const out: unknown[] = [];
  runLibc('improved', function* (t) {
    const plain = yield* pthread_mutex_new(t);
    out.push(pthread_mutex_getprioceiling(t, plain), yield* pthread_mutex_setprioceiling(t, plain, 10));
    const m = yield* pthread_mutex_new(t, ppAttr(25));
    out.push(pthread_mutex_getprioceiling(t, m));
    out.push(yield* pthread_mutex_setprioceiling(t, m, 0), yield* pthread_mutex_setprioceiling(t, m, 100));
    out.push(yield* pthread_mutex_setprioceiling(t, m, 35), pthread_mutex_getprioceiling(t, m));
    const ec = yield* pthread_mutex_new(t, ppAttr(25, PTHREAD_MUTEX_ERRORCHECK));
    const rec = yield* pthread_mutex_new(t, ppAttr(25, PTHREAD_MUTEX_RECURSIVE));
    out.push(
      yield* asThread(t, 5, function* (t2) {
        const o: unknown[] = [
          yield* pthread_mutex_lock(t2, ec),
          yield* pthread_mutex_setprioceiling(t2, ec, 30),
        ];
        o.push(yield* pthread_mutex_unlock(t2, ec));
        o.push(yield* pthread_mutex_lock(t2, rec), yield* priority(t2));
        o.push(yield* pthread_mutex_setprioceiling(t2, rec, 45), yield* priority(t2));
        o.push(yield* pthread_mutex_unlock(t2, rec), yield* priority(t2));
        o.push(yield* pthread_mutex_lock(t2, m), yield* priority(t2), yield* pthread_mutex_unlock(t2, m));
        return o;
      }),
    );
  });
  assert.deepEqual(out, [
    [EINVAL, 0],
    [EINVAL, 0],
    [0, 25],
    [EINVAL, 0],
    [EINVAL, 0],
    [0, 25],
    [0, 35],
    [0, [EDEADLK, 0], 0, 0, 'fifo/25', [0, 25], 'fifo/45', 0, 'fifo/5', 0, 'fifo/35', 0],
  ]);
});

test('pthread_cond_wait with a PRIO_PROTECT mutex drops the ceiling while it sleeps and takes it again', () => {
  const seen: string[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, ppAttr(40));
    const c = yield* pthread_cond_new(t);
    const tid = yield* malloc(t, 4);
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* sched_setscheduler(t2, 0, SCHED_FIFO, { sched_priority: 10 });
        t2.store32(tid, t2.tid);
        yield* pthread_mutex_lock(t2, m);
        seen.push(`before ${yield* priority(t2)}`);
        const r = yield* pthread_cond_wait(t2, c, m);
        seen.push(`woke=${r} at ${yield* priority(t2)}`);
        yield* pthread_mutex_unlock(t2, m);
        seen.push(`after ${yield* priority(t2)}`);
        return 0;
      },
      null,
    );
    yield* sleep_ns(t, 2 * MS);
    const [, param] = yield* sched_getparam(t, t.load32(tid));
    seen.push(`asleep fifo/${param?.sched_priority}`);
    yield* pthread_cond_signal(t, c);
    yield* pthread_join(t, th);
  });
  assert.deepEqual(seen, ['before fifo/40', 'asleep fifo/10', 'woke=0 at fifo/40', 'after fifo/10']);
});
