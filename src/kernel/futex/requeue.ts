/**
 * FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (FUTEX-3): wake some waiters of one word and move others to
 * a second word without waking them, so a condition-variable broadcast wakes one thread and
 * hands the rest to the mutex instead of a thundering herd. Both shards are locked in
 * ascending order, as Red Bear's P8-futex-requeue and Linux's double_lock_hb do. In linux mode
 * a moved waiter joins the target's chain in priority order (chain.ts), and a PI waiter on the
 * source word makes the call EINVAL.
 */
import { EAGAIN, EINVAL } from '../../abi/errno.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, lock, spend, unlock } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { Thread } from '../thread.ts';
import { getUser32 } from '../uaccess.ts';
import { chainBefore, enqueue, firstPiWaiter } from './chain.ts';
import type { FutexShard, FutexWaiter } from './table.ts';
import { FUTEX_BITSET_MATCH_ANY, type FutexTarget, matches, wakeLocked } from './wait-wake.ts';

/** Locks one or two shards, lower index first; returns them in unlock order. */
export function* lockPair(k: Kernel, a: FutexShard, b: FutexShard): KernelGen<FutexShard[]> {
  const shards = k.futex.shards;
  if (a === b) {
    yield lock(a.lock);
    return [a];
  }
  const [first, second] = shards.indexOf(a) < shards.indexOf(b) ? [a, b] : [b, a];
  yield lock(first.lock);
  yield lock(second.lock);
  return [second, first];
}

export function* unlockAll(held: FutexShard[]): KernelGen<void> {
  for (const shard of held) yield unlock(shard.lock);
}

/**
 * Wakes up to `wakeCount` waiters of `from`, then moves up to `moveCount` of the rest to `to`.
 * With `compare` set, returns -EAGAIN when the word at `addr` differs from it. Returns
 * woken + moved.
 */
export function* futexRequeue(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  addr: number,
  from: FutexTarget,
  to: FutexTarget,
  wakeCount: number,
  moveCount: number,
  compare: number | null,
): KernelGen<number> {
  const table = k.futex;
  // futex_requeue: negative counts are refused before anything is looked at.
  if (table.mode === 'linux' && (wakeCount < 0 || moveCount < 0)) return -EINVAL;
  table.counts.requeue++;
  yield spend(2 * k.board.costs.futexHashNs);
  const held = yield* lockPair(k, from.shard, to.shard);
  if (compare !== null && getUser32(t, addr) !== compare >>> 0) {
    table.counts.eagain++;
    yield* unlockAll(held);
    return -EAGAIN;
  }
  const woken = yield* wakeLocked(k, cpu, t, addr, from, wakeCount, FUTEX_BITSET_MATCH_ANY);
  if (woken < 0) {
    yield* unlockAll(held);
    return woken;
  }
  const list = from.shard.buckets.get(from.key) ?? [];
  // Linux's loop (kernel/futex/requeue.c) meets the chain's PI waiters too: requeueing one, or a
  // WAIT_REQUEUE_PI waiter, is EINVAL, after the ones before it have been moved.
  const pi = table.mode === 'linux' ? firstPiWaiter(from.shard, from.key) : undefined;
  const movers: FutexWaiter[] = [];
  let invalid = false;
  for (const waiter of list) {
    if (movers.length >= moveCount) break;
    if (!matches(table, waiter, from, t, addr)) continue;
    if ((pi !== undefined && chainBefore(pi, waiter)) || waiter.requeuePiKey !== null) {
      invalid = true;
      break;
    }
    movers.push(waiter);
  }
  if (pi !== undefined && movers.length < moveCount) invalid = true;
  for (const waiter of movers) {
    // One chain for both keys: Linux's requeue_futex leaves the waiter where it is.
    if (table.mode === 'linux' && from.key === to.key) continue;
    list.splice(list.indexOf(waiter), 1);
    waiter.key = to.key;
    enqueue(table, to.shard, to.key, waiter);
    yield spend(k.board.costs.futexWakeOneNs);
  }
  const moved = movers.length;
  table.tidy(from.shard, from.key);
  table.counts.requeued += moved;
  yield* unlockAll(held);
  return invalid ? -EINVAL : woken + moved;
}
