/**
 * PTHREAD_PRIO_INHERIT mutexes (LIBC-2, LIBC-10) in the improved libc: the user-space fast
 * paths, the kernel's LOCK_PI/UNLOCK_PI only under contention, priority boosting of the owner,
 * the error paths per type, robust + PI, and PI condition variables over WAIT_REQUEUE_PI /
 * CMP_REQUEUE_PI. relibc ignores the protocol (models.md §3).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import {
  EBUSY,
  EDEADLK,
  EINVAL,
  ENOTRECOVERABLE,
  EOWNERDEAD,
  EPERM,
  ETIMEDOUT,
} from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SCHED_FIFO } from '../../src/abi/sched.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  FUTEX_OWNER_DIED,
  FUTEX_TID_MASK,
  FUTEX_WAITERS,
} from '../../src/abi/syscalls.ts';
import type { Kernel } from '../../src/kernel/kernel.ts';
import {
  pthread_cond_broadcast,
  pthread_cond_new,
  pthread_cond_signal,
  pthread_cond_timedwait,
  pthread_cond_wait,
} from '../../src/libc/cond.ts';
import {
  MUTEX_COUNT,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
  PTHREAD_MUTEX_ROBUST,
  PTHREAD_PRIO_INHERIT,
  PTHREAD_PRIO_NONE,
  PTHREAD_PRIO_PROTECT,
} from '../../src/libc/layout.ts';
import { malloc } from '../../src/libc/malloc.ts';
import {
  pthread_mutex_clocklock,
  pthread_mutex_consistent,
  pthread_mutex_destroy,
  pthread_mutex_getprioceiling,
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_setprioceiling,
  pthread_mutex_timedlock,
  pthread_mutex_trylock,
  pthread_mutex_unlock,
  pthread_mutexattr_getprotocol,
  pthread_mutexattr_init,
  pthread_mutexattr_setprotocol,
  pthread_mutexattr_setrobust,
  pthread_mutexattr_settype,
  pthread_mutexattr_t,
} from '../../src/libc/mutex.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { sched_setscheduler } from '../../src/libc/sched.ts';
import { deadline_after, sleep_ns } from '../../src/libc/time.ts';
import { bootGuest } from '../support/guest.ts';
import { runLibc } from '../support/libc.ts';

const MS = 1_000_000;

function piAttr(type = PTHREAD_MUTEX_NORMAL, robust = false): pthread_mutexattr_t {
  const a = new pthread_mutexattr_t();
  pthread_mutexattr_init(a);
  assert.equal(pthread_mutexattr_settype(a, type), 0);
  assert.equal(pthread_mutexattr_setprotocol(a, PTHREAD_PRIO_INHERIT), 0);
  if (robust) assert.equal(pthread_mutexattr_setrobust(a, PTHREAD_MUTEX_ROBUST), 0);
  return a;
}

test('mutexattr setprotocol/getprotocol check their values', () => {
  const a = new pthread_mutexattr_t();
  assert.equal(pthread_mutexattr_setprotocol(a, PTHREAD_PRIO_INHERIT), EINVAL, 'not initialised');
  pthread_mutexattr_init(a);
  assert.deepEqual(pthread_mutexattr_getprotocol(a), [0, PTHREAD_PRIO_NONE]);
  assert.equal(pthread_mutexattr_setprotocol(a, 3), EINVAL);
  assert.equal(pthread_mutexattr_setprotocol(a, PTHREAD_PRIO_PROTECT), 0);
  assert.deepEqual(pthread_mutexattr_getprotocol(a), [0, PTHREAD_PRIO_PROTECT]);
  assert.equal(pthread_mutexattr_setprotocol(a, PTHREAD_PRIO_INHERIT), 0);
  assert.deepEqual(pthread_mutexattr_getprotocol(a), [0, PTHREAD_PRIO_INHERIT]);
});

test('an uncontended PI mutex locks and unlocks in user space: the word is the tid, no futex call', () => {
  const out: unknown[] = [];
  const run = runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, piAttr());
    for (let i = 0; i < 5; i++) {
      out.push(yield* pthread_mutex_lock(t, m));
      if (i === 0) out.push(t.load32(m) === t.tid ? 'word=tid' : 'word=?');
      out.push(yield* pthread_mutex_unlock(t, m));
    }
    out.push(t.load32(m));
  });
  assert.deepEqual(out, [0, 'word=tid', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const c = run.kernel.futex.counts;
  assert.deepEqual([c.lock_pi, c.unlock_pi], [0, 0]);
});

test('a contended PI mutex goes through LOCK_PI and is handed to the waiter by UNLOCK_PI', () => {
  const out: string[] = [];
  const run = runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, piAttr());
    yield* pthread_mutex_lock(t, m);
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        const r = yield* pthread_mutex_lock(t2, m);
        const word = t2.load32(m);
        out.push(`waiter lock=${r} owner=${(word & FUTEX_TID_MASK) === t2.tid}`);
        out.push(`waiter unlock=${yield* pthread_mutex_unlock(t2, m)}`);
        return 0;
      },
      null,
    );
    yield* sleep_ns(t, MS);
    out.push(`waiters=${(t.load32(m) & FUTEX_WAITERS) !== 0}`);
    out.push(`unlock=${yield* pthread_mutex_unlock(t, m)}`);
    yield* pthread_join(t, th);
    out.push(`word=${t.load32(m)}`);
  });
  assert.deepEqual(out, [
    'waiters=true',
    'unlock=0',
    'waiter lock=0 owner=true',
    'waiter unlock=0',
    'word=0',
  ]);
  const c = run.kernel.futex.counts;
  // The waiter's unlock sees WAITERS left by the hand-off and goes to the kernel too.
  assert.deepEqual([c.lock_pi, c.unlock_pi, c.pi_handoffs], [1, 2, 1]);
});

test('PI mutexes per type: relock, trylock, timedlock, non-owner unlock and destroy', () => {
  const out: Record<string, unknown[]> = { normal: [], recursive: [], errorcheck: [] };
  runLibc('improved', function* (t) {
    for (const [name, type] of [
      ['recursive', PTHREAD_MUTEX_RECURSIVE],
      ['errorcheck', PTHREAD_MUTEX_ERRORCHECK],
      ['normal', PTHREAD_MUTEX_NORMAL],
    ] as const) {
      const o = out[name]!;
      const m = yield* pthread_mutex_new(t, piAttr(type));
      o.push(yield* pthread_mutex_lock(t, m));
      o.push(yield* pthread_mutex_trylock(t, m));
      o.push(yield* pthread_mutex_timedlock(t, m, yield* deadline_after(t, CLOCK_REALTIME, 2 * MS)));
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          const r: unknown[] = [];
          r.push(yield* pthread_mutex_trylock(t2, m));
          r.push(yield* pthread_mutex_timedlock(t2, m, yield* deadline_after(t2, CLOCK_REALTIME, 3 * MS))); // LOCK_PI, realtime deadline
          r.push(
            yield* pthread_mutex_clocklock(
              t2,
              m,
              CLOCK_MONOTONIC,
              yield* deadline_after(t2, CLOCK_MONOTONIC, 3 * MS),
            ),
          ); // LOCK_PI2
          r.push(yield* pthread_mutex_unlock(t2, m));
          return r;
        },
        null,
      );
      o.push((yield* pthread_join(t, th))[1]);
      o.push(pthread_mutex_destroy(t, m));
      if (type === PTHREAD_MUTEX_RECURSIVE) o.push(t.load32(m + MUTEX_COUNT));
    }
  });
  assert.deepEqual(out.recursive, [0, 0, 0, [EBUSY, ETIMEDOUT, ETIMEDOUT, EPERM], EBUSY, 3]);
  assert.deepEqual(out.errorcheck, [0, EDEADLK, EDEADLK, [EBUSY, ETIMEDOUT, ETIMEDOUT, EPERM], EBUSY]);
  // normal: LOCK_PI answers the owner EDEADLK; the libc then waits out the deadline (POSIX: deadlock).
  assert.deepEqual(out.normal, [0, EBUSY, ETIMEDOUT, [EBUSY, ETIMEDOUT, ETIMEDOUT, EPERM], EBUSY]);
});

test('a normal PI mutex relocked by its owner without a deadline blocks for good: a deadlock', () => {
  const machine = bootGuest(
    function* (t) {
      const m = yield* pthread_mutex_new(t, piAttr());
      yield* pthread_mutex_lock(t, m);
      yield* pthread_mutex_lock(t, m);
      return 0;
    },
    null,
    { cpus: 1, futex: { mode: 'linux', shards: 64 } },
  );
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 100_000 });
  assert.match(machine.kernel.stopReason ?? '', /^deadlock/);
});

interface Boost {
  m: number;
  tids: number[];
  log: string[];
}

/** Low: SCHED_FIFO 10, takes the PI mutex and computes for 8 ms holding it. */
function* low(t: Guest, raw: unknown): Program<number> {
  const b = raw as Boost;
  b.tids[0] = t.tid;
  yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 10 });
  yield* pthread_mutex_lock(t, b.m);
  for (let i = 0; i < 80; i++) yield t.compute(300_000); // 100 µs each: 8 ms
  b.log.push('low unlocks');
  yield* pthread_mutex_unlock(t, b.m);
  return 0;
}

