/**
 * Scheduling of pthreads (LIBC-5, LIBC-6), src/libc/pthread-sched.ts: the scheduling attributes
 * and PTHREAD_EXPLICIT_SCHED at create, pthread_setschedparam/getschedparam/setschedprio,
 * affinity, names and per-thread CPU-time clocks, with their error paths (EINVAL, EPERM, ESRCH,
 * ERANGE, ENOTSUP), in the improved libc under `fair` with Linux futexes, and what relibc's code
 * does instead under the baseline `dwrr`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import {
  EAGAIN,
  EFAULT,
  EINVAL,
  ENOENT,
  ENOSYS,
  ENOTSUP,
  EPERM,
  ERANGE,
  ESRCH,
} from '../../src/abi/errno.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO, SCHED_OTHER, SCHED_RR } from '../../src/abi/sched.ts';
import { SIGABRT } from '../../src/abi/signal.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_THREAD_CPUTIME_ID,
  WEXITSTATUS,
  WIFSIGNALED,
  WTERMSIG,
} from '../../src/abi/syscalls.ts';
import {
  PTHREAD_EXPLICIT_SCHED,
  PTHREAD_INHERIT_SCHED,
  PTHREAD_SCOPE_PROCESS,
  PTHREAD_SCOPE_SYSTEM,
} from '../../src/libc/layout.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { spawn_as } from '../../src/libc/proc-handles.ts';
import {
  pthread_attr_init,
  pthread_attr_setaffinity_np,
  pthread_attr_t,
  pthread_create,
  pthread_join,
  pthread_self,
  threadTid,
} from '../../src/libc/pthread.ts';
import {
  pthread_attr_getinheritsched,
  pthread_attr_getschedparam,
  pthread_attr_getschedpolicy,
  pthread_attr_getscope,
  pthread_attr_setinheritsched,
  pthread_attr_setschedparam,
  pthread_attr_setschedpolicy,
  pthread_attr_setscope,
  pthread_getaffinity_np,
  pthread_getcpuclockid,
  pthread_getname_np,
  pthread_getschedparam,
  pthread_setaffinity_np,
  pthread_setname_np,
  pthread_setschedparam,
  pthread_setschedprio,
  threadCpuClockId,
} from '../../src/libc/pthread-sched.ts';
import {
  sched_getparam,
  sched_getscheduler,
  sched_rr_get_interval,
  sched_setattr,
  sched_setscheduler,
} from '../../src/libc/sched.ts';
import {
  pthread_mutex_lock,
  pthread_mutex_new,
  pthread_mutex_unlock,
  pthread_mutexattr_init,
  pthread_mutexattr_setprioceiling,
  pthread_mutexattr_setprotocol,
  pthread_mutexattr_t,
} from '../../src/libc/mutex.ts';
import { PTHREAD_PRIO_PROTECT } from '../../src/libc/layout.ts';
import { malloc } from '../../src/libc/malloc.ts';
import { sched_setaffinity_cpus } from '../../src/libc/sched.ts';
import { errno } from '../../src/libc/errno.ts';
import { clock_gettime_ns, sleep_ns } from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';
import { runLibc, VARIANTS } from '../support/libc.ts';

const MS = 1_000_000;
/** The test machine's CPUs run at about 3000 MHz (test/support/guest.ts), each with a small skew. */
const CYCLES_PER_NS = 3;
const BURST_CYCLES = 10 * MS * CYCLES_PER_NS;
const SYSCALL_NS = 100; // cost-model syscallNs: charged to the caller before the handler runs

/** A PTHREAD_PRIO_PROTECT mutex attribute with `ceiling`. */
function ppAttr(ceiling: number): pthread_mutexattr_t {
  const a = new pthread_mutexattr_t();
  pthread_mutexattr_init(a);
  pthread_mutexattr_setprotocol(a, PTHREAD_PRIO_PROTECT);
  pthread_mutexattr_setprioceiling(a, ceiling);
  return a;
}

function newAttr(): pthread_attr_t {
  const a = new pthread_attr_t();
  pthread_attr_init(a);
  return a;
}

/** The caller's policy and priority as the kernel has them. */
function* own(t: Guest): Program<[number, number]> {
  const policy = yield* sched_getscheduler(t, 0);
  const [, param] = yield* sched_getparam(t, 0);
  return [policy, param?.sched_priority ?? -1];
}

