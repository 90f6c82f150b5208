/**
 * Threads (LIBC-1, LIBC-8): attributes, create, join and glibc's tryjoin/timedjoin/clockjoin,
 * detach, exit, self, keys, once (and a cancelled once routine), guard pages.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import { EAGAIN, EBUSY, EDEADLK, EINVAL, ESRCH, ETIMEDOUT } from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  SIGABRT,
  SIGSEGV,
  WEXITSTATUS,
  WIFEXITED,
  WIFSIGNALED,
  WTERMSIG,
} from '../../src/abi/syscalls.ts';
import {
  PTHREAD_CANCEL_ENABLE,
  PTHREAD_CANCELED,
  pthread_cancel,
  pthread_setcancelstate,
} from '../../src/libc/cancel.ts';
import { pthread_clockjoin_np, pthread_timedjoin_np, pthread_tryjoin_np } from '../../src/libc/join.ts';
import {
  pthread_getspecific,
  pthread_key_create,
  pthread_key_delete,
  pthread_setspecific,
} from '../../src/libc/key.ts';
import {
  PTHREAD_CREATE_DETACHED,
  PTHREAD_CREATE_JOINABLE,
  PTHREAD_KEYS_MAX,
  PTHREAD_STACK_DEFAULT,
  PTHREAD_STACK_MIN,
} from '../../src/libc/layout.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { pthread_once } from '../../src/libc/once.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import {
  pthread_attr_getdetachstate,
  pthread_attr_getguardsize,
  pthread_attr_getstacksize,
  pthread_attr_init,
  pthread_attr_setdetachstate,
  pthread_attr_setguardsize,
  pthread_attr_setstacksize,
  pthread_attr_t,
  pthread_create,
  pthread_detach,
  pthread_equal,
  pthread_exit,
  pthread_join,
  pthread_self,
} from '../../src/libc/pthread.ts';
import { stack_enter, stack_leave } from '../../src/libc/stack.ts';
import { clock_gettime_ns, deadline_after, sleep_ns, timespec_at } from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

const MS = 1_000_000;
/**
 * A timed wait that expires at a tick returns through the tick's interrupt, the wake-up and the
 * switch back, then the clock read: a few microseconds on the test machine's cost model.
 */
const TIMED_WAKE_SLACK_NS = 20_000;

test('attribute setters check their values and getters return them', () => {
  const a = new pthread_attr_t();
  assert.equal(pthread_attr_setstacksize(a, 65536), EINVAL, 'not initialised');
  assert.equal(pthread_attr_init(a), 0);
  assert.deepEqual(pthread_attr_getdetachstate(a), [0, PTHREAD_CREATE_JOINABLE]);
  assert.deepEqual(pthread_attr_getstacksize(a), [0, PTHREAD_STACK_DEFAULT]);
  assert.deepEqual(pthread_attr_getguardsize(a), [0, 4096]);
  assert.equal(pthread_attr_setdetachstate(a, 7), EINVAL);
  assert.equal(pthread_attr_setdetachstate(a, PTHREAD_CREATE_DETACHED), 0);
  assert.deepEqual(pthread_attr_getdetachstate(a), [0, PTHREAD_CREATE_DETACHED]);
  assert.equal(pthread_attr_setstacksize(a, PTHREAD_STACK_MIN - 1), EINVAL);
  assert.equal(pthread_attr_setstacksize(a, PTHREAD_STACK_MIN), 0);
  assert.deepEqual(pthread_attr_getstacksize(a), [0, PTHREAD_STACK_MIN]);
  assert.equal(pthread_attr_setguardsize(a, -1), EINVAL);
  assert.equal(pthread_attr_setguardsize(a, 0), 0);
  assert.deepEqual(pthread_attr_getguardsize(a), [0, 0]);
});

function* returnsArg(_t: Guest, arg: unknown): Program<unknown> {
  return arg;
}

function* exitsEarly(t: Guest, arg: unknown): Program<unknown> {
  return yield* pthread_exit(t, { early: arg });
}

