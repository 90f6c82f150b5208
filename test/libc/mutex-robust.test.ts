/**
 * Robust mutexes (LIBC-2 over FUTEX-7): EOWNERDEAD to the next locker after the owner dies
 * (thread exit, process death), pthread_mutex_consistent, ENOTRECOVERABLE, for each type, with
 * trylock and timedlock, pshared across processes; the robust list the libc keeps; relibc's
 * stored-but-unimplemented robustness.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import {
  EAGAIN,
  EBUSY,
  EDEADLK,
  EINVAL,
  ENOTRECOVERABLE,
  EOWNERDEAD,
  EPERM,
  ETIMEDOUT,
} from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { waitForGraph } from '../../src/kernel/deadlock.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  FUTEX_OWNER_DIED,
  FUTEX_WAITERS,
  MAP_SHARED,
  SIGABRT,
  SYS_GET_ROBUST_LIST,
  WTERMSIG,
} from '../../src/abi/syscalls.ts';
import { pthread_cond_broadcast, pthread_cond_new, pthread_cond_wait } from '../../src/libc/cond.ts';
import {
  MUTEX_BYTES,
  MUTEX_COUNT,
  MUTEX_INCONSISTENT,
  MUTEX_NOTRECOVERABLE,
  MUTEX_OWNER,
  PTHREAD_MUTEX_ERRORCHECK,
  PTHREAD_MUTEX_NORMAL,
  PTHREAD_MUTEX_RECURSIVE,
  PTHREAD_MUTEX_ROBUST,
  PTHREAD_MUTEX_STALLED,
  PTHREAD_PROCESS_SHARED,
} from '../../src/libc/layout.ts';
import { loadPtr } from '../../src/libc/ptr.ts';
import { malloc } from '../../src/libc/malloc.ts';
import {
  pthread_mutex_clocklock,
  pthread_mutex_consistent,
  pthread_mutex_destroy,
  pthread_mutex_init,
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_timedlock,
  pthread_mutex_trylock,
  pthread_mutex_unlock,
  pthread_mutexattr_getrobust,
  pthread_mutexattr_init,
  pthread_mutexattr_setpshared,
  pthread_mutexattr_setrobust,
  pthread_mutexattr_settype,
  pthread_mutexattr_t,
} from '../../src/libc/mutex.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { robustEntries, robustHead } from '../../src/libc/robust-list.ts';
import { mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import { deadline_after, sleep_ns } from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';
import { runLibc } from '../support/libc.ts';

const MS = 1_000_000;

function robustAttr(type = PTHREAD_MUTEX_NORMAL, pshared = false): pthread_mutexattr_t {
  const a = new pthread_mutexattr_t();
  pthread_mutexattr_init(a);
  assert.equal(pthread_mutexattr_settype(a, type), 0);
  assert.equal(pthread_mutexattr_setrobust(a, PTHREAD_MUTEX_ROBUST), 0);
  if (pshared) assert.equal(pthread_mutexattr_setpshared(a, PTHREAD_PROCESS_SHARED), 0);
  return a;
}

/** A thread that locks `m` (`depth` times) and returns holding it. */
function* dieHolding(t: Guest, raw: unknown): Program<number> {
  const { m, depth } = raw as { m: number; depth: number };
  for (let i = 0; i < depth; i++) {
    const r = yield* pthread_mutex_lock(t, m);
    if (r !== 0) throw new Error(`dieHolding: lock returned ${r}`);
  }
  return 0;
}

function* ownerDies(t: Guest, m: number, depth = 1): Program<void> {
  const [, th] = yield* pthread_create(t, null, dieHolding, { m, depth });
  yield* pthread_join(t, th);
}

test('mutexattr setrobust/getrobust check their values', () => {
  const a = new pthread_mutexattr_t();
  assert.equal(pthread_mutexattr_setrobust(a, PTHREAD_MUTEX_ROBUST), EINVAL, 'not initialised');
  assert.deepEqual(pthread_mutexattr_getrobust(a), [EINVAL, 0]);
  pthread_mutexattr_init(a);
  assert.deepEqual(pthread_mutexattr_getrobust(a), [0, PTHREAD_MUTEX_STALLED]);
  assert.equal(pthread_mutexattr_setrobust(a, 2), EINVAL);
  assert.equal(pthread_mutexattr_setrobust(a, PTHREAD_MUTEX_ROBUST), 0);
  assert.deepEqual(pthread_mutexattr_getrobust(a), [0, PTHREAD_MUTEX_ROBUST]);
});