test('threadCpuClockId is Linux MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) = (~tid << 3) | 6', () => {
  assert.equal(threadCpuClockId(1), -10);
  assert.equal(threadCpuClockId(2), -18);
  assert.equal(threadCpuClockId(1000), -8002);
});

test('improved: scheduling attributes, glibc values and errors (EINVAL, ENOTSUP)', () => {
  const seen: unknown[] = [];
  runLibc('improved', function* (t) {
    const a = newAttr();
    seen.push(pthread_attr_getschedpolicy(t, a), pthread_attr_getschedparam(t, a));
    seen.push(pthread_attr_getinheritsched(t, a), pthread_attr_getscope(t, a));
    seen.push(pthread_attr_setschedpolicy(t, a, 7), pthread_attr_setschedpolicy(t, a, SCHED_BATCH));
    seen.push(yield* pthread_attr_setschedparam(t, a, { sched_priority: 1 })); // OTHER: only 0
    seen.push(yield* pthread_attr_setschedparam(t, a, { sched_priority: 0 }));
    seen.push(pthread_attr_setschedpolicy(t, a, SCHED_FIFO));
    seen.push(yield* pthread_attr_setschedparam(t, a, { sched_priority: 0 }));
    seen.push(yield* pthread_attr_setschedparam(t, a, { sched_priority: 100 }));
    seen.push(yield* pthread_attr_setschedparam(t, a, { sched_priority: 50 }));
    seen.push(pthread_attr_getschedpolicy(t, a), pthread_attr_getschedparam(t, a));
    seen.push(
      pthread_attr_setinheritsched(t, a, 2),
      pthread_attr_setinheritsched(t, a, PTHREAD_EXPLICIT_SCHED),
    );
    seen.push(pthread_attr_getinheritsched(t, a));
    seen.push(pthread_attr_setscope(t, a, PTHREAD_SCOPE_PROCESS), pthread_attr_setscope(t, a, 5));
    seen.push(pthread_attr_setscope(t, a, PTHREAD_SCOPE_SYSTEM), pthread_attr_getscope(t, a));
    seen.push(pthread_attr_getschedpolicy(t, new pthread_attr_t())); // not initialized
  });
  assert.deepEqual(seen, [
    [0, SCHED_OTHER],
    [0, { sched_priority: 0 }],
    [0, PTHREAD_INHERIT_SCHED],
    [0, PTHREAD_SCOPE_SYSTEM],
    EINVAL,
    EINVAL,
    EINVAL,
    0,
    0,
    EINVAL,
    EINVAL,
    0,
    [0, SCHED_FIFO],
    [0, { sched_priority: 50 }],
    EINVAL,
    0,
    [0, PTHREAD_EXPLICIT_SCHED],
    ENOTSUP,
    EINVAL,
    0,
    [0, PTHREAD_SCOPE_SYSTEM],
    [EINVAL, 0],
  ]);
});

