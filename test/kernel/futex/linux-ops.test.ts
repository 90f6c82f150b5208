/**
 * The linux futex mode from a guest's side (FUTEX-1..5): return values, errno values, wake
 * counts and word contents for REQUEUE, CMP_REQUEUE, WAKE_OP, the bitset operations and keys,
 * and the order waiters wake in (Linux's plist against Redox's swap-remove, issue 11).
 */
import { futex } from '../../support/futex.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EAGAIN, EFAULT, EINVAL, ENOSYS, ETIMEDOUT } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import {
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  FUTEX_CLOCK_REALTIME,
  FUTEX_LOCK_PI,
  FUTEX_LOCK_PI2,
  FUTEX_PRIVATE_FLAG,
  MAP_SHARED,
} from '../../../src/abi/syscalls.ts';
import type { FutexMode } from '../../../src/kernel/futex/table.ts';
import { encodeWakeOp, FUTEX_OP_ADD, FUTEX_OP_CMP_EQ } from '../../../src/kernel/futex/wake-op.ts';
import { SCHED_FIFO } from '../../../src/abi/sched.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../../src/libc/pthread.ts';
import { sched_setscheduler } from '../../../src/libc/sched.ts';
import { spawn, waitpid } from '../../../src/libc/process.ts';
import { mmap_anonymous } from '../../../src/libc/sys.ts';
import {
  clock_gettime,
  clock_gettime_ns,
  timespec_load,
  timespec_ns,
  timespec_store,
  timespecAddNs,
} from '../../../src/libc/time.ts';
import { runGuest } from '../../support/guest.ts';

const WAIT = 0;
const WAKE = 1;
const REQUEUE = 3;
const CMP_REQUEUE = 4;
const WAKE_OP = 5;
const WAIT_BITSET = 9;
const WAKE_BITSET = 10;
const INT_MAX = 0x7fffffff;
const LOCK_PI = FUTEX_LOCK_PI;
const LOCK_PI2 = FUTEX_LOCK_PI2;
const SETTLE_CYCLES = 6_000_000; // 2 ms at 3 GHz: long enough for the waiters to block

interface Waiting {
  addr: number;
  op: number;
  bitset: number;
  results: number[];
}

function* waiter(t: Guest, raw: unknown): Program<number> {
  const w = raw as Waiting;
  w.results.push(yield* futex(t, w.addr, w.op, 0, 0, 0, w.bitset));
  return 0;
}

/** Runs `body` on a 2-CPU linux-mode machine with `n` threads waiting on word A; returns its log. */
function withWaiters(
  n: number,
  body: (t: Guest, a: number, b: number, log: number[]) => Program<void>,
  options: { mode?: FutexMode; op?: number; bitsets?: number[] } = {},
): { log: number[]; results: number[]; entries: number } {
  const log: number[] = [];
  const results: number[] = [];
  const run = runGuest(
    function* (t) {
      const page = yield* mmap_anonymous(t, 4096);
      const [a, b] = [page, page + 64];
      const threads: pthread_t[] = [];
      for (let i = 0; i < n; i++) {
        const bitset = options.bitsets?.[i] ?? 0xffffffff;
        const w: Waiting = { addr: a, op: options.op ?? WAIT, bitset, results };
        threads.push((yield* pthread_create(t, null, waiter, w))[1]);
      }
      yield t.compute(SETTLE_CYCLES);
      yield* body(t, a, b, log);
      for (const th of threads) yield* pthread_join(t, th);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: options.mode ?? 'linux', shards: 64 } },
  );
  assert.equal(run.kernel.finished, true, run.kernel.stopReason ?? 'the run did not finish');
  return { log, results, entries: run.kernel.futex.entryCount() };
}

test('CMP_REQUEUE wakes one waiter and moves the rest, returning woken + moved', () => {
  const { log, results } = withWaiters(4, function* (t, a, b, out) {
    out.push(yield* futex(t, a, CMP_REQUEUE, 1, INT_MAX, b, 0));
    yield t.compute(SETTLE_CYCLES);
    out.push(yield* futex(t, a, WAKE, INT_MAX), yield* futex(t, b, WAKE, INT_MAX));
  });
  assert.deepEqual(log, [4, 0, 3]);
  assert.deepEqual(results, [0, 0, 0, 0]);
});

