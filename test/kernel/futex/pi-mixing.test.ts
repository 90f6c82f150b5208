/**
 * A PI futex word used by plain futex operations too (issue 11). Linux keeps LOCK_PI waiters on
 * the same hash chain as plain waiters (kernel/futex/waitwake.c, requeue.c, pi.c):
 * - FUTEX_WAKE, WAKE_BITSET and WAKE_OP stop at the first PI waiter with EINVAL (the waiters
 *   before it in the chain stay woken); REQUEUE and CMP_REQUEUE likewise on their first word;
 * - FUTEX_WAIT has no such check (futex_wait_setup only compares the value): it queues, and
 *   times out or is woken as usual;
 * - LOCK_PI, TRYLOCK_PI and UNLOCK_PI refuse a word whose top waiter is plain (EINVAL:
 *   attach_to_pi_state's case [3], futex_unlock_pi).
 * Red Bear keeps its PI waiters apart and answers a plain wake with 0.
 */
import { futex } from '../../support/futex.ts';
import { timespec_ns } from '../../../src/libc/time.ts';
import { sleep_ns } from '../../../src/libc/time.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EINVAL, ETIMEDOUT } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { SYS_GETTID } from '../../../src/abi/syscalls.ts';
import { FUTEX_WAITERS } from '../../../src/kernel/futex/pi.ts';
import type { FutexMode } from '../../../src/kernel/futex/table.ts';
import {
  encodeWakeOp,
  FUTEX_OP_ADD,
  FUTEX_OP_CMP_EQ,
  FUTEX_OP_CMP_NE,
} from '../../../src/kernel/futex/wake-op.ts';
import { malloc } from '../../../src/libc/malloc.ts';
import { SCHED_FIFO } from '../../../src/abi/sched.ts';
import { pthread_create, pthread_join } from '../../../src/libc/pthread.ts';
import { sched_setscheduler } from '../../../src/libc/sched.ts';
import { syscall } from '../../../src/libc/sys.ts';
import { runGuest } from '../../support/guest.ts';

const MS = 1_000_000;
const WAIT = 0;
const WAKE = 1;
const REQUEUE = 3;
const CMP_REQUEUE = 4;
const WAKE_OP = 5;
const LOCK_PI = 6;
const UNLOCK_PI = 7;
const TRYLOCK_PI = 8;
const WAKE_BITSET = 10;
const INT_MAX = 0x7fffffff;

/** Runs `main` on a 2-CPU machine in `mode`; checks that it finished without a guest fault. */
function run(mode: FutexMode, main: (t: Guest) => Program<number>): void {
  const r = runGuest(main, null, { cpus: 2, futex: { mode, shards: 64 } });
  assert.equal(r.kernel.finished, true, r.kernel.stopReason ?? 'the run did not finish');
  assert.deepEqual(r.kernel.faults, []);
}

/** A thread that takes the PI lock `word` (blocking), logs the result, and unlocks it. */
function* piLocker(t: Guest, raw: unknown): Program<number> {
  const { word, log } = raw as { word: number; log: string[] };
  log.push(`locker lock=${yield* futex(t, word, LOCK_PI)}`);
  log.push(`locker unlock=${yield* futex(t, word, UNLOCK_PI)}`);
  return 0;
}

interface Plain {
  word: number;
  expected: number;
  name: string;
  /** SCHED_FIFO priority, or 0 for SCHED_OTHER. */
  rtPrio: number;
  log: string[];
}

/** A thread that waits plainly on `word` while it holds `expected`, and logs the result. */
function* plainWaiter(t: Guest, raw: unknown): Program<number> {
  const w = raw as Plain;
  if (w.rtPrio > 0) yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: w.rtPrio });
  w.log.push(`${w.name} wait=${yield* futex(t, w.word, WAIT, w.expected)}`);
  return 0;
}

test('linux: every plain wake and requeue of a word with a LOCK_PI waiter is EINVAL; WAIT still queues', () => {
  const log: string[] = [];
  run('linux', function* (t) {
    const word = yield* malloc(t, 4);
    const other = yield* malloc(t, 4);
    log.push(`lock=${yield* futex(t, word, LOCK_PI)}`);
    const [, locker] = yield* pthread_create(t, null, piLocker, { word, log });
    yield* sleep_ns(t, 2 * MS); // the locker blocks in LOCK_PI: the word has PI state
    const held = t.load32(word);
    const op = encodeWakeOp(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0);
    log.push(`wake=${yield* futex(t, word, WAKE, 1)}`);
    log.push(`wake-bitset=${yield* futex(t, word, WAKE_BITSET, INT_MAX, -1, 0, 1)}`);
    log.push(`wake-op-first=${yield* futex(t, word, WAKE_OP, 1, 1, other, op)} other=${t.load32(other)}`);
    // ADD 0 leaves the PI word as it is, and old != 0 holds: the second word's wake meets the PI waiter.
    const keep = encodeWakeOp(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_NE, 0);
    log.push(`wake-op-second=${yield* futex(t, other, WAKE_OP, 1, 1, word, keep)}`);
    log.push(`word-kept=${t.load32(word) === held}`);
    log.push(`requeue=${yield* futex(t, word, REQUEUE, 1, 1, other)}`);
    log.push(`cmp-requeue=${yield* futex(t, word, CMP_REQUEUE, 0, 1, other, held)}`);
    log.push(`requeue-onto=${yield* futex(t, other, REQUEUE, 0, INT_MAX, word)}`); // no waiters to move
    log.push(`wait=${yield* futex(t, word, WAIT, held, yield* timespec_ns(t, MS))}`); // queues behind the locker
    log.push(`unlock=${yield* futex(t, word, UNLOCK_PI)}`);
    yield* pthread_join(t, locker);
    return 0;
  });
  assert.deepEqual(log, [
    'lock=0',
    `wake=${-EINVAL}`,
    `wake-bitset=${-EINVAL}`,
    `wake-op-first=${-EINVAL} other=1`,
    `wake-op-second=${-EINVAL}`,
    'word-kept=true',
    `requeue=${-EINVAL}`,
    `cmp-requeue=${-EINVAL}`,
    'requeue-onto=0',
    `wait=${-ETIMEDOUT}`,
    'unlock=0',
    'locker lock=0',
    'locker unlock=0',
  ]);
});