test('improved: PTHREAD_EXPLICIT_SCHED applies policy and priority before the thread first runs', () => {
  const seen: unknown[] = [];
  runLibc(
    'improved',
    function* (t) {
      let stop = false;
      const record = function* (c: Guest): Program<unknown> {
        seen.push(yield* own(c)); // its first act
        while (!stop) yield* sleep_ns(c, MS);
        return 0;
      };
      const explicit = newAttr();
      assert.equal(pthread_attr_setinheritsched(t, explicit, PTHREAD_EXPLICIT_SCHED), 0);
      assert.equal(pthread_attr_setschedpolicy(t, explicit, SCHED_FIFO), 0);
      assert.equal(yield* pthread_attr_setschedparam(t, explicit, { sched_priority: 50 }), 0);
      let [err, th] = yield* pthread_create(t, explicit, record, null);
      seen.push(err, yield* pthread_getschedparam(t, th));
      stop = true;
      yield* pthread_join(t, th);
      // INHERIT (the default) leaves the new thread as the kernel makes it.
      [err, th] = yield* pthread_create(t, newAttr(), record, null);
      yield* pthread_join(t, th);
      // EXPLICIT with nothing set takes the creator's policy and priority; with only the
      // policy set, the creator's priority (glibc's pthread_create).
      assert.equal(yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 30 }), 0);
      const bare = newAttr();
      pthread_attr_setinheritsched(t, bare, PTHREAD_EXPLICIT_SCHED);
      [err, th] = yield* pthread_create(t, bare, record, null);
      yield* pthread_join(t, th);
      pthread_attr_setschedpolicy(t, bare, SCHED_RR);
      [err, th] = yield* pthread_create(t, bare, record, null);
      yield* pthread_join(t, th);
      // INHERIT now that the creator is FIFO 30: clone copies the class and priority.
      [err, th] = yield* pthread_create(t, newAttr(), record, null);
      yield* pthread_join(t, th);
      // A priority the policy does not allow: the kernel's EINVAL from pthread_create.
      const bad = newAttr();
      pthread_attr_setinheritsched(t, bad, PTHREAD_EXPLICIT_SCHED);
      pthread_attr_setschedpolicy(t, bad, SCHED_OTHER);
      bad.schedpriority = 5; // as a C program may store it behind the setter's back
      bad.schedset |= 2;
      seen.push(yield* pthread_create(t, bad, record, null));
    },
    { policy: 'fair' },
  );
  assert.deepEqual(seen, [
    [SCHED_FIFO, 50],
    0,
    [0, SCHED_FIFO, { sched_priority: 50 }],
    [SCHED_OTHER, 0],
    [SCHED_FIFO, 30],
    [SCHED_RR, 30],
    [SCHED_FIFO, 30],
    [EINVAL, 0],
  ]);
});

test('improved: an unprivileged creator gets EPERM from pthread_create and from setschedparam', () => {
  const seen: unknown[] = [];
  let failedThreads = 0;
  function* user(t: Guest): Program<number> {
    const attr = newAttr();
    pthread_attr_setinheritsched(t, attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(t, attr, SCHED_FIFO);
    yield* pthread_attr_setschedparam(t, attr, { sched_priority: 10 });
    seen.push(
      yield* pthread_create(
        t,
        attr,
        function* () {
          failedThreads++; // never runs: the thread exits before its start routine
          return 0;
        },
        null,
      ),
    );
    const self = pthread_self(t);
    seen.push(yield* pthread_setschedparam(t, self, SCHED_FIFO, { sched_priority: 10 }));
    seen.push(yield* pthread_setschedparam(t, self, SCHED_OTHER, { sched_priority: 0 })); // no change: allowed
    seen.push(yield* pthread_setschedprio(t, self, 1)); // OTHER takes only 0
    // The failed create left no thread behind; a normal one still works.
    const [err, th] = yield* pthread_create(
      t,
      null,
      function* () {
        return 7;
      },
      null,
    );
    seen.push(err, yield* pthread_join(t, th));
    return 0;
  }
  const run = runLibc(
    'improved',
    function* (t) {
      const pid = yield* spawn_as(t, 1000, { name: 'user', main: user }, null);
      seen.push(WEXITSTATUS((yield* waitpid(t, pid))[1]));
    },
    { policy: 'fair' },
  );
  assert.deepEqual(seen, [[EPERM, 0], EPERM, 0, EINVAL, 0, [0, 7], 0]);
  assert.equal(failedThreads, 0);
  // root and the user's main stay dead in the table (group leaders of processes the run keeps);
  // the stillborn thread and the normal one left it at their last switch (thread-release.ts).
  assert.equal(run.kernel.threads.size, 2);
  for (const th of run.kernel.threads.values()) assert.equal(th.state, 3 /* Dead */);
  assert.equal(run.kernel.releasedThreads.size, 2);
});

test('improved: setschedparam, getschedparam and setschedprio on another thread; EINVAL paths', () => {
  const seen: unknown[] = [];
  runLibc(
    'improved',
    function* (t) {
      let stop = false;
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (c) {
          while (!stop) yield* sleep_ns(c, MS);
          return yield* own(c);
        },
        null,
      );
      seen.push(yield* pthread_getschedparam(t, th));
      seen.push(yield* pthread_setschedparam(t, th, SCHED_RR, { sched_priority: 20 }));
      seen.push(yield* pthread_getschedparam(t, th));
      seen.push(yield* pthread_setschedprio(t, th, 40));
      seen.push(yield* pthread_getschedparam(t, th));
      seen.push(yield* pthread_setschedprio(t, th, 100));
      seen.push(yield* pthread_setschedparam(t, th, 9, { sched_priority: 0 }));
      seen.push(yield* pthread_setschedparam(t, th, SCHED_FIFO, { sched_priority: 0 }));
      stop = true;
      seen.push((yield* pthread_join(t, th))[1]);
    },
    { policy: 'fair' },
  );
  assert.deepEqual(seen, [
    [0, SCHED_OTHER, { sched_priority: 0 }],
    0,
    [0, SCHED_RR, { sched_priority: 20 }],
    0,
    [0, SCHED_RR, { sched_priority: 40 }],
    EINVAL,
    EINVAL,
    EINVAL,
    [SCHED_RR, 40],
  ]);
});

