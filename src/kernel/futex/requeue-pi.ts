/**
 * Requeue-PI (FUTEX-6), the pair glibc's PI condition variables stand on: FUTEX_WAIT_REQUEUE_PI
 * waits on a plain condition word for a FUTEX_CMP_REQUEUE_PI to move it onto a PI lock, and
 * returns owning that lock (kernel/futex/requeue.c). Linux mode only: Redox and Red Bear have
 * neither op. Signals, as futex_wait_requeue_pi has them: before the requeue the call is
 * restarted after the handler (ERESTARTNOINTR, so the restarted call compares the condition word
 * again); once requeued onto the lock it ends with EAGAIN (rt_mutex_wait_proxy_lock's EINTR,
 * which Linux turns into EWOULDBLOCK rather than restart a call whose word has changed).
 */
import { EAGAIN, EINTR, EINVAL, ETIMEDOUT } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { ERESTARTNOINTR } from '../restart.ts';
import { schedule } from '../sched/switch.ts';
import type { Thread } from '../thread.ts';
import { getUser32, putUser32 } from '../uaccess.ts';
import type { Timeout } from '../timeout.ts';
import { chainBefore, firstPiWaiter, plainWaiterOnTop, stamp } from './chain.ts';
import {
  adjustChain,
  attach,
  detachIfIdle,
  enqueueByPrio,
  FUTEX_OWNER_DIED,
  FUTEX_TID_MASK,
  FUTEX_WAITERS,
  giveTo,
  ownerOf,
} from './pi.ts';
import { lockPair, unlockAll } from './requeue.ts';
import type { FutexWaiter } from './table.ts';
import { FUTEX_BITSET_MATCH_ANY, type FutexTarget, matches, queueWaiter } from './wait-wake.ts';

/**
 * FUTEX_WAIT_REQUEUE_PI: waits on the condition word `addr` (non-PI) for a CMP_REQUEUE_PI to
 * `addr2`, and returns 0 owning the PI lock at `addr2`. Before the requeue a plain wake answers
 * EAGAIN, a timeout ETIMEDOUT, and a signal -ERESTARTNOINTR (handle_early_requeue_pi_wakeup):
 * the call is issued again after the handler. On the PI lock a timeout answers ETIMEDOUT and a
 * signal EAGAIN, unless the lock was handed over meanwhile.
 */
export function* futexWaitRequeuePi(
  k: Kernel,
  cpuAtEntry: Cpu,
  t: Thread,
  addr: number,
  target: FutexTarget,
  expected: number,
  addr2: number,
  to: FutexTarget,
  timeout: Timeout,
): KernelGen<number> {
  let cpu = cpuAtEntry;
  if (target.key === to.key) return -EINVAL;
  const waiter = yield* queueWaiter(k, cpu, t, {
    vaddr: addr,
    target,
    expectedValue: expected,
    timeout,
    bitset: FUTEX_BITSET_MATCH_ANY,
    requeuePi: { key: to.key, vaddr: addr2 },
  });
  if (waiter === -EINTR) return -ERESTARTNOINTR; // a signal already pending
  if (typeof waiter === 'number') return waiter;
  for (;;) {
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
    if (waiter.acquired) return 0;
    if (waiter.woken) return -EAGAIN;
    if (t.piWaiting === null) {
      const early = yield* leaveConditionWord(k, t, waiter, target, to);
      if (early !== null) return early;
    }
    // Requeued onto the PI lock: wait for the hand-off like LOCK_PI.
    if (t.timedOut || t.interrupted) return yield* leavePiLock(k, cpu, t, waiter, to);
    k.blockCurrent(cpu, t, 'futex-requeue-pi (on the PI lock)', timeout);
  }
}

/**
 * A wait-requeue-PI waiter woken on the condition word by a timeout or a signal takes itself off
 * it: ETIMEDOUT or -ERESTARTNOINTR. A requeue that got there first decides instead: 0 when it
 * handed the lock over, EAGAIN for a plain wake, null when it moved the waiter onto the PI lock.
 */
function* leaveConditionWord(
  k: Kernel,
  t: Thread,
  waiter: FutexWaiter,
  target: FutexTarget,
  to: FutexTarget,
): KernelGen<number | null> {
  const held = yield* lockPair(k, target.shard, to.shard);
  let result: number | null;
  if (waiter.acquired || waiter.woken) {
    result = waiter.acquired ? 0 : -EAGAIN;
  } else if (t.piWaiting === null) {
    const list = target.shard.buckets.get(target.key);
    const index = list?.indexOf(waiter) ?? -1;
    if (index >= 0) list!.splice(index, 1);
    k.futex.tidy(target.shard, target.key);
    if (t.timedOut) k.futex.counts.timeouts++;
    else k.futex.counts.interrupted++;
    result = t.timedOut ? -ETIMEDOUT : -ERESTARTNOINTR;
  } else {
    result = null;
  }
  yield* unlockAll(held);
  return result;
}