test('linux: a wake takes the plain waiters ahead of the PI waiter in the chain, then stops with EINVAL', () => {
  const log: string[] = [];
  run('linux', function* (t) {
    const word = yield* malloc(t, 4);
    const me = yield* syscall(t, SYS_GETTID);
    yield* futex(t, word, LOCK_PI);
    // L (LOCK_PI, SCHED_OTHER) queues first; P (plain, SCHED_FIFO 10) goes ahead of it, Q (plain,
    // SCHED_OTHER) behind: the chain is P, L, Q. (A plain waiter cannot queue ahead of a PI one
    // any other way: LOCK_PI itself refuses a word whose top waiter is plain.)
    const [, locker] = yield* pthread_create(t, null, piLocker, { word, log });
    yield* sleep_ns(t, 2 * MS);
    const expected = (me | FUTEX_WAITERS) >>> 0;
    const [, p] = yield* pthread_create(t, null, plainWaiter, { word, expected, name: 'P', rtPrio: 10, log });
    yield* sleep_ns(t, 2 * MS);
    const [, q] = yield* pthread_create(t, null, plainWaiter, { word, expected, name: 'Q', rtPrio: 0, log });
    yield* sleep_ns(t, 2 * MS);
    log.push(`wake-all=${yield* futex(t, word, WAKE, INT_MAX)}`); // wakes P, then meets L
    yield* sleep_ns(t, 2 * MS);
    log.push(`wake-one=${yield* futex(t, word, WAKE, 1)}`); // L is on top now
    log.push(`unlock=${yield* futex(t, word, UNLOCK_PI)}`); // hands the lock to L
    yield* sleep_ns(t, 2 * MS);
    log.push(`wake-q=${yield* futex(t, word, WAKE, 1)}`); // no PI state left: Q wakes
    for (const th of [p, locker, q]) yield* pthread_join(t, th);
    return 0;
  });
  assert.deepEqual(log, [
    `wake-all=${-EINVAL}`,
    'P wait=0',
    `wake-one=${-EINVAL}`,
    'unlock=0',
    'locker lock=0',
    `locker unlock=${-EINVAL}`, // Q, a plain waiter, is the top waiter now
    'wake-q=1',
    'Q wait=0',
  ]);
});

test('linux: LOCK_PI, TRYLOCK_PI and UNLOCK_PI refuse a word whose top waiter is a plain waiter', () => {
  const log: string[] = [];
  run('linux', function* (t) {
    const word = yield* malloc(t, 4);
    const me = yield* syscall(t, SYS_GETTID);
    const [, p] = yield* pthread_create(t, null, plainWaiter, {
      word,
      expected: 0,
      name: 'P',
      rtPrio: 0,
      log,
    });
    yield* sleep_ns(t, 2 * MS);
    log.push(`lock=${yield* futex(t, word, LOCK_PI)}`); // the word is 0, yet EINVAL
    log.push(`trylock=${yield* futex(t, word, TRYLOCK_PI)} word=${t.load32(word)}`);
    t.store32(word, me); // user space takes it by CAS, as a PI mutex's fast path does
    log.push(`unlock=${yield* futex(t, word, UNLOCK_PI)} owner=${t.load32(word) === me}`);
    t.store32(word, 0);
    log.push(`wake=${yield* futex(t, word, WAKE, 1)}`);
    yield* pthread_join(t, p);
    log.push(`lock-after=${yield* futex(t, word, LOCK_PI)}`);
    return 0;
  });
  assert.deepEqual(log, [
    `lock=${-EINVAL}`,
    `trylock=${-EINVAL} word=0`,
    `unlock=${-EINVAL} owner=true`,
    'wake=1',
    'P wait=0',
    'lock-after=0',
  ]);
});

test('redbear keeps PI waiters apart from plain ones: a plain wake of the word finds none (0)', () => {
  const log: string[] = [];
  run('redbear', function* (t) {
    const word = yield* malloc(t, 4);
    log.push(`lock=${yield* futex(t, word, LOCK_PI)}`);
    const [, locker] = yield* pthread_create(t, null, piLocker, { word, log });
    yield* sleep_ns(t, 2 * MS);
    log.push(`wake=${yield* futex(t, word, WAKE, 1)}`);
    log.push(`unlock=${yield* futex(t, word, UNLOCK_PI)}`);
    yield* pthread_join(t, locker);
    return 0;
  });
  assert.deepEqual(log, ['lock=0', 'wake=0', 'unlock=0', 'locker lock=0', 'locker unlock=0']);
});