test('improved: pthread_getschedparam reports the own priority while a PRIO_PROTECT mutex raises the thread; set* while raised keep the ceiling', () => {
  const seen: unknown[] = [];
  const fromMain: unknown[] = [];
  runLibc(
    'improved',
    function* (t) {
      const m = yield* pthread_mutex_new(t, ppAttr(40));
      let stop = false;
      let locked = false;
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (c) {
          const self = pthread_self(c);
          seen.push(yield* sched_setscheduler(c, 0, SCHED_FIFO, { sched_priority: 10 }));
          seen.push(yield* pthread_mutex_lock(c, m), yield* own(c), yield* pthread_getschedparam(c, self));
          locked = true;
          while (!stop) yield* sleep_ns(c, MS); // main reads it from outside meanwhile
          // While raised: the kernel gets the higher of the request and the ceiling.
          seen.push(yield* pthread_setschedparam(c, self, SCHED_FIFO, { sched_priority: 20 }));
          seen.push(yield* own(c), yield* pthread_getschedparam(c, self));
          seen.push(
            yield* pthread_setschedprio(c, self, 50),
            yield* own(c),
            yield* pthread_getschedparam(c, self),
          );
          seen.push(
            yield* pthread_setschedprio(c, self, 30),
            yield* own(c),
            yield* pthread_getschedparam(c, self),
          );
          // The last PROTECT unlock restores the priority last set, not the one before the lock.
          seen.push(yield* pthread_mutex_unlock(c, m), yield* own(c), yield* pthread_getschedparam(c, self));
          return 0;
        },
        null,
      );
      while (!locked) yield* sleep_ns(t, MS);
      fromMain.push(yield* pthread_getschedparam(t, th), yield* sched_getparam(t, threadTid(t, th)));
      stop = true;
      yield* pthread_join(t, th);
    },
    { policy: 'fair' },
  );
  const fifo = (prio: number) => [0, SCHED_FIFO, { sched_priority: prio }];
  assert.deepEqual(seen, [
    0,
    0,
    [SCHED_FIFO, 40],
    fifo(10),
    0,
    [SCHED_FIFO, 40],
    fifo(20),
    0,
    [SCHED_FIFO, 50],
    fifo(50),
    0,
    [SCHED_FIFO, 40],
    fifo(30),
    0,
    [SCHED_FIFO, 30],
    fifo(30),
  ]);
  assert.deepEqual(fromMain, [fifo(10), [0, { sched_priority: 40 }]]);
});