/** High: SCHED_FIFO 80, wants the mutex 1 ms later. */
function* high(t: Guest, raw: unknown): Program<number> {
  const b = raw as Boost;
  b.tids[1] = t.tid;
  yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 80 });
  yield* sleep_ns(t, MS);
  const r = yield* pthread_mutex_lock(t, b.m);
  b.log.push(`high locked=${r}`);
  yield* pthread_mutex_unlock(t, b.m);
  return 0;
}

test("the owner of a PI mutex runs at its top waiter's priority until it unlocks (FUTEX-6 through libc)", () => {
  const b: Boost = { m: 0, tids: [], log: [] };
  const boosts: string[] = [];
  let k: Kernel | null = null;
  const machine = bootGuest(
    function* (t) {
      b.m = yield* pthread_mutex_new(t, piAttr());
      const [, l] = yield* pthread_create(t, null, low, b);
      yield* sleep_ns(t, MS / 2);
      const [, h] = yield* pthread_create(t, null, high, b);
      yield* sleep_ns(t, 2 * MS);
      const owner = k!.threads.get(b.tids[0]!)!;
      boosts.push(`low boost=${owner.piBoost}`); // kernel prio of FIFO 80: 99 - 80
      yield* pthread_join(t, l);
      boosts.push(`low boost=${owner.piBoost}`);
      yield* pthread_join(t, h);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: 'linux', shards: 64 } },
  );
  k = machine.kernel;
  machine.board.engine.run({ simNsMax: 1_000_000_000, eventsMax: 1_000_000 });
  assert.equal(machine.kernel.stopReason, null);
  assert.deepEqual(boosts, ['low boost=19', 'low boost=Infinity']);
  assert.deepEqual(b.log, ['low unlocks', 'high locked=0']);
});