/**
 * A requeued waiter woken on the PI lock by a timeout or a signal leaves the lock's waiters:
 * ETIMEDOUT, or EAGAIN for a signal (Linux's EINTR from rt_mutex_wait_proxy_lock becomes
 * EWOULDBLOCK: a restart would only find the condition word changed). 0 if the lock was handed
 * over as it woke.
 */
function* leavePiLock(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  waiter: FutexWaiter,
  to: FutexTarget,
): KernelGen<number> {
  yield lock(to.shard.lock);
  if (waiter.acquired) {
    yield unlock(to.shard.lock);
    return 0;
  }
  const s = t.piWaiting!;
  s.waiters.splice(s.waiters.indexOf(waiter), 1);
  t.piWaiting = null;
  const previousOwner = s.owner;
  detachIfIdle(s);
  yield* adjustChain(k, cpu, previousOwner);
  yield unlock(to.shard.lock);
  if (t.timedOut) k.futex.counts.timeouts++;
  else k.futex.counts.interrupted++;
  return t.timedOut ? -ETIMEDOUT : -EAGAIN;
}

/**
 * FUTEX_CMP_REQUEUE_PI: EAGAIN unless `*addr == compare`; tries to take the PI lock at `addr2`
 * for the top waiter (which then wakes owning it), and moves up to `moveCount` other waiters
 * (and the top one, if it could not take the lock) onto the lock's PI state, boosting its
 * owner. `wakeCount` must be 1. Returns woken + moved.
 */
export function* futexCmpRequeuePi(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  from: FutexTarget,
  addr2: number,
  to: FutexTarget,
  wakeCount: number,
  moveCount: number,
  compare: number,
): KernelGen<number> {
  const table = k.futex;
  if (wakeCount !== 1 || moveCount < 0 || from.key === to.key) return -EINVAL;
  table.counts.requeue++;
  yield spend(2 * k.board.costs.futexHashNs);
  const held = yield* lockPair(k, from.shard, to.shard);
  if (getUser32(t, addr) !== compare >>> 0) {
    table.counts.eagain++;
    yield* unlockAll(held);
    return -EAGAIN;
  }
  const list = from.shard.buckets.get(from.key) ?? [];
  const candidates = list.filter((w) => matches(table, w, from, t, addr));
  if (candidates.some((w) => w.requeuePiKey !== to.key)) {
    yield* unlockAll(held);
    return -EINVAL; // a waiter that did not ask to be requeued to this PI lock
  }
  // Linux's chain holds the condition word's LOCK_PI waiters too (a misuse): the requeue stops
  // at the first one with EINVAL, the waiters ahead of it moved. And the lock word's top waiter
  // must not be a plain one (futex_lock_pi_atomic, attach_to_pi_state's case [3]).
  const piOnFrom = firstPiWaiter(from.shard, from.key);
  const ahead = piOnFrom === undefined ? candidates : candidates.filter((w) => chainBefore(w, piOnFrom));
  if (ahead.length > 0 && plainWaiterOnTop(to.shard, to.key)) {
    yield* unlockAll(held);
    return -EINVAL;
  }
  let woken = 0;
  let moved = 0;
  const take = (w: FutexWaiter) => list.splice(list.indexOf(w), 1);
  const first = ahead[0];
  if (first !== undefined && (getUser32(t, addr2) & FUTEX_TID_MASK) === 0) {
    take(first);
    const word = getUser32(t, addr2);
    const more = ahead.length > 1 && moveCount > 0;
    putUser32(t, addr2, (first.thread.id | (word & FUTEX_OWNER_DIED) | (more ? FUTEX_WAITERS : 0)) >>> 0);
    const s = attach(to.shard, to.key, null);
    giveTo(s, first);
    first.key = to.key;
    yield* k.wakeThread(cpu, first.thread);
    detachIfIdle(s);
    woken = 1;
    ahead.shift();
  }
  const ownerWord = getUser32(t, addr2);
  const owner = ownerOf(k, ownerWord);
  // The top waiter that could not take the lock is requeued in the wake slot, beyond moveCount
  // (Linux's "requeue nr_requeue waiters and possibly one more"): pthread_cond_signal's
  // CMP_REQUEUE_PI(1, 0) queues its waiter on a held PI mutex this way.
  const limit = woken === 1 ? moveCount : moveCount + 1;
  for (const w of ahead) {
    if (moved >= limit || owner === null) break;
    take(w);
    putUser32(t, addr2, (getUser32(t, addr2) | FUTEX_WAITERS) >>> 0);
    const s = attach(to.shard, to.key, owner);
    w.key = to.key;
    w.requeuePiKey = null;
    stamp(table, w); // plist_add on the lock word's chain
    enqueueByPrio(s.waiters, w);
    w.thread.piWaiting = s;
    moved++;
    yield spend(k.board.costs.futexWakeOneNs);
  }
  table.tidy(from.shard, from.key);
  if (moved > 0 && owner !== null) yield* adjustChain(k, cpu, owner);
  table.counts.requeued += moved;
  yield* unlockAll(held);
  const reachedPiWaiter = piOnFrom !== undefined && moved < limit;
  return reachedPiWaiter ? -EINVAL : woken + moved;
}