for (const variant of VARIANTS) {
  test(`sched_setscheduler and pthread_setschedparam with a negative or unknown policy: EINVAL, nothing changes (${variant}, fair)`, () => {
    const seen: unknown[] = [];
    runLibc(
      variant,
      function* (t) {
        const self = pthread_self(t);
        seen.push(yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 30 }));
        for (const policy of [-1, -5, 4, 7]) {
          seen.push(yield* sched_setscheduler(t, 0, policy, { sched_priority: 20 }), errno(t));
          seen.push(yield* pthread_setschedparam(t, self, policy, { sched_priority: 20 }));
        }
        seen.push(yield* own(t));
      },
      { policy: 'fair' },
    );
    // relibc's pthread_setschedparam is `// TODO Ok(())`; its sched_setscheduler reaches the kernel.
    const threadCall = variant === 'improved' ? EINVAL : 0;
    assert.deepEqual(seen, [0, ...[-1, -5, 4, 7].flatMap(() => [-1, EINVAL, threadCall]), [SCHED_FIFO, 30]]);
  });

  test(`sched_rr_get_interval with a NULL result pointer: EFAULT after the pid checks (${variant}, fair)`, () => {
    const seen: unknown[] = [];
    runLibc(
      variant,
      function* (t) {
        seen.push(yield* sched_setscheduler(t, 0, SCHED_RR, { sched_priority: 10 }));
        const ts = yield* malloc(t, 16);
        seen.push(yield* sched_rr_get_interval(t, 0, ts), t.load32(ts), t.load32(ts + 8));
        seen.push(yield* sched_rr_get_interval(t, 0, 0), errno(t));
        seen.push(yield* sched_rr_get_interval(t, 4242, 0), errno(t));
        seen.push(yield* sched_rr_get_interval(t, -1, 0), errno(t));
      },
      { policy: 'fair' },
    );
    // RR_TIMESLICE: 100 ms, { tv_sec 0, tv_nsec 100000000 }.
    assert.deepEqual(seen, [
      0,
      [0, 100 * MS],
      0,
      100 * MS,
      [-1, -1],
      EFAULT,
      [-1, -1],
      ESRCH,
      [-1, -1],
      EINVAL,
    ]);
  });
}

test('relibc under dwrr: a bad policy and a NULL interval are ENOSYS first: Redox has no sched_* calls', () => {
  const seen: unknown[] = [];
  runLibc(
    'relibc',
    function* (t) {
      seen.push(yield* sched_setscheduler(t, 0, -1, { sched_priority: 0 }), errno(t));
      seen.push(yield* sched_rr_get_interval(t, 0, 0), errno(t));
    },
    { policy: 'dwrr' },
  );
  assert.deepEqual(seen, [-1, ENOSYS, [-1, -1], ENOSYS]);
});

test('improved: affinity and names on a thread; EINVAL, ERANGE', () => {
  const seen: unknown[] = [];
  runLibc(
    'improved',
    function* (t) {
      let stop = false;
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (c) {
          while (!stop) yield* sleep_ns(c, MS);
          return 0;
        },
        null,
      );
      seen.push(yield* pthread_getaffinity_np(t, th));
      seen.push(yield* pthread_setaffinity_np(t, th, [1]));
      seen.push(yield* pthread_getaffinity_np(t, th));
      seen.push(yield* pthread_setaffinity_np(t, th, [5])); // a 2-CPU machine has no CPU 5
      seen.push(yield* pthread_setaffinity_np(t, th, []));
      seen.push(yield* pthread_setname_np(t, th, 'worker'));
      seen.push(yield* pthread_getname_np(t, th, 16));
      seen.push(yield* pthread_setname_np(t, th, '0123456789abcdef')); // 16 bytes
      seen.push(yield* pthread_getname_np(t, th, 15));
      seen.push(yield* pthread_getname_np(t, pthread_self(t), 16)); // the program's name
      stop = true;
      yield* pthread_join(t, th);
    },
    { policy: 'fair' },
  );
  assert.deepEqual(seen, [
    [0, [0, 1]],
    0,
    [0, [1]],
    EINVAL,
    EINVAL,
    0,
    [0, 'worker'],
    ERANGE,
    [ERANGE, ''],
    [0, 'test'],
  ]);
});

test('improved: every call on an exited or joined thread is ESRCH; its CPU clock reads EINVAL', () => {
  const seen: unknown[] = [];
  runLibc(
    'improved',
    function* (t) {
      const [, th] = yield* pthread_create(
        t,
        null,
        function* () {
          return 0;
        },
        null,
      );
      const [clockErr, clock] = pthread_getcpuclockid(t, th);
      yield* sleep_ns(t, MS); // it has exited, not yet joined
      for (let round = 0; round < 2; round++) {
        seen.push(yield* pthread_setschedparam(t, th, SCHED_OTHER, { sched_priority: 0 }));
        seen.push(yield* pthread_getschedparam(t, th));
        seen.push(yield* pthread_setschedprio(t, th, 0));
        seen.push(yield* pthread_setaffinity_np(t, th, [0]));
        seen.push(yield* pthread_getaffinity_np(t, th));
        seen.push(yield* pthread_setname_np(t, th, 'x'));
        seen.push(yield* pthread_getname_np(t, th, 16));
        if (round === 0) {
          seen.push(clockErr, clock === threadCpuClockId(threadTid(t, th)));
          seen.push(yield* clock_gettime_ns(t, clock));
          yield* pthread_join(t, th);
        }
      }
      seen.push(pthread_getcpuclockid(t, th)); // joined: the handle names nothing
    },
    { policy: 'fair' },
  );
  const gone = [ESRCH, [ESRCH, -1, null], ESRCH, ESRCH, [ESRCH, []], ESRCH, [ESRCH, '']];
  assert.deepEqual(seen, [...gone, 0, true, -EINVAL, ...gone, [ESRCH, 0]]);
});