test("robust + PI: a waiter in LOCK_PI is handed the dead owner's lock with EOWNERDEAD; a later locker finds it unrecoverable", () => {
  const out: unknown[] = [];
  const run = runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, piAttr(PTHREAD_MUTEX_NORMAL, true));
    const [, owner] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* pthread_mutex_lock(t2, m);
        yield* sleep_ns(t2, 2 * MS);
        return 0; // dies holding it
      },
      null,
    );
    yield* sleep_ns(t, MS / 2);
    const [, waiter] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        const r = yield* pthread_mutex_lock(t2, m);
        const word = t2.load32(m);
        const clean = (word & FUTEX_OWNER_DIED) === 0 && (word & FUTEX_TID_MASK) === t2.tid;
        return [r, clean, yield* pthread_mutex_unlock(t2, m)]; // without consistent
      },
      null,
    );
    yield* pthread_join(t, owner);
    out.push((yield* pthread_join(t, waiter))[1]);
    out.push(yield* pthread_mutex_lock(t, m), yield* pthread_mutex_trylock(t, m));
    out.push(t.load32(m));
  });
  assert.deepEqual(out, [[EOWNERDEAD, true, 0], ENOTRECOVERABLE, ENOTRECOVERABLE, 0]);
  assert.equal(run.kernel.futex.counts.robust_owner_died, 1);
});

test('robust + PI without waiters: the dead owner leaves OWNER_DIED; lock and trylock take it through the kernel with EOWNERDEAD', () => {
  const out: unknown[] = [];
  const run = runLibc('improved', function* (t) {
    for (const trying of [false, true]) {
      const m = yield* pthread_mutex_new(t, piAttr(PTHREAD_MUTEX_RECURSIVE, true));
      const [, owner] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          yield* pthread_mutex_lock(t2, m);
          yield* pthread_mutex_lock(t2, m);
          return 0;
        },
        null,
      );
      yield* pthread_join(t, owner);
      out.push(t.load32(m) === FUTEX_OWNER_DIED ? 'OWNER_DIED' : t.load32(m));
      out.push(trying ? yield* pthread_mutex_trylock(t, m) : yield* pthread_mutex_lock(t, m));
      out.push(t.load32(m) === t.tid ? 'tid' : t.load32(m), t.load32(m + MUTEX_COUNT));
      out.push(pthread_mutex_consistent(t, m), yield* pthread_mutex_unlock(t, m));
    }
  });
  const each = ['OWNER_DIED', EOWNERDEAD, 'tid', 1, 0, 0];
  assert.deepEqual(out, [...each, ...each]);
  assert.equal(run.kernel.futex.counts.lock_pi, 2, 'one LOCK_PI and one TRYLOCK_PI (counted together)');
});

