// futex(2) as Redox's code behaves (FUTEX-1, models.md §2), seen from guest programs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../src/abi/effects.ts';
import type { Guest } from '../../src/abi/guest.ts';
import { CLOCK_MONOTONIC, FUTEX_WAIT, FUTEX_WAIT64, MAP_SHARED, SYS_FUTEX } from '../../src/abi/syscalls.ts';
import { pthread_create, pthread_join, type pthread_t } from '../../src/libc/pthread.ts';
import { spawn, waitpid } from '../../src/libc/process.ts';
import { futex_wait, futex_wake, mmap_anonymous, syscall } from '../../src/libc/sys.ts';
import { clock_gettime_ns, deadline_after, sleep_ns, timespec_ns } from '../../src/libc/time.ts';
import { runGuest } from '../support/guest.ts';

const EAGAIN = 11;
const ETIMEDOUT = 110;
const EINVAL = 22;
const EFAULT = 14;

/** Runs a single-process guest on one CPU and checks that its root process exited normally. */
function runOk(main: (t: Guest) => Program<number>, cpus = 1) {
  const run = runGuest((t) => main(t), null, { cpus });
  assert.equal(run.kernel.stopReason, null);
  assert.equal(run.kernel.finished, true, 'the root process exited');
  return run;
}

test('FUTEX_WAIT on a word that differs from the expected value returns -EAGAIN without blocking', () => {
  const seen: number[] = [];
  const run = runOk(function* (t) {
    const word = yield* mmap_anonymous(t, 4096);
    t.store32(word, 7);
    const t0 = yield* clock_gettime_ns(t);
    seen.push(yield* futex_wait(t, word, 8));
    seen.push((yield* clock_gettime_ns(t)) - t0);
    return 0;
  });
  assert.equal(seen[0], -EAGAIN);
  // Two system calls and the futex lock: well under a microsecond each, nothing like a block.
  assert.ok(seen[1]! < 2_000, `elapsed ${seen[1]} ns`);
  assert.equal(run.kernel.futex.counts.eagain, 1);
  assert.equal(run.kernel.futex.entryCount(), 0);
});

test('FUTEX_WAKE returns how many it woke: 3 waiters, wake(2) is 2, wake(10) is 1, then 0', () => {
  const wakes: number[] = [];
  const waitResults: number[] = [];
  function* waiter(t: Guest, arg: unknown): Program<number> {
    waitResults.push(yield* futex_wait(t, arg as number, 0));
    return 0;
  }
  runOk(function* (t) {
    const word = yield* mmap_anonymous(t, 4096);
    const threads: pthread_t[] = [];
    for (let i = 0; i < 3; i++) threads.push((yield* pthread_create(t, null, waiter, word))[1]);
    yield* sleep_ns(t, 5_000_000); // the three waiters run and block meanwhile
    wakes.push(yield* futex_wake(t, word, 2));
    wakes.push(yield* futex_wake(t, word, 10));
    wakes.push(yield* futex_wake(t, word, 1));
    for (const th of threads) yield* pthread_join(t, th);
    return 0;
  });
  assert.deepEqual(wakes, [2, 1, 0]);
  assert.deepEqual(waitResults, [0, 0, 0]);
});

test('a timed FUTEX_WAIT returns -ETIMEDOUT after its timeout and leaves its entry in the table', () => {
  const seen: number[] = [];
  const run = runOk(function* (t) {
    const word = yield* mmap_anonymous(t, 4096);
    const t0 = yield* clock_gettime_ns(t);
    seen.push(yield* futex_wait(t, word, 0, yield* timespec_ns(t, t0 + 2_000_000))); // Redox: an absolute deadline
    seen.push((yield* clock_gettime_ns(t)) - t0);
    return 0;
  });
  assert.equal(seen[0], -ETIMEDOUT);
  // Expiry is checked at ticks (1 ms LAPIC): at least the timeout, at most one tick more plus costs.
  assert.ok(seen[1]! >= 2_000_000 && seen[1]! < 3_100_000, `elapsed ${seen[1]} ns`);
  assert.equal(run.kernel.futex.counts.timeouts, 1);
  assert.equal(run.kernel.futex.entryCount(), 1, 'Redox quirk: the stale entry stays');
});

test('a later FUTEX_WAKE consumes the stale entry of a timed-out waiter and counts it as woken', () => {
  const wakes: number[] = [];
  const run = runOk(function* (t) {
    const word = yield* mmap_anonymous(t, 4096);
    yield* futex_wait(t, word, 0, yield* deadline_after(t, CLOCK_MONOTONIC, 1_000_000)); // absolute, as Redox takes it
    wakes.push(yield* futex_wake(t, word, 1));
    wakes.push(yield* futex_wake(t, word, 1));
    return 0;
  });
  assert.deepEqual(wakes, [1, 0]);
  assert.equal(run.kernel.futex.counts.stale_consumed, 1);
  assert.equal(run.kernel.futex.entryCount(), 0);
});