test("improved: a thread's CPU clock reads its run time, a running burst counted up to now", () => {
  // The worker runs alone on CPU 1 and the main thread on CPU 0, so every ns of CPU 1's time
  // from the worker's first clock read on is the worker's: its CPU clock must advance exactly
  // as CLOCK_MONOTONIC does, each clock_gettime adding its syscall entry (charged before the
  // handler reads the clock). Bursts are jittered (computeJitterPpm), so only such relations
  // are exact, not the burst's length.
  const seen: number[] = [];
  const w = { thr1: 0, mono1: 0 };
  runLibc(
    'improved',
    function* (t) {
      assert.equal(yield* sched_setaffinity_cpus(t, 0, [0]), 0);
      const onCpu1 = newAttr();
      pthread_attr_setaffinity_np(onCpu1, [1]);
      const [, th] = yield* pthread_create(
        t,
        onCpu1,
        function* (c) {
          w.thr1 = yield* clock_gettime_ns(c, CLOCK_THREAD_CPUTIME_ID);
          w.mono1 = yield* clock_gettime_ns(c, CLOCK_MONOTONIC);
          yield c.compute(BURST_CYCLES);
          const mono2 = yield* clock_gettime_ns(c, CLOCK_MONOTONIC);
          const thr2 = yield* clock_gettime_ns(c, CLOCK_THREAD_CPUTIME_ID);
          seen.push(thr2 - w.thr1 - (mono2 - w.mono1));
          return 0;
        },
        null,
      );
      const [err, clock] = pthread_getcpuclockid(t, th);
      seen.push(err, clock - threadCpuClockId(threadTid(t, th)));
      yield* sleep_ns(t, 5 * MS); // the worker is about 5 ms into its 10 ms burst on CPU 1
      const mid = yield* clock_gettime_ns(t, clock);
      const monoNow = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
      // Read at monoNow - 100: the time it had at mono1, plus everything since.
      seen.push(mid - (w.thr1 + SYSCALL_NS + (monoNow - SYSCALL_NS - w.mono1)));
      seen.push(mid - w.thr1 < 6 * MS ? 1 : 0); // not the whole burst charged at its start
      yield* pthread_join(t, th);
      // pthread_getcpuclockid of oneself names the caller's clock, as CLOCK_THREAD_CPUTIME_ID.
      const [, self] = pthread_getcpuclockid(t, pthread_self(t));
      const a = yield* clock_gettime_ns(t, CLOCK_THREAD_CPUTIME_ID);
      const b = yield* clock_gettime_ns(t, self);
      seen.push(b - a);
      seen.push(yield* clock_gettime_ns(t, -1)); // PROF of pid 0: not modelled, refused
      seen.push(yield* clock_gettime_ns(t, threadCpuClockId(999))); // no such thread
      seen.push(yield* clock_gettime_ns(t, 99));
    },
    { policy: 'fair' },
  );
  assert.deepEqual(seen, [0, 0, 0, 1, 2 * SYSCALL_NS, SYSCALL_NS, -EINVAL, -EINVAL, -EINVAL]);
});

test('improved: CLOCK_PROCESS_CPUTIME_ID is the sum of the threads, the exited ones included', () => {
  const seen: number[] = [];
  const run = runLibc(
    'improved',
    function* (t) {
      const [, th] = yield* pthread_create(
        t,
        null,
        function* (c) {
          yield c.compute(3 * MS * CYCLES_PER_NS);
          return 0;
        },
        null,
      );
      yield* pthread_join(t, th);
      const processNs = yield* clock_gettime_ns(t, CLOCK_PROCESS_CPUTIME_ID);
      const threadNs = yield* clock_gettime_ns(t, CLOCK_THREAD_CPUTIME_ID);
      // threadNs is the root's time at the first read plus the second read's syscall entry.
      seen.push(processNs - (threadNs - SYSCALL_NS));
    },
    { policy: 'fair' },
  );
  assert.equal(run.kernel.threads.has(2), false, 'the joined worker was released');
  const worker = run.kernel.releasedThreads.get(2)!;
  assert.ok(worker.cpuTimeNs > 2 * MS, `${worker.cpuTimeNs}`); // released: its 3 ms burst stays in the sum
  assert.deepEqual(seen, [worker.cpuTimeNs]);
});