interface PiCond {
  m: number;
  c: number;
  ready: number;
  order: number[];
}

function* piCondWaiter(t: Guest, raw: unknown): Program<number> {
  const s = raw as PiCond;
  yield* pthread_mutex_lock(t, s.m);
  while (t.load32(s.ready) === 0) {
    const r = yield* pthread_cond_wait(t, s.c, s.m);
    if (r !== 0) throw new Error(`cond_wait returned ${r}`);
  }
  if ((t.load32(s.m) & FUTEX_TID_MASK) !== t.tid) throw new Error('woke without the PI mutex');
  t.store32(s.ready, t.load32(s.ready) - 1);
  s.order.push(t.tid);
  yield* pthread_mutex_unlock(t, s.m);
  return 0;
}

test('a condvar waited with a PI mutex sleeps in WAIT_REQUEUE_PI; signal and broadcast requeue onto the PI mutex', () => {
  const order: number[] = [];
  const run = runLibc(
    'improved',
    function* (t) {
      const s: PiCond = {
        m: yield* pthread_mutex_new(t, piAttr()),
        c: yield* pthread_cond_new(t),
        ready: yield* malloc(t, 4),
        order,
      };
      const threads: pthread_t[] = [];
      for (let i = 0; i < 3; i++) threads.push((yield* pthread_create(t, null, piCondWaiter, s))[1]);
      yield* sleep_ns(t, 2 * MS);
      // signal while holding the mutex: the waiter is queued on the held PI mutex, not lost
      yield* pthread_mutex_lock(t, s.m);
      t.store32(s.ready, 1);
      yield* pthread_cond_signal(t, s.c);
      yield* sleep_ns(t, MS);
      yield* pthread_mutex_unlock(t, s.m);
      yield* sleep_ns(t, 2 * MS);
      yield* pthread_mutex_lock(t, s.m);
      t.store32(s.ready, 2);
      yield* pthread_cond_broadcast(t, s.c);
      yield* pthread_mutex_unlock(t, s.m);
      for (const th of threads) yield* pthread_join(t, th);
    },
    { cpus: 4 },
  );
  assert.equal(order.length, 3);
  const c = run.kernel.futex.counts;
  // One requeue-PI call each for signal and broadcast; the signal's waiter and the broadcast's
  // two were all queued on the held mutex (3 moved), each then handed it by UNLOCK_PI.
  assert.deepEqual([c.requeue, c.requeued, c.pi_handoffs], [2, 3, 3]);
});

test('a PI condvar timedwait times out holding the mutex again', () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, piAttr());
    const c = yield* pthread_cond_new(t);
    yield* pthread_mutex_lock(t, m);
    out.push(yield* pthread_cond_timedwait(t, c, m, yield* deadline_after(t, CLOCK_REALTIME, 2 * MS)));
    out.push((t.load32(m) & FUTEX_TID_MASK) === t.tid ? 1 : 0);
    out.push(yield* pthread_mutex_unlock(t, m));
  });
  assert.deepEqual(out, [ETIMEDOUT, 1, 0]);
});

test('relibc ignores the protocol: a PI attr gives its plain mutex, and the ceiling calls answer 0', () => {
  const out: unknown[] = [];
  const run = runLibc('relibc', function* (t) {
    const m = yield* pthread_mutex_new(t, piAttr());
    out.push(yield* pthread_mutex_lock(t, m));
    out.push(t.load32(m) === t.tid ? 'tid' : 'other');
    out.push(pthread_mutex_getprioceiling(t, m));
    out.push(yield* pthread_mutex_setprioceiling(t, m, 50));
    out.push(yield* pthread_mutex_unlock(t, m));
  });
  assert.deepEqual(out, [0, 'tid', [0, 0], [0, 0], 0]);
  assert.equal(run.kernel.futex.counts.lock_pi, 0);
});