test('the next locker after the owner exits gets EOWNERDEAD; consistent makes the mutex usable again', () => {
  const out: unknown[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, robustAttr());
    yield* ownerDies(t, m);
    out.push(t.load32(m) === FUTEX_OWNER_DIED ? 'word=OWNER_DIED' : `word=${t.load32(m).toString(16)}`);
    out.push(yield* pthread_mutex_lock(t, m));
    out.push(t.load32(m) === t.tid ? 'word=tid' : 'word=?');
    out.push(t.load32(m + MUTEX_OWNER) === MUTEX_INCONSISTENT ? 'inconsistent' : 'consistent');
    const [, other] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        return [yield* pthread_mutex_trylock(t2, m), pthread_mutex_consistent(t2, m)];
      },
      null,
    );
    out.push((yield* pthread_join(t, other))[1]);
    out.push(pthread_mutex_consistent(t, m));
    out.push(pthread_mutex_consistent(t, m)); // no longer inconsistent
    out.push(yield* pthread_mutex_unlock(t, m));
    out.push(yield* pthread_mutex_lock(t, m));
    out.push(yield* pthread_mutex_unlock(t, m));
    out.push(t.load32(m));
  });
  assert.deepEqual(out, [
    'word=OWNER_DIED',
    EOWNERDEAD,
    'word=tid',
    'inconsistent',
    [EBUSY, EINVAL],
    0,
    EINVAL,
    0,
    0,
    0,
    0,
  ]);
});

test('a waiter already asleep is woken by the owner exit and gets EOWNERDEAD; the next waiter after it gets the lock', () => {
  const out: string[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, robustAttr());
    const [, owner] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* pthread_mutex_lock(t2, m);
        yield* sleep_ns(t2, 4 * MS);
        return 0; // exits holding it
      },
      null,
    );
    yield* sleep_ns(t, MS);
    const waiters: pthread_t[] = [];
    for (const name of ['a', 'b']) {
      const [, w] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          const r = yield* pthread_mutex_lock(t2, m);
          out.push(`${name}=${r}`);
          if (r === EOWNERDEAD) out.push(`${name} consistent=${pthread_mutex_consistent(t2, m)}`);
          yield* sleep_ns(t2, MS);
          out.push(`${name} unlock=${yield* pthread_mutex_unlock(t2, m)}`);
          return 0;
        },
        null,
      );
      waiters.push(w);
      yield* sleep_ns(t, MS / 2);
    }
    out.push(`waiters-bit=${(t.load32(m) & FUTEX_WAITERS) !== 0}`);
    yield* pthread_join(t, owner);
    for (const w of waiters) yield* pthread_join(t, w);
    out.push(`word=${t.load32(m)}`);
  });
  assert.deepEqual(out, [
    'waiters-bit=true',
    `a=${EOWNERDEAD}`,
    'a consistent=0',
    'a unlock=0',
    'b=0',
    'b unlock=0',
    'word=0',
  ]);
});

test('unlocked without consistent: every later lock, trylock and timedlock is ENOTRECOVERABLE, a sleeper too', () => {
  const out: unknown[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, robustAttr());
    yield* ownerDies(t, m);
    out.push(yield* pthread_mutex_lock(t, m));
    const [, sleeper] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        return yield* pthread_mutex_lock(t2, m); // sleeps until the unlock below
      },
      null,
    );
    yield* sleep_ns(t, MS);
    out.push(yield* pthread_mutex_unlock(t, m));
    out.push((yield* pthread_join(t, sleeper))[1]);
    out.push(t.load32(m + MUTEX_OWNER) === MUTEX_NOTRECOVERABLE ? 'notrecoverable' : 'recoverable');
    out.push(yield* pthread_mutex_lock(t, m));
    out.push(yield* pthread_mutex_trylock(t, m));
    out.push(yield* pthread_mutex_timedlock(t, m, yield* deadline_after(t, CLOCK_REALTIME, MS)));
    out.push(pthread_mutex_consistent(t, m));
    out.push(yield* pthread_mutex_unlock(t, m)); // not held
    out.push(t.load32(m));
    out.push(pthread_mutex_init(t, m, robustAttr())); // a re-initialised mutex is usable
    out.push(yield* pthread_mutex_lock(t, m));
  });
  assert.deepEqual(out, [
    EOWNERDEAD,
    0,
    ENOTRECOVERABLE,
    'notrecoverable',
    ENOTRECOVERABLE,
    ENOTRECOVERABLE,
    ENOTRECOVERABLE,
    EINVAL,
    EPERM,
    0,
    0,
    0,
  ]);
});

