/**
 * Signals during PI futex waits (issue 11), as Linux has them:
 * - FUTEX_LOCK_PI: a signal ends the rt_mutex wait and the call returns -ERESTARTNOINTR
 *   (futex_lock_pi): the handler runs at once and LOCK_PI is issued again, SA_RESTART or not;
 * - FUTEX_WAIT_REQUEUE_PI before its requeue: -ERESTARTNOINTR too
 *   (handle_early_requeue_pi_wakeup), and the restarted call compares the condition word
 *   again, so it answers EAGAIN when the word changed meanwhile;
 * - FUTEX_WAIT_REQUEUE_PI once requeued onto the PI lock: EAGAIN (rt_mutex_wait_proxy_lock's
 *   EINTR becomes EWOULDBLOCK), not owning the lock.
 * Red Bear's LOCK_PI keeps waiting through a signal, whose handler runs when the call returns.
 */
import { futex, gettid } from '../../support/futex.ts';
import { sleep_ns } from '../../../src/libc/time.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../../../src/abi/effects.ts';
import { EAGAIN } from '../../../src/abi/errno.ts';
import type { Guest } from '../../../src/abi/guest.ts';
import { SA_RESTART, SIGUSR1 } from '../../../src/abi/signal.ts';
import type { FutexMode } from '../../../src/kernel/futex/table.ts';
import type { Kernel } from '../../../src/kernel/kernel.ts';
import { malloc } from '../../../src/libc/malloc.ts';
import { pthread_create, pthread_join } from '../../../src/libc/pthread.ts';
import { pthread_kill, sigaction } from '../../../src/libc/signal.ts';
import { runGuest } from '../../support/guest.ts';

const MS = 1_000_000;
const LOCK_PI = 6;
const UNLOCK_PI = 7;
const WAIT_REQUEUE_PI = 11;
const CMP_REQUEUE_PI = 12;
const TID_MASK = 0x3fffffff;

interface Shared {
  cond: number;
  mutex: number;
  tid: number;
  log: string[];
}

/**
 * Runs `main` on a 2-CPU machine in `mode` with a SIGUSR1 handler (sa_flags `flags`) that logs
 * "handler"; returns the log and the kernel.
 */
function run(
  mode: FutexMode,
  flags: number,
  main: (t: Guest, s: Shared) => Program<void>,
): { log: string[]; kernel: Kernel } {
  const log: string[] = [];
  function* handler(_t: Guest, _sig: number): Program<void> {
    log.push('handler');
  }
  const r = runGuest(
    function* (t) {
      yield* sigaction(t, SIGUSR1, { handler, mask: 0, flags });
      const s: Shared = { cond: yield* malloc(t, 4), mutex: yield* malloc(t, 4), tid: 0, log };
      yield* main(t, s);
      return 0;
    },
    null,
    { cpus: 2, futex: { mode, shards: 64 } },
  );
  assert.equal(r.kernel.finished, true, r.kernel.stopReason ?? 'the run did not finish');
  assert.deepEqual(r.kernel.faults, []);
  return { log, kernel: r.kernel };
}

/** Publishes its tid, locks the PI mutex (blocking), logs the result, and unlocks. */
function* locker(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  s.tid = yield* gettid(t);
  const r = yield* futex(t, s.mutex, LOCK_PI);
  s.log.push(`locker lock=${r} owner=${(t.load32(s.mutex) & TID_MASK) === s.tid}`);
  yield* futex(t, s.mutex, UNLOCK_PI);
  return 0;
}

/** LOCK_PI held by main; the blocked locker is signalled, then main unlocks. */
function* signalledLocker(t: Guest, s: Shared): Program<void> {
  yield* futex(t, s.mutex, LOCK_PI);
  const [, th] = yield* pthread_create(t, null, locker, s);
  yield* sleep_ns(t, 2 * MS);
  s.log.push(`kill=${yield* pthread_kill(t, s.tid, SIGUSR1)}`);
  yield* sleep_ns(t, 2 * MS);
  s.log.push(`unlock=${yield* futex(t, s.mutex, UNLOCK_PI)}`);
  yield* pthread_join(t, th);
}