test('relibc under dwrr: attributes as relibc stores them; create ignores them; set* do nothing', () => {
  const seen: unknown[] = [];
  runLibc(
    'relibc',
    function* (t) {
      const a = newAttr();
      seen.push(pthread_attr_getschedpolicy(t, a)); // relibc's default: SCHED_RR
      seen.push(pthread_attr_setschedpolicy(t, a, 7), pthread_attr_setinheritsched(t, a, 2));
      seen.push(pthread_attr_setscope(t, a, PTHREAD_SCOPE_PROCESS), pthread_attr_getscope(t, a));
      seen.push(pthread_attr_setscope(t, a, 5));
      seen.push(pthread_attr_setschedpolicy(t, a, SCHED_FIFO));
      seen.push(yield* pthread_attr_setschedparam(t, a, { sched_priority: 500 })); // unchecked
      seen.push(pthread_attr_getschedparam(t, a));
      seen.push(pthread_attr_setinheritsched(t, a, PTHREAD_EXPLICIT_SCHED));
      const [err, th] = yield* pthread_create(
        t,
        a,
        function* (c) {
          return yield* sched_getscheduler(c, 0); // dwrr has no sched_* calls: ENOSYS
        },
        null,
      );
      seen.push(err, yield* pthread_setschedparam(t, th, SCHED_FIFO, { sched_priority: 10 }));
      seen.push(yield* pthread_setschedprio(t, th, 10));
      seen.push(pthread_getcpuclockid(t, th));
      seen.push((yield* pthread_join(t, th))[1]);
      seen.push(yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: 10 }), errno(t));
    },
    { policy: 'dwrr' },
  );
  assert.deepEqual(seen, [
    [0, SCHED_RR],
    ENOTSUP,
    ENOTSUP,
    0,
    [0, PTHREAD_SCOPE_PROCESS],
    ENOTSUP,
    0,
    0,
    [0, { sched_priority: 500 }],
    0,
    0,
    0,
    0,
    [ENOENT, 0],
    -1, // the thread's sched_getscheduler: dwrr has no sched_* calls
    -1,
    ENOSYS,
  ]);
});

test('relibc: pthread_getschedparam is todo!(): the process aborts', () => {
  const seen: number[] = [];
  runGuest(
    function* (t) {
      const pid = yield* spawn(
        t,
        {
          name: 'getsched',
          main: function* (c) {
            yield* pthread_getschedparam(c, pthread_self(c));
            return 0;
          },
        },
        null,
      );
      const [, status] = yield* waitpid(t, pid);
      seen.push(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      return 0;
    },
    null,
    {
      libc: 'relibc',
      policy: 'dwrr',
      futex: { mode: 'redox', shards: 1 },
      expectFaults: [{ signal: 'SIGABRT', message: /relibc: pthread_getschedparam is todo!\(\)/ }],
    },
  );
  assert.deepEqual(seen, [SIGABRT]);
});

test('improved: a SCHED_DEADLINE thread cannot create threads (EAGAIN, as sched_fork refuses)', () => {
  const seen: unknown[] = [];
  runLibc(
    'improved',
    function* (t) {
      const dl = {
        policy: SCHED_DEADLINE,
        flags: 0,
        nice: 0,
        priority: 0,
        runtimeNs: MS,
        deadlineNs: 10 * MS,
        periodNs: 10 * MS,
      };
      seen.push(yield* sched_setattr(t, 0, dl));
      seen.push(
        (yield* pthread_create(
          t,
          newAttr(),
          function* () {
            return 0;
          },
          null,
        ))[0],
      );
    },
    { policy: 'fair' },
  );
  assert.deepEqual(seen, [0, EAGAIN]);
});