test('CMP_REQUEUE returns EAGAIN and moves nothing when the word differs from val3', () => {
  const { log } = withWaiters(2, function* (t, a, b, out) {
    out.push(yield* futex(t, a, CMP_REQUEUE, 1, INT_MAX, b, 99));
    out.push(yield* futex(t, b, WAKE, INT_MAX), yield* futex(t, a, WAKE, INT_MAX));
  });
  assert.deepEqual(log, [-EAGAIN, 0, 2]);
});

test('REQUEUE moves at most val2 waiters', () => {
  const { log } = withWaiters(3, function* (t, a, b, out) {
    out.push(yield* futex(t, a, REQUEUE, 0, 2, b));
    out.push(yield* futex(t, b, WAKE, INT_MAX), yield* futex(t, a, WAKE, INT_MAX));
  });
  assert.deepEqual(log, [2, 2, 1]);
});

test('WAKE_OP adds to the second word and wakes on both when the old value compares equal', () => {
  const { log } = withWaiters(2, function* (t, a, b, out) {
    const op = encodeWakeOp(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0);
    out.push(yield* futex(t, a, WAKE_OP, 1, 1, b, op), t.load32(b));
    out.push(yield* futex(t, a, WAKE_OP, 1, 1, b, op), t.load32(b));
  });
  // The first call's comparison (old 0 == 0) holds; the second's (old 5 == 0) does not, but
  // its first wake still takes the remaining waiter of word A.
  assert.deepEqual(log, [1, 5, 1, 10]);
});

test('WAKE_OP with an unknown comparison is ENOSYS and leaves the word alone', () => {
  const { log } = withWaiters(1, function* (t, a, b, out) {
    out.push(yield* futex(t, a, WAKE_OP, 1, 1, b, encodeWakeOp(FUTEX_OP_ADD, 5, 9, 0)), t.load32(b));
    out.push(yield* futex(t, a, WAKE, 1));
  });
  assert.deepEqual(log, [-ENOSYS, 0, 1]);
});

test('WAKE_BITSET wakes only the waiters whose bitset meets it', () => {
  const { log, results } = withWaiters(
    3,
    function* (t, a, _b, out) {
      out.push(yield* futex(t, a, WAKE_BITSET, INT_MAX, -1, 0, 0b010));
      out.push(yield* futex(t, a, WAKE_BITSET, INT_MAX, -1, 0, 0b001));
    },
    { op: WAIT_BITSET, bitsets: [0b001, 0b010, 0b110] },
  );
  assert.deepEqual(log, [2, 1]);
  assert.deepEqual(results, [0, 0, 0]);
});

test('a zero bitset is EINVAL for both bitset operations', () => {
  const { log } = withWaiters(0, function* (t, a, _b, out) {
    out.push(yield* futex(t, a, WAIT_BITSET, 0, 0, 0, 0), yield* futex(t, a, WAKE_BITSET, 1, -1, 0, 0));
  });
  assert.deepEqual(log, [-EINVAL, -EINVAL]);
});

test('unknown ops are ENOSYS on linux and EINVAL on redox; CLOCK_REALTIME needs WAIT_BITSET', () => {
  const linux = withWaiters(0, function* (t, a, _b, out) {
    out.push(
      yield* futex(t, a, 2, 0),
      yield* futex(t, a, 14, 0),
      yield* futex(t, a, WAIT | FUTEX_CLOCK_REALTIME, 1),
    );
  });
  assert.deepEqual(linux.log, [-ENOSYS, -ENOSYS, -ENOSYS]);
  const redox = withWaiters(
    0,
    function* (t, a, _b, out) {
      out.push(yield* futex(t, a, 5, 0), yield* futex(t, a, 4, 0));
    },
    { mode: 'redox' },
  );
  assert.deepEqual(redox.log, [-EINVAL, -EINVAL]);
});

test('WAKE for 0 still wakes one on linux (it counts before it tests), none on redox', () => {
  const linux = withWaiters(2, function* (t, a, _b, out) {
    out.push(yield* futex(t, a, WAKE, 0));
    yield t.compute(SETTLE_CYCLES);
    out.push(yield* futex(t, a, WAKE, INT_MAX));
  });
  assert.deepEqual(linux.log, [1, 1]);
  const redox = withWaiters(
    2,
    function* (t, a, _b, out) {
      out.push(yield* futex(t, a, WAKE, 0), yield* futex(t, a, WAKE, INT_MAX));
    },
    { mode: 'redox' },
  );
  assert.deepEqual(redox.log, [0, 2]);
});