test('a misaligned futex address is -EINVAL for WAIT and WAKE', () => {
  const seen: number[] = [];
  runOk(function* (t) {
    const word = yield* mmap_anonymous(t, 4096);
    seen.push(yield* futex_wait(t, word + 2, 0));
    seen.push(yield* futex_wake(t, word + 1, 1));
    return 0;
  });
  assert.deepEqual(seen, [-EINVAL, -EINVAL]);
});

test('an unmapped futex address is -EFAULT for WAIT and WAKE', () => {
  const seen: number[] = [];
  runOk(function* (t) {
    seen.push(yield* futex_wait(t, 0x20000, 0));
    seen.push(yield* futex_wake(t, 0x20000, 1));
    return 0;
  });
  assert.deepEqual(seen, [-EFAULT, -EFAULT]);
});

test('an operation other than WAIT, WAKE and WAIT64 is -EINVAL', () => {
  const seen: number[] = [];
  runOk(function* (t) {
    const word = yield* mmap_anonymous(t, 4096);
    seen.push(yield* syscall(t, SYS_FUTEX, word, 5, 0)); // FUTEX_WAKE_OP
    seen.push(yield* syscall(t, SYS_FUTEX, word, 2, 0)); // FUTEX_FD
    seen.push(yield* syscall(t, SYS_FUTEX, word, FUTEX_WAIT, 1)); // control: a valid op, -EAGAIN
    return 0;
  });
  assert.deepEqual(seen, [-EINVAL, -EINVAL, -EAGAIN]);
});

test('a waiter in one process is not woken by a wake on the same MAP_SHARED word from another', () => {
  // Redox keys the futex by physical address but also matches the address space, so a
  // cross-process wake finds nothing: the quirk, asserted as the code behaves.
  const parentSaw: number[] = [];
  const childSaw: number[] = [];
  const child = {
    name: 'child',
    *main(t: Guest, arg: unknown): Program<number> {
      const deadline = yield* deadline_after(t, CLOCK_MONOTONIC, 20_000_000); // Redox: an absolute deadline
      childSaw.push(yield* futex_wait(t, arg as number, 0, deadline));
      return 0;
    },
  };
  const run = runOk(function* (t) {
    const shared = yield* mmap_anonymous(t, 4096, MAP_SHARED);
    const pid = yield* spawn(t, child, shared);
    yield* sleep_ns(t, 5_000_000); // the child blocks on the shared word meanwhile
    parentSaw.push(yield* futex_wake(t, shared, 1));
    const [reaped, status] = yield* waitpid(t, pid);
    parentSaw.push(reaped === pid ? 1 : 0, status);
    return 0;
  });
  assert.deepEqual(parentSaw, [0, 1, 0]);
  assert.deepEqual(childSaw, [-ETIMEDOUT], 'the child was not woken: its wait timed out');
  assert.equal(run.kernel.futex.counts.timeouts, 1);
});

test('FUTEX_WAIT64 (Redox op 3) compares the whole 64-bit word: a high half that differs is -EAGAIN', () => {
  const seen: number[] = [];
  function* waiter(t: Guest, arg: unknown): Program<number> {
    seen.push(yield* syscall(t, SYS_FUTEX, arg as number, FUTEX_WAIT64, 5 + 2 ** 32, 0));
    return 0;
  }
  const run = runOk(function* (t) {
    const word = yield* mmap_anonymous(t, 4096);
    t.store32(word, 5); // low half
    t.store32(word + 4, 1); // high half: the word is 2^32 + 5
    seen.push(yield* syscall(t, SYS_FUTEX, word, FUTEX_WAIT64, 5, 0)); // low halves equal, high differ
    seen.push(yield* syscall(t, SYS_FUTEX, word + 4, FUTEX_WAIT64, 1, 0)); // not 8-aligned
    const [, th] = yield* pthread_create(t, null, waiter, word); // the whole word matches: it sleeps
    yield* sleep_ns(t, 5_000_000);
    seen.push(yield* futex_wake(t, word, 1));
    yield* pthread_join(t, th);
    return 0;
  });
  assert.deepEqual(seen, [-EAGAIN, -EINVAL, 1, 0]);
  assert.equal(run.kernel.futex.counts.eagain, 1);
});