for (const variant of VARIANTS) {
  test(`create, join with the value, join errors EDEADLK, EINVAL, ESRCH (${variant})`, () => {
    const seen: unknown[] = [];
    runLibc(variant, function* (t) {
      const [e1, a] = yield* pthread_create(t, null, returnsArg, 'value-a');
      const [e2, b] = yield* pthread_create(t, null, exitsEarly, 7);
      seen.push(e1, e2, yield* pthread_join(t, a), yield* pthread_join(t, b));
      seen.push((yield* pthread_join(t, a))[0]); // already joined: gone
      seen.push((yield* pthread_join(t, 0x1234))[0]); // never a thread
      seen.push((yield* pthread_join(t, pthread_self(t)))[0]);
      const attr = new pthread_attr_t();
      pthread_attr_init(attr);
      pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
      const [e3, d] = yield* pthread_create(t, attr, returnsArg, 1);
      seen.push(e3, (yield* pthread_join(t, d))[0], pthread_detach(t, d));
      const [, j] = yield* pthread_create(t, null, returnsArg, 2);
      seen.push(pthread_detach(t, j), pthread_detach(t, j));
      seen.push(pthread_equal(pthread_self(t), pthread_self(t)), pthread_equal(a, b));
      seen.push((yield* pthread_create(t, new pthread_attr_t(), returnsArg, 0))[0]);
    });
    assert.deepEqual(seen, [
      0,
      0,
      [0, 'value-a'],
      [0, { early: 7 }],
      ESRCH,
      ESRCH,
      EDEADLK,
      0,
      EINVAL,
      EINVAL,
      0,
      EINVAL,
      1,
      0,
      EINVAL,
    ]);
  });
}

test('a thread joining itself gets EDEADLK, and pthread_self names the created handle', () => {
  const seen: unknown[] = [];
  runLibc('improved', function* (t) {
    const box = { handle: 0 };
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        seen.push(pthread_self(t2) === box.handle || box.handle === 0);
        seen.push((yield* pthread_join(t2, pthread_self(t2)))[0]);
        return 0;
      },
      null,
    );
    box.handle = th;
    yield* pthread_join(t, th);
  });
  assert.deepEqual(seen, [true, EDEADLK]);
});

test('key destructors run at exit, again for values they set, at most 4 rounds', () => {
  const calls: string[] = [];
  // What the guests saw, checked after the run: create's errno, the thread's own value, then
  // the main thread's (null) value, delete twice and a set on the deleted key.
  const seen: unknown[] = [];
  runLibc('improved', function* (t) {
    const keys: number[] = [];
    const [e, k] = pthread_key_create(t, function* (t2, value) {
      calls.push(`k:${String(value)}`);
      const n = Number(value);
      if (n < 10) pthread_setspecific(t2, keys[0]!, n + 1); // sets itself again, forever
    });
    seen.push(e);
    keys.push(k);
    const [, plain] = pthread_key_create(t, function* (_t2, value) {
      calls.push(`p:${String(value)}`);
    });
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        pthread_setspecific(t2, k, 1);
        pthread_setspecific(t2, plain, 'x');
        seen.push(pthread_getspecific(t2, k));
        return 0;
      },
      null,
    );
    yield* pthread_join(t, th);
    seen.push(pthread_getspecific(t, k)); // another thread sees its own (null) value
    seen.push(pthread_key_delete(t, plain), pthread_key_delete(t, plain), pthread_setspecific(t, plain, 1));
  });
  assert.deepEqual(seen, [0, 1, null, 0, EINVAL, EINVAL]);
  assert.deepEqual(calls, ['k:1', 'p:x', 'k:2', 'k:3', 'k:4']);
});

test('PTHREAD_KEYS_MAX keys can exist, the next create is EAGAIN, a deleted slot is reused', () => {
  const created: number[] = [];
  const after: unknown[] = [];
  runLibc('relibc', function* (t) {
    for (let i = 0; i < PTHREAD_KEYS_MAX; i++) created.push(pthread_key_create(t, null)[0]);
    after.push(pthread_key_create(t, null), pthread_key_delete(t, 17), pthread_key_create(t, null));
  });
  assert.deepEqual(created, new Array(PTHREAD_KEYS_MAX).fill(0));
  assert.deepEqual(after, [[EAGAIN, 0], 0, [0, 17]]);
});

