/**
 * The order of a futex's waiters (FUTEX-2, issue 11). Linux keeps every futex_q of a hash bucket
 * on one plist, `hb->chain` (kernel/futex/core.c, __futex_queue): a node's priority is
 * min(normal_prio, MAX_RT_PRIO) when it queues, so real-time waiters come first, best priority
 * first, and all SCHED_OTHER waiters share MAX_RT_PRIO; plist_add puts a node after every node
 * of the same priority, so equals stay FIFO. A requeue is plist_del + plist_add on the target
 * chain: the moved waiter goes behind the target's waiters of its priority.
 *
 * Linux's chain also holds PI waiters (LOCK_PI's futex_q, with pi_state set) beside plain ones,
 * and the wake and lock paths look at whichever comes first (futex_top_waiter). Here the PI
 * waiters live on their lock's PiState, ordered for the rt_mutex; their place in the chain is
 * kept by the same (prio, seq) stamp, so "who is first in the chain" is a comparison of stamps.
 *
 * Redox and Red Bear keep a Vec and push (models.md §2): arrival order, woken by swap-remove.
 */
import type { FutexShard, FutexTable, FutexWaiter } from './table.ts';
import { insertAt } from '../../engine/sorted-array.ts';

/** Stamps `w` as the newest arrival in the chain it joins. */
export function stamp(table: FutexTable, w: FutexWaiter): void {
  w.seq = ++table.chainSeq;
}

/** Does `a` come before `b` in the chain (better priority, or same priority and earlier)? */
export function chainBefore(a: FutexWaiter, b: FutexWaiter): boolean {
  return a.prio < b.prio || (a.prio === b.prio && a.seq < b.seq);
}

/** Queues a plain waiter under `key`: plist order in linux mode, at the end (a Vec push) otherwise. */
export function enqueue(table: FutexTable, shard: FutexShard, key: number, w: FutexWaiter): void {
  const list = table.bucket(shard, key);
  stamp(table, w);
  if (table.mode !== 'linux') {
    list.push(w);
    return;
  }
  let i = list.length;
  while (i > 0 && list[i - 1]!.prio > w.prio) i--;
  insertAt(list, i, w);
}

/** The PI waiter of `key` that comes first in the chain, if the key has PI waiters. */
export function firstPiWaiter(shard: FutexShard, key: number): FutexWaiter | undefined {
  let first: FutexWaiter | undefined;
  for (const w of shard.pi.get(key)?.waiters ?? []) {
    if (first === undefined || chainBefore(w, first)) first = w;
  }
  return first;
}

/**
 * Is the top waiter of `key` (futex_top_waiter) a waiter without PI state: a plain FUTEX_WAIT
 * or a WAIT_REQUEUE_PI not yet requeued? The PI paths refuse such a word with EINVAL
 * (attach_to_pi_state's case [3], futex_unlock_pi). Linux mode only: the buckets hold one key.
 */
export function plainWaiterOnTop(shard: FutexShard, key: number): boolean {
  const plain = shard.buckets.get(key)?.[0];
  if (plain === undefined) return false;
  const pi = firstPiWaiter(shard, key);
  return pi === undefined || chainBefore(plain, pi);
}