test('recursive and errorcheck robust mutexes: relock, trylock, non-owner unlock, and EOWNERDEAD at depth', () => {
  const out: Record<string, unknown[]> = { recursive: [], errorcheck: [], normal: [] };
  runLibc('improved', function* (t) {
    for (const [name, type] of [
      ['recursive', PTHREAD_MUTEX_RECURSIVE],
      ['errorcheck', PTHREAD_MUTEX_ERRORCHECK],
      ['normal', PTHREAD_MUTEX_NORMAL],
    ] as const) {
      const o = out[name]!;
      const m = yield* pthread_mutex_new(t, robustAttr(type));
      o.push(yield* pthread_mutex_lock(t, m));
      o.push(yield* pthread_mutex_trylock(t, m));
      o.push(
        yield* pthread_mutex_clocklock(t, m, CLOCK_MONOTONIC, yield* deadline_after(t, CLOCK_MONOTONIC, MS)),
      );
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          return [yield* pthread_mutex_unlock(t2, m), yield* pthread_mutex_trylock(t2, m)];
        },
        null,
      );
      o.push((yield* pthread_join(t, th))[1]);
      o.push(pthread_mutex_destroy(t, m));
      // Unlock all levels, then let an owner die holding it three (or one) levels deep.
      while ((yield* pthread_mutex_unlock(t, m)) === 0 && (t.load32(m) & 0x3fffffff) === t.tid);
      yield* ownerDies(t, m, type === PTHREAD_MUTEX_RECURSIVE ? 3 : 1);
      o.push(yield* pthread_mutex_lock(t, m));
      o.push(t.load32(m + MUTEX_COUNT));
      o.push(pthread_mutex_consistent(t, m));
      o.push(yield* pthread_mutex_unlock(t, m));
      o.push(pthread_mutex_destroy(t, m));
    }
  });
  // recursive: lock, trylock and clocklock add levels; the other thread is refused.
  assert.deepEqual(out.recursive, [0, 0, 0, [EPERM, EBUSY], EBUSY, EOWNERDEAD, 1, 0, 0, 0]);
  // errorcheck (robust, as glibc): the owner's trylock is EDEADLK too.
  assert.deepEqual(out.errorcheck, [0, EDEADLK, EDEADLK, [EPERM, EBUSY], EBUSY, EOWNERDEAD, 1, 0, 0, 0]);
  // normal: the owner's clocklock waits on itself until the deadline.
  assert.deepEqual(out.normal, [0, EBUSY, ETIMEDOUT, [EPERM, EBUSY], EBUSY, EOWNERDEAD, 1, 0, 0, 0]);
});

test("a trylock or timedlock of a dead owner's mutex gets EOWNERDEAD; a timedlock of a held one ETIMEDOUT", () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const a = yield* pthread_mutex_new(t, robustAttr());
    const b = yield* pthread_mutex_new(t, robustAttr());
    yield* ownerDies(t, a);
    yield* ownerDies(t, b);
    out.push(yield* pthread_mutex_trylock(t, a));
    out.push(yield* pthread_mutex_timedlock(t, b, yield* deadline_after(t, CLOCK_REALTIME, MS)));
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        return yield* pthread_mutex_timedlock(t2, a, yield* deadline_after(t2, CLOCK_REALTIME, 2 * MS));
      },
      null,
    );
    out.push((yield* pthread_join(t, th))[1] as number);
  });
  assert.deepEqual(out, [EOWNERDEAD, EOWNERDEAD, ETIMEDOUT]);
});