for (const variant of VARIANTS) {
  test(`pthread_once runs its routine once among 4 threads (${variant})`, () => {
    let runs = 0;
    let after = 0;
    runLibc(
      variant,
      function* (t) {
        const once = yield* malloc(t, 4);
        const init = function* (t2: Guest): Program<void> {
          runs++;
          yield t2.compute(300_000); // long enough that the others arrive while it runs
        };
        const threads: number[] = [];
        for (let i = 0; i < 4; i++) {
          const [, th] = yield* pthread_create(
            t,
            null,
            function* (t2) {
              const r = yield* pthread_once(t2, once, init);
              if (r === 0 && runs === 1) after++;
              return r;
            },
            null,
          );
          threads.push(th);
        }
        for (const th of threads) yield* pthread_join(t, th);
      },
      { cpus: 4 },
    );
    assert.equal(runs, 1);
    assert.equal(after, 4, 'every caller returned after the routine finished');
  });
}

/** A once routine whose first run sleeps 100 ms in nanosleep (a cancellation point) and is cancelled there. */
function onceRoutine(log: string[]): (t: Guest) => Program<void> {
  let calls = 0;
  return function* (t) {
    calls++;
    log.push(`init${calls}`);
    if (calls === 1) yield* sleep_ns(t, 100 * MS);
  };
}

/** A thread that calls pthread_once and logs its return under `name`. */
function onceCaller(once: number, init: (t: Guest) => Program<void>, log: string[], relibcEnable = false) {
  return function* (t: Guest, name: unknown): Program<unknown> {
    // relibc starts every thread with cancellation disabled (cancel.ts).
    if (relibcEnable) yield* pthread_setcancelstate(t, PTHREAD_CANCEL_ENABLE);
    const r = yield* pthread_once(t, once, init);
    log.push(`${name as string} returned ${r}`);
    return r;
  };
}

test('improved: a cancelled pthread_once routine leaves the once "not run": the waiter is woken and runs it (glibc clear_once_control)', () => {
  const log: string[] = [];
  const seen: unknown[] = [];
  runLibc('improved', function* (t) {
    const once = yield* malloc(t, 4);
    const init = onceRoutine(log);
    const [, a] = yield* pthread_create(t, null, onceCaller(once, init, log), 'A');
    yield* sleep_ns(t, MS); // A is asleep in its routine
    seen.push(t.load32(once));
    const [, b] = yield* pthread_create(t, null, onceCaller(once, init, log), 'B');
    yield* sleep_ns(t, MS); // B waits for A's routine
    seen.push(t.load32(once));
    seen.push(yield* pthread_cancel(t, a));
    seen.push((yield* pthread_join(t, a))[1] === PTHREAD_CANCELED);
    seen.push(yield* pthread_join(t, b));
    seen.push(t.load32(once));
    seen.push(yield* pthread_once(t, once, init)); // done: the routine does not run a third time
  });
  // 1 running, 2 running with a waiter, then 3 done (once.ts states).
  assert.deepEqual(seen, [1, 2, 0, true, [0, 0], 3, 0]);
  assert.deepEqual(log, ['init1', 'init2', 'B returned 0']);
});

test('improved: with no waiter, the cancelled routine resets the once to 0 and the next pthread_once runs it', () => {
  const log: string[] = [];
  const seen: unknown[] = [];
  runLibc('improved', function* (t) {
    const once = yield* malloc(t, 4);
    const init = onceRoutine(log);
    const [, a] = yield* pthread_create(t, null, onceCaller(once, init, log), 'A');
    yield* sleep_ns(t, MS);
    seen.push(yield* pthread_cancel(t, a), (yield* pthread_join(t, a))[1] === PTHREAD_CANCELED);
    seen.push(t.load32(once));
    seen.push(yield* pthread_once(t, once, init), t.load32(once));
  });
  assert.deepEqual(seen, [0, true, 0, 0, 3]);
  assert.deepEqual(log, ['init1', 'init2']);
});