test('REQUEUE and WAKE_OP check their second word and counts: EINVAL, EFAULT', () => {
  const { log, results } = withWaiters(1, function* (t, a, b, out) {
    out.push(
      yield* futex(t, a, REQUEUE, -1, 1, b), // negative nr_wake
      yield* futex(t, a, CMP_REQUEUE, 1, -1, b, 0), // negative nr_requeue
      yield* futex(t, a, REQUEUE, 1, 1, b + 2), // misaligned uaddr2
      yield* futex(t, a, REQUEUE, 1, 1, 8), // unmapped uaddr2 (page 0)
      yield* futex(t, a, WAKE_OP, 1, 1, 8, encodeWakeOp(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)),
      yield* futex(t, a, WAKE, 1), // the waiter is still there after all of them
    );
  });
  assert.deepEqual(log, [-EINVAL, -EINVAL, -EINVAL, -EFAULT, -EFAULT, 1]);
  assert.deepEqual(results, [0]);
});

test('a timed-out linux waiter takes its entry out of the table', () => {
  const { log, entries } = withWaiters(0, function* (t, a, _b, out) {
    out.push(yield* futex(t, a, WAIT, 0, yield* timespec_ns(t, 1_500_000)));
  });
  assert.deepEqual(log, [-ETIMEDOUT]);
  assert.equal(entries, 0);
});

function* sharedWaiterChild(t: Guest, raw: unknown): Program<number> {
  const { word, op } = raw as { word: number; op: number };
  const r = yield* futex(t, word, op, 0, yield* timespec_ns(t, 20_000_000));
  return r === 0 ? 0 : 1;
}

/** A child waits on a MAP_SHARED word; the parent wakes it. Returns [wake result, child exit code]. */
function crossProcess(privateFlag: number): number[] {
  const out: number[] = [];
  runGuest(
    function* (t) {
      const word = yield* mmap_anonymous(t, 4096, MAP_SHARED);
      const pid = yield* spawn(
        t,
        { name: 'child', main: sharedWaiterChild },
        { word, op: WAIT | privateFlag },
      );
      yield t.compute(SETTLE_CYCLES * 2);
      out.push(yield* futex(t, word, WAKE | privateFlag, 1));
      const [, status] = yield* waitpid(t, pid);
      out.push((status >> 8) & 0xff);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode: 'linux', shards: 64 } },
  );
  return out;
}

test('shared futexes key on the physical address: processes sharing a mapping wake each other', () => {
  assert.deepEqual(crossProcess(0), [1, 0]);
});

test('private futexes key on (address space, address): another process cannot wake them', () => {
  assert.deepEqual(crossProcess(FUTEX_PRIVATE_FLAG), [0, 1]);
});

/** A waiter with a scheduling class: OTHER, or FIFO at `rtPrio`; logs `name` when woken. */
interface Ranked {
  name: string;
  word: number;
  rtPrio: number;
  order: string[];
}

function* rankedWaiter(t: Guest, raw: unknown): Program<number> {
  const w = raw as Ranked;
  if (w.rtPrio > 0) {
    const set = yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: w.rtPrio });
    if (set !== 0) w.order.push(`${w.name}: sched_setscheduler ${set}`);
  }
  const r = yield* futex(t, w.word, WAIT, 0);
  w.order.push(r === 0 ? w.name : `${w.name}: ${r}`);
  return 0;
}

/**
 * Queues the `waiters` ([name, word index, FIFO priority or 0]) one at a time, in that order,
 * runs `body`, and returns the names in the order the waiters woke.
 */