for (const [name, flags] of [
  ['without SA_RESTART', 0],
  ['with SA_RESTART', SA_RESTART],
] as const) {
  test(`linux LOCK_PI: a signal runs its handler at once and the call is restarted (${name})`, () => {
    const { log, kernel } = run('linux', flags, signalledLocker);
    assert.deepEqual(log, ['kill=0', 'handler', 'unlock=0', 'locker lock=0 owner=true']);
    assert.equal(kernel.futex.counts.lock_pi, 3, "main's lock, the locker's, and its restart");
  });
}

test('redbear LOCK_PI keeps waiting through a signal; the handler runs when the call returns', () => {
  const { log, kernel } = run('redbear', 0, signalledLocker);
  assert.deepEqual(log, ['kill=0', 'unlock=0', 'handler', 'locker lock=0 owner=true']);
  assert.equal(kernel.futex.counts.lock_pi, 2);
});

/** Publishes its tid, waits on the condition word for a requeue to the mutex, logs the result. */
function* condWaiter(t: Guest, raw: unknown): Program<number> {
  const s = raw as Shared;
  s.tid = yield* gettid(t);
  const r = yield* futex(t, s.cond, WAIT_REQUEUE_PI, 0, 0, s.mutex);
  s.log.push(`waiter=${r} owner=${(t.load32(s.mutex) & TID_MASK) === s.tid}`);
  if (r === 0) yield* futex(t, s.mutex, UNLOCK_PI);
  return 0;
}

for (const [name, flags] of [
  ['without SA_RESTART', 0],
  ['with SA_RESTART', SA_RESTART],
] as const) {
  test(`linux WAIT_REQUEUE_PI signalled before the requeue is restarted and still gets the lock (${name})`, () => {
    const { log, kernel } = run('linux', flags, function* (t, s) {
      const [, th] = yield* pthread_create(t, null, condWaiter, s);
      yield* sleep_ns(t, 2 * MS);
      s.log.push(`kill=${yield* pthread_kill(t, s.tid, SIGUSR1)}`);
      yield* sleep_ns(t, 2 * MS);
      s.log.push(`requeue=${yield* futex(t, s.cond, CMP_REQUEUE_PI, 1, 0, s.mutex, 0)}`);
      yield* pthread_join(t, th);
    });
    assert.deepEqual(log, ['kill=0', 'handler', 'requeue=1', 'waiter=0 owner=true']);
    assert.equal(kernel.futex.counts.interrupted, 1, 'one wait ended by the signal, then restarted');
  });
}

test('linux WAIT_REQUEUE_PI restarted after the condition word changed answers EAGAIN', () => {
  const { log } = run('linux', 0, function* (t, s) {
    const [, th] = yield* pthread_create(t, null, condWaiter, s);
    yield* sleep_ns(t, 2 * MS);
    t.store32(s.cond, 1); // pthread_cond_signal's sequence bump, before its signal arrives
    s.log.push(`kill=${yield* pthread_kill(t, s.tid, SIGUSR1)}`);
    yield* pthread_join(t, th);
  });
  assert.deepEqual(log, ['kill=0', 'handler', `waiter=${-EAGAIN} owner=false`]);
});

test('linux WAIT_REQUEUE_PI signalled on the PI lock after the requeue answers EAGAIN, not owning it', () => {
  const { log, kernel } = run('linux', 0, function* (t, s) {
    yield* futex(t, s.mutex, LOCK_PI);
    const [, th] = yield* pthread_create(t, null, condWaiter, s);
    yield* sleep_ns(t, 2 * MS);
    s.log.push(`requeue=${yield* futex(t, s.cond, CMP_REQUEUE_PI, 1, 0, s.mutex, 0)}`);
    yield* sleep_ns(t, 2 * MS);
    s.log.push(`kill=${yield* pthread_kill(t, s.tid, SIGUSR1)}`);
    yield* pthread_join(t, th);
    s.log.push(`unlock=${yield* futex(t, s.mutex, UNLOCK_PI)} word=${t.load32(s.mutex)}`);
  });
  assert.deepEqual(log, [
    'requeue=1',
    'kill=0',
    'handler',
    `waiter=${-EAGAIN} owner=false`,
    'unlock=0 word=0',
  ]);
  assert.equal(kernel.futex.counts.interrupted, 1, 'the wait on the PI lock ended by the signal');
});