test('relibc: a cancelled pthread_once routine leaves the once running: a later caller waits for good', () => {
  const log: string[] = [];
  const seen: unknown[] = [];
  runLibc('relibc', function* (t) {
    const once = yield* malloc(t, 4);
    const init = onceRoutine(log);
    const [, a] = yield* pthread_create(t, null, onceCaller(once, init, log, true), 'A');
    yield* sleep_ns(t, MS);
    seen.push(yield* pthread_cancel(t, a), (yield* pthread_join(t, a))[1] === PTHREAD_CANCELED);
    seen.push(t.load32(once));
    yield* pthread_create(t, null, onceCaller(once, init, log), 'C');
    yield* sleep_ns(t, 20 * MS); // C spins 999 times, marks the word and sleeps: nobody wakes it
    seen.push(t.load32(once));
    // The root returns: exit_group ends C with the process.
  });
  assert.deepEqual(seen, [0, true, 1, 2]);
  assert.deepEqual(log, ['init1']);
});

test('improved: pthread_tryjoin_np is EBUSY while the thread runs; timedjoin/clockjoin give ETIMEDOUT, then another thread joins', () => {
  const seen: unknown[] = [];
  const lateNs: number[] = [];
  const run = runLibc('improved', function* (t) {
    const sleeper = function* (c: Guest, name: unknown): Program<unknown> {
      yield* sleep_ns(c, 20 * MS);
      return name;
    };
    const [, w] = yield* pthread_create(t, null, sleeper, 'W');
    seen.push(yield* pthread_tryjoin_np(t, w));
    seen.push(yield* pthread_tryjoin_np(t, pthread_self(t))); // glibc looks at the tid word first
    // CLOCK_REALTIME is at a 2026 date, past 2^53 ns: the lateness is measured on MONOTONIC
    // (nothing steps the realtime clock here, so both advance alike).
    const rtStart = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    seen.push(yield* pthread_timedjoin_np(t, w, yield* deadline_after(t, CLOCK_REALTIME, 2 * MS)));
    lateNs.push((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - (rtStart + 2 * MS));
    seen.push(yield* pthread_clockjoin_np(t, w, 99, yield* timespec_at(t, 0, 0))); // not a futex clock
    const noSuchTime = yield* timespec_at(t, 0, 1_000_000_000); // tv_nsec out of range
    seen.push(yield* pthread_clockjoin_np(t, w, CLOCK_MONOTONIC, noSuchTime));
    const mono = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
    seen.push(
      yield* pthread_clockjoin_np(t, w, CLOCK_MONOTONIC, yield* deadline_after(t, CLOCK_MONOTONIC, 2 * MS)),
    );
    lateNs.push((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - (mono + 2 * MS));
    // The timed-out joins left W joinable by anyone: another thread joins it.
    const [, j] = yield* pthread_create(t, null, (c) => pthread_join(c, w), null);
    seen.push(yield* pthread_join(t, j));
    seen.push(yield* pthread_tryjoin_np(t, w)); // joined: the handle names nothing
    // Threads that have exited: no wait, whatever the deadline.
    const quick = function* (_c: Guest, name: unknown): Program<unknown> {
      return name;
    };
    const [, x] = yield* pthread_create(t, null, quick, 'X');
    const [, y] = yield* pthread_create(t, null, quick, 'Y');
    yield* sleep_ns(t, MS);
    seen.push(
      yield* pthread_tryjoin_np(t, x),
      yield* pthread_timedjoin_np(t, y, yield* timespec_at(t, 0, 0)),
    );
    // A deadline after the exit: the join returns with the value.
    const [, z] = yield* pthread_create(t, null, sleeper, 'Z');
    seen.push(
      yield* pthread_clockjoin_np(t, z, CLOCK_MONOTONIC, yield* deadline_after(t, CLOCK_MONOTONIC, 100 * MS)),
    );
  });
  assert.deepEqual(seen, [
    [EBUSY, undefined],
    [EBUSY, undefined],
    [ETIMEDOUT, undefined],
    [EINVAL, undefined],
    [EINVAL, undefined],
    [ETIMEDOUT, undefined],
    [0, [0, 'W']],
    [ESRCH, undefined],
    [0, 'X'],
    [0, 'Y'],
    [0, 'Z'],
  ]);
  // Never before the deadline; at most one tick after it while timeouts expire at ticks.
  for (const late of lateNs) {
    assert.ok(
      late >= 0 && late <= run.tickPeriodNs + TIMED_WAKE_SLACK_NS,
      `woke ${late} ns after the deadline`,
    );
  }
});

test('relibc: pthread_tryjoin_np, pthread_timedjoin_np and pthread_clockjoin_np do not exist: each call aborts its process', () => {
  const calls: [string, (t: Guest, th: number) => Program<unknown>][] = [
    ['pthread_tryjoin_np', (c, th) => pthread_tryjoin_np(c, th)],
    ['pthread_timedjoin_np', (c, th) => pthread_timedjoin_np(c, th, 0)],
    ['pthread_clockjoin_np', (c, th) => pthread_clockjoin_np(c, th, CLOCK_MONOTONIC, 0)],
  ];
  const signals: number[] = [];
  const run = runGuest(
    function* (t) {
      for (const [name, call] of calls) {
        const main = function* (c: Guest): Program<number> {
          yield* call(c, pthread_self(c));
          return 0;
        };
        const pid = yield* spawn(t, { name, main }, null);
        const [, status] = yield* waitpid(t, pid);
        signals.push(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      }
      return 0;
    },
    null,
    { libc: 'relibc', futex: { mode: 'redox', shards: 1 }, expectFaults: [{ signal: 'SIGABRT', count: 3 }] },
  );
  assert.deepEqual(signals, [SIGABRT, SIGABRT, SIGABRT]);
  assert.deepEqual(
    run.kernel.faults.map((f) => f.message),
    calls.map(([name]) => `relibc: ${name} is not implemented (relibc's pthread.h has no ${name})`),
  );
});

/** Recursion with a 512-byte frame per call, bounded only by `depth`. */
function* recurse(t: Guest, depth: number): Program<number> {
  if (depth === 0) return 0;
  stack_enter(t, 512);
  yield t.compute(10);
  const r = yield* recurse(t, depth - 1);
  stack_leave(t, 512);
  return r + 1;
}

test('a stack overflow touches the guard page: SIGSEGV for its process only (LIBC-8)', () => {
  const statuses: number[] = [];
  const overflow = {
    name: 'overflow',
    *main(t: Guest): Program<number> {
      const [, th] = yield* pthread_create(t, null, (t2) => recurse(t2, 1_000_000), null);
      yield* pthread_join(t, th);
      return 0;
    },
  };
  const sibling = {
    name: 'sibling',
    *main(t: Guest): Program<number> {
      // 100 frames of 512 bytes fit a 64 KiB stack; it outlives the overflow.
      const [, th] = yield* pthread_create(t, null, (t2) => recurse(t2, 100), null);
      const [, value] = yield* pthread_join(t, th);
      yield* sleep_ns(t, 2_000_000);
      return value as number; // the exit status carries the depth reached
    },
  };
  runLibc(
    'improved',
    function* (t) {
      const p1 = yield* spawn(t, overflow, null);
      const p2 = yield* spawn(t, sibling, null);
      statuses.push((yield* waitpid(t, p1))[1], (yield* waitpid(t, p2))[1]);
    },
    { expectFaults: [{ signal: 'SIGSEGV', message: /^write to protected memory at 0x/ }] },
  );
  assert.equal(WIFSIGNALED(statuses[0]!), true);
  assert.equal(WTERMSIG(statuses[0]!), SIGSEGV);
  assert.equal(WIFEXITED(statuses[1]!), true, 'the sibling exited normally');
  assert.equal(WEXITSTATUS(statuses[1]!), 100);
});

test("joining a process's initial thread after its pthread_exit gets its value (set_tid_address)", () => {
  for (const variant of VARIANTS) {
    const out: unknown[] = [];
    const run = runLibc(variant, function* (t) {
      const main = pthread_self(t);
      yield* pthread_create(
        t,
        null,
        function* (t2) {
          out.push(yield* pthread_join(t2, main));
        },
        null,
      );
      yield* sleep_ns(t, 1_000_000);
      yield* pthread_exit(t, 'main is done');
    });
    assert.deepEqual(out, [[0, 'main is done']], variant);
    assert.equal(run.kernel.stopReason, null, variant);
  }
});