function wakeOrder(
  mode: FutexMode,
  waiters: [string, number, number][],
  body: (t: Guest, words: number[], log: number[]) => Program<void>,
): { order: string[]; log: number[] } {
  const order: string[] = [];
  const log: number[] = [];
  const run = runGuest(
    function* (t) {
      const page = yield* mmap_anonymous(t, 4096);
      const words = [page, page + 64];
      const threads: pthread_t[] = [];
      for (const [name, index, rtPrio] of waiters) {
        const w: Ranked = { name, word: words[index]!, rtPrio, order };
        threads.push((yield* pthread_create(t, null, rankedWaiter, w))[1]);
        yield t.compute(SETTLE_CYCLES); // it blocks before the next one starts
      }
      yield* body(t, words, log);
      for (const th of threads) yield* pthread_join(t, th);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode, shards: mode === 'redox' ? 1 : 64 } },
  );
  assert.equal(run.kernel.finished, true, run.kernel.stopReason ?? 'the run did not finish');
  assert.deepEqual(run.kernel.faults, []);
  return { order, log };
}

/** WAKE of 1, `n` times, each woken waiter given time to log before the next wake. */
function* wakeOneByOne(t: Guest, word: number, n: number, log: number[]): Program<void> {
  for (let i = 0; i < n; i++) {
    log.push(yield* futex(t, word, WAKE, 1));
    yield t.compute(SETTLE_CYCLES);
  }
}

test('linux FUTEX_WAKE wakes the best real-time waiter first, then SCHED_OTHER ones in FIFO order (plist)', () => {
  // FIFO 50 has kernel priority 49, FIFO 10 has 89; every SCHED_OTHER waiter registers at 100.
  const { order, log } = wakeOrder(
    'linux',
    [
      ['A other', 0, 0],
      ['B fifo10', 0, 10],
      ['C other', 0, 0],
      ['D fifo50', 0, 50],
      ['E fifo10', 0, 10],
    ],
    (t, words, out) => wakeOneByOne(t, words[0]!, 5, out),
  );
  assert.deepEqual(order, ['D fifo50', 'B fifo10', 'E fifo10', 'A other', 'C other']);
  assert.deepEqual(log, [1, 1, 1, 1, 1]);
});

test('linux CMP_REQUEUE adds each moved waiter behind the target waiters of its priority', () => {
  // Word 1 holds F (other) then G (FIFO 20): chain G, F. Word 0's chain is D, B, A; requeued in
  // that order, each goes after the target's waiters of the same or better priority.
  const { order, log } = wakeOrder(
    'linux',
    [
      ['A other', 0, 0],
      ['F other', 1, 0],
      ['B fifo10', 0, 10],
      ['G fifo20', 1, 20],
      ['D fifo50', 0, 50],
    ],
    function* (t, words, out) {
      out.push(yield* futex(t, words[0]!, CMP_REQUEUE, 0, INT_MAX, words[1]!, 0));
      yield* wakeOneByOne(t, words[1]!, 5, out);
    },
  );
  assert.deepEqual(order, ['D fifo50', 'G fifo20', 'B fifo10', 'F other', 'A other']);
  assert.deepEqual(log, [3, 1, 1, 1, 1, 1]);
});

test('redox wakes by swap-remove: the first waiter, then the last moved into its slot, and so on', () => {
  // Redox's Vec [A, B, C, D, E]: waking index 0 moves E there, then D, then C.
  const { order, log } = wakeOrder(
    'redox',
    [
      ['A', 0, 0],
      ['B', 0, 0],
      ['C', 0, 0],
      ['D', 0, 0],
      ['E', 0, 0],
    ],
    (t, words, out) => wakeOneByOne(t, words[0]!, 5, out),
  );
  assert.deepEqual(order, ['A', 'E', 'D', 'C', 'B']);
  assert.deepEqual(log, [1, 1, 1, 1, 1]);
});

/*
 * Timeouts are struct timespec in guest memory (kernel/futex/syscall.ts): read before anything
 * else, EFAULT when unreadable and, in linux mode, EINVAL when not a time (futex_init_timeout:
 * timespec64_valid), before the ENOSYS of a misplaced FUTEX_CLOCK_REALTIME and before the word
 * is compared. Redox reads its timespec unchecked.
 */