test('the libc registers a robust list per thread and links held robust mutexes on it, newest first', () => {
  const out: unknown[] = [];
  const run = runLibc('improved', function* (t) {
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        // get_robust_list writes a pointer and a size_t: 8 bytes each (issue 15).
        const buf = yield* malloc(t2, 16);
        out.push(yield* syscall(t2, SYS_GET_ROBUST_LIST, 0, buf, buf + 8));
        out.push(loadPtr(t2, buf) === (yield* robustHead(t2)) ? 'registered at start' : 'not registered');
        out.push(loadPtr(t2, buf + 8));
        const ms: number[] = [];
        for (let i = 0; i < 3; i++) ms.push(yield* pthread_mutex_new(t2, robustAttr()));
        ms.push(yield* pthread_mutex_new(t2)); // not robust: not listed
        for (const m of ms) yield* pthread_mutex_lock(t2, m);
        const entry = (m: number) => m + MUTEX_BYTES - 8; // the 8-byte `next`, last in the mutex
        out.push(robustEntries(t2).join() === [ms[2]!, ms[1]!, ms[0]!].map(entry).join() ? 'c,b,a' : 'wrong');
        yield* pthread_mutex_unlock(t2, ms[1]!);
        out.push(robustEntries(t2).join() === [ms[2]!, ms[0]!].map(entry).join() ? 'c,a' : 'wrong');
        for (const m of [ms[0]!, ms[2]!, ms[3]!]) yield* pthread_mutex_unlock(t2, m);
        out.push(robustEntries(t2).length);
        return 0;
      },
      null,
    );
    yield* pthread_join(t, th);
  });
  assert.deepEqual(out, [0, 'registered at start', 24, 'c,b,a', 'c,a', 0]);
  assert.equal(run.kernel.futex.counts.robust_walks, 1, 'one walk, at the thread exit; nothing held then');
  assert.equal(run.kernel.futex.counts.robust_owner_died, 0);
});

test('an owner that dies holding two robust mutexes leaves both OWNER_DIED', () => {
  const out: number[] = [];
  const run = runLibc('improved', function* (t) {
    const a = yield* pthread_mutex_new(t, robustAttr());
    const b = yield* pthread_mutex_new(t, robustAttr(PTHREAD_MUTEX_ERRORCHECK));
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* pthread_mutex_lock(t2, a);
        yield* pthread_mutex_lock(t2, b);
        return 0;
      },
      null,
    );
    yield* pthread_join(t, th);
    out.push(t.load32(a), t.load32(b));
    out.push(yield* pthread_mutex_lock(t, b), yield* pthread_mutex_lock(t, a));
    out.push(
      pthread_mutex_consistent(t, a),
      yield* pthread_mutex_unlock(t, a),
      yield* pthread_mutex_unlock(t, b),
    );
  });
  assert.deepEqual(out, [FUTEX_OWNER_DIED, FUTEX_OWNER_DIED, EOWNERDEAD, EOWNERDEAD, 0, 0, 0]);
  assert.equal(run.kernel.futex.counts.robust_owner_died, 2);
});

interface CrossProcess {
  m: number;
  log: number;
}

/** A child process that takes the shared robust mutex and dies by a guest fault (abort). */
function* childDiesHolding(t: Guest, raw: unknown): Program<number> {
  const s = raw as CrossProcess;
  const r = yield* pthread_mutex_lock(t, s.m);
  t.store32(s.log, r + 1);
  yield* sleep_ns(t, 2 * MS);
  throw new Error('child aborts holding the robust mutex');
}

test('a pshared robust mutex in MAP_SHARED memory: a process that dies holding it leaves EOWNERDEAD to another process', () => {
  const out: number[] = [];
  const run = runGuest(
    function* (t) {
      const page = yield* mmap_anonymous(t, 4096, MAP_SHARED);
      const s: CrossProcess = { m: page, log: page + 64 };
      out.push(pthread_mutex_init(t, s.m, robustAttr(PTHREAD_MUTEX_NORMAL, true)));
      const pid = yield* spawn(t, { name: 'holder', main: childDiesHolding }, s);
      while (t.load32(s.log) === 0) yield* sleep_ns(t, MS / 4);
      out.push(t.load32(s.log) - 1); // the child's lock result
      out.push(yield* pthread_mutex_lock(t, s.m)); // sleeps until the child dies
      out.push(pthread_mutex_consistent(t, s.m));
      out.push(yield* pthread_mutex_unlock(t, s.m));
      const [, status] = yield* waitpid(t, pid);
      out.push(WTERMSIG(status));
      return 0;
    },
    null,
    {
      cpus: 2,
      futex: { mode: 'linux', shards: 64 },
      expectFaults: [{ signal: 'SIGABRT', message: 'child aborts holding the robust mutex' }],
    },
  );
  assert.equal(run.kernel.stopReason, null);
  assert.deepEqual(out, [0, 0, EOWNERDEAD, 0, 0, SIGABRT]);
});

test('a condvar broadcast requeues its waiters onto a robust mutex, and every one gets it in turn', () => {
  let woken = 0;
  const run = runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, robustAttr());
    const c = yield* pthread_cond_new(t);
    const flag = yield* malloc(t, 4);
    const threads: pthread_t[] = [];
    for (let i = 0; i < 4; i++) {
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (t2) {
          yield* pthread_mutex_lock(t2, m);
          while (t2.load32(flag) === 0) {
            const r = yield* pthread_cond_wait(t2, c, m);
            if (r !== 0) throw new Error(`cond_wait returned ${r}`);
          }
          woken++;
          yield* pthread_mutex_unlock(t2, m);
          return 0;
        },
        null,
      );
      threads.push(th);
    }
    yield* sleep_ns(t, 2 * MS);
    yield* pthread_mutex_lock(t, m);
    t.store32(flag, 1);
    yield* pthread_cond_broadcast(t, c);
    yield* pthread_mutex_unlock(t, m);
    for (const th of threads) yield* pthread_join(t, th);
  });
  assert.equal(woken, 4);
  assert.equal(run.kernel.futex.counts.requeued, 3, 'one woken, three moved onto the mutex');
});

test('without robustness the waiter of a dead owner deadlocks, with its wait-for graph (improved)', () => {
  const run = runGuest(
    function* (t) {
      const m = yield* pthread_mutex_new(t);
      yield* ownerDies(t, m);
      yield* pthread_mutex_lock(t, m);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: 'linux', shards: 64 } },
  );
  assert.match(run.kernel.stopReason ?? '', /^deadlock/);
  assert.match(waitForGraph(run.kernel), /futex 0x[0-9a-f]+ pid 1/);
});

test('relibc stores robustness but does not implement it: consistent is a no-op, a dead owner deadlocks its waiter', () => {
  const out: number[] = [];
  runLibc('relibc', function* (t) {
    const m = yield* pthread_mutex_new(t, robustAttr());
    out.push(yield* pthread_mutex_lock(t, m));
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        return yield* pthread_mutex_unlock(t2, m); // robust: only the owner may unlock
      },
      null,
    );
    out.push((yield* pthread_join(t, th))[1] as number);
    out.push(pthread_mutex_consistent(t, m));
    out.push(yield* pthread_mutex_unlock(t, m));
  });
  assert.deepEqual(out, [0, EPERM, 0, 0]);
  const run = runGuest(
    function* (t) {
      const m = yield* pthread_mutex_new(t, robustAttr());
      yield* ownerDies(t, m);
      yield* pthread_mutex_lock(t, m);
      return 0;
    },
    null,
    { cpus: 2, libc: 'relibc' },
  );
  assert.match(run.kernel.stopReason ?? '', /^deadlock/);
});

test('a recursive robust mutex refuses a level past the u32 count with EAGAIN', () => {
  const out: number[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, robustAttr(PTHREAD_MUTEX_RECURSIVE));
    out.push(yield* pthread_mutex_lock(t, m));
    t.store32(m + MUTEX_COUNT, 0xffffffff);
    out.push(yield* pthread_mutex_lock(t, m), yield* pthread_mutex_trylock(t, m));
  });
  assert.deepEqual(out, [0, EAGAIN, EAGAIN]);
});

test('pthread_cond_wait returns EOWNERDEAD when the mutex it relocks was left by a dead owner', () => {
  const out: unknown[] = [];
  runLibc('improved', function* (t) {
    const m = yield* pthread_mutex_new(t, robustAttr());
    const c = yield* pthread_cond_new(t);
    const [, waiter] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* pthread_mutex_lock(t2, m);
        const r = yield* pthread_cond_wait(t2, c, m);
        const held = (t2.load32(m) & 0x3fffffff) === t2.tid;
        return [r, held, pthread_mutex_consistent(t2, m), yield* pthread_mutex_unlock(t2, m)];
      },
      null,
    );
    yield* sleep_ns(t, MS);
    const [, dying] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        yield* pthread_mutex_lock(t2, m);
        yield* pthread_cond_broadcast(t2, c); // the waiter is requeued onto the held mutex
        yield* sleep_ns(t2, MS);
        return 0; // exits holding it
      },
      null,
    );
    yield* pthread_join(t, dying);
    out.push((yield* pthread_join(t, waiter))[1]);
  });
  assert.deepEqual(out, [[EOWNERDEAD, true, 0, 0]]);
});