test('futex timeouts: EFAULT for an unreadable timespec, EINVAL for one that is not a time, before anything else', () => {
  const linux = withWaiters(0, function* (t, a, _b, out) {
    const bad = yield* mmap_anonymous(t, 4096);
    const put = (sec: number, nsec: number) => {
      timespec_store(t, bad, sec, nsec);
      return bad;
    };
    out.push(
      yield* futex(t, a, WAIT, 1, put(0, 1_000_000_000)), // the word is 0: EAGAIN comes later
      yield* futex(t, a, WAIT, 1, put(0, -1)),
      yield* futex(t, a, WAIT, 1, put(-1, 0)), // a negative relative timeout too
      yield* futex(t, a, WAIT_BITSET, 1, put(-1, 999_999_999), 0, 1),
      yield* futex(t, a, WAIT | FUTEX_CLOCK_REALTIME, 1, put(0, 1_000_000_000)), // before ENOSYS
      yield* futex(t, a, WAIT, 1, 0x20000), // unmapped
      yield* futex(t, a, LOCK_PI, 0, 0x20000),
      yield* futex(t, a, WAIT, 1, put(0, 999_999_999)), // valid: the word comparison answers
      yield* futex(t, a, WAKE, 1, 0x20000), // WAKE takes no timeout: the slot is not read
    );
  });
  assert.deepEqual(linux.log, [-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, -EFAULT, -EFAULT, -EAGAIN, 0]);
  const redox = withWaiters(
    0,
    function* (t, a, _b, out) {
      const ts = yield* mmap_anonymous(t, 4096);
      timespec_store(t, ts, 0, 1_000_000_000);
      out.push(yield* futex(t, a, WAIT, 1, ts), yield* futex(t, a, WAIT, 1, 0x20000));
    },
    { mode: 'redox' },
  );
  assert.deepEqual(redox.log, [-EAGAIN, -EFAULT]); // Redox does not check the fields
});

/**
 * Deadlines already past end the wait at once with ETIMEDOUT: an absolute CLOCK_REALTIME one in
 * 1970 (whose monotonic time is far below zero: once read as "no timeout"), one a second ago, a
 * monotonic one at 1 us, LOCK_PI's realtime deadline and LOCK_PI2's monotonic one on a held
 * word. "At once": the hrtimer fires as it is armed (its slack does not reach the present), so
 * the call takes a few us of syscall, switch and interrupt costs, never the wait for a tick.
 */
test('futex deadlines already past return ETIMEDOUT at once (WAIT_BITSET realtime and monotonic, LOCK_PI, LOCK_PI2)', () => {
  const took: number[] = [];
  const { log } = withWaiters(0, function* (t, a, b, out) {
    t.store32(b, t.tid); // b is a PI word held by this thread: another's LOCK_PI must wait
    const ts = yield* mmap_anonymous(t, 4096);
    const now = yield* mmap_anonymous(t, 4096);
    const realtimeAgo = function* (ns: number) {
      yield* clock_gettime(t, CLOCK_REALTIME, now);
      const at = timespecAddNs(timespec_load(t, now), -ns);
      timespec_store(t, ts, at.tv_sec, at.tv_nsec);
      return ts;
    };
    const at = (sec: number, nsec: number) => {
      timespec_store(t, ts, sec, nsec);
      return ts;
    };
    const timed = function* (call: Program<number>) {
      const t0 = yield* clock_gettime_ns(t, CLOCK_MONOTONIC);
      out.push(yield* call);
      took.push((yield* clock_gettime_ns(t, CLOCK_MONOTONIC)) - t0);
    };
    yield* timed(futex(t, a, WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, at(0, 0), 0, 1));
    yield* timed(futex(t, a, WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, yield* realtimeAgo(1_000_000_000), 0, 1));
    yield* timed(futex(t, a, WAIT_BITSET, 0, at(0, 1000), 0, 1));
    const [, th] = yield* pthread_create(
      t,
      null,
      function* (t2) {
        const t0 = yield* clock_gettime_ns(t2, CLOCK_MONOTONIC);
        timespec_store(t2, ts, 1, 0); // 1970-01-01T00:00:01Z
        out.push(yield* futex(t2, b, LOCK_PI, 0, ts));
        timespec_store(t2, ts, 0, 1000); // monotonic 1 us
        out.push(yield* futex(t2, b, LOCK_PI2, 0, ts));
        took.push((yield* clock_gettime_ns(t2, CLOCK_MONOTONIC)) - t0);
        return 0;
      },
      null,
    );
    yield* pthread_join(t, th);
  });
  assert.deepEqual(log, Array(5).fill(-ETIMEDOUT));
  for (const ns of took) assert.ok(ns < 20_000, `took ${ns} ns`);
});
