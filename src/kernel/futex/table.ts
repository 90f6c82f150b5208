/**
 * The futex table (FUTEX-2): waiters hashed by key into shards, each shard with its own lock.
 * The mode decides the layout and the matching rules:
 * - `redox`: Redox at 2df7467d (models.md §2): one shard under one global lock (FUTEXES),
 *   keyed by physical address, a waiter matches only the same virtual address and process;
 * - `redbear`: the Red Bear patches: 64 shards by page, `(phys >> 12) % 64`;
 * - `linux`: the improved target: 64 shards hashed by the full key; private futexes keyed by
 *   (address space, virtual address), shared ones by physical address (FUTEX-1); a key's
 *   waiters in Linux's plist order (chain.ts).
 */
import { MAX_RT_PRIO } from '../../abi/sched.ts';
import { assert } from '../../engine/assert.ts';
import { SpinLock } from '../../hw/spinlock.ts';
import { LOCK_FUTEX_SHARD } from '../lock-order.ts';
import type { Process } from '../process.ts';
import type { AddressSpace } from '../vm.ts';
import type { PiState } from './pi.ts';
import { normalPrio, type Thread } from '../thread.ts';

export const FUTEX_MODES = ['redox', 'redbear', 'linux'] as const;
export type FutexMode = (typeof FUTEX_MODES)[number];

export interface FutexOptions {
  mode: FutexMode;
  /** Shards (each a lock and its buckets); redox always has one. */
  shards: number;
}

/**
 * Bound on waiters in one bucket, so a runaway guest fails loudly rather than slowly. Above the
 * most threads a run may have (machine/defaults.ts THREADS_LIMIT_MAX, 1,000,000), all of which
 * may wait on one word (issue 14's 100,000-thread bench parks them so).
 */
export const FUTEX_BUCKET_WAITERS_MAX = 1 << 20;

export interface FutexWaiter {
  thread: Thread;
  /** The key it waits on (see FutexTable.key); changes when it is requeued. */
  key: number;
  /** The virtual address and process it waited with (redox matches on both). */
  vaddr: number;
  process: Process;
  /** FUTEX_WAIT_BITSET's bitset; MATCH_ANY for plain waits. */
  bitset: number;
  /** Set by the waker that removed it from its bucket. */
  woken: boolean;
  /** PI: set when the lock was handed to it (UNLOCK_PI, CMP_REQUEUE_PI, a dead owner's robust list). */
  acquired: boolean;
  /** WAIT_REQUEUE_PI: the key of the PI lock it may be requeued to; null for other waits. */
  requeuePiKey: number | null;
  /**
   * The PI lock word it waits to own, in its own address space: LOCK_PI's address, or
   * WAIT_REQUEUE_PI's second address; its own address for other waits. A dying owner's exit
   * path writes the new owner's word there (pi.ts exitPiStateList).
   */
  lockVaddr: number;
  /** Its priority in the hash chain, fixed when it queued (chain.ts: Linux's plist node prio). */
  prio: number;
  /** Its arrival in the chain, for FIFO order among equal priorities (chain.ts stamps it). */
  seq: number;
}

/** A waiter entry for `t` waiting at `vaddr` under `key`. */
export function newWaiter(
  t: Thread,
  key: number,
  vaddr: number,
  bitset: number,
  requeuePiKey: number | null = null,
  lockVaddr = vaddr,
): FutexWaiter {
  return {
    thread: t,
    key,
    vaddr,
    process: t.process,
    // As a signed 32-bit integer (the same bits; only `&` reads it): MATCH_ANY, 0xffffffff,
    // would otherwise be a boxed number, 16 bytes more per parked thread (issue 14).
    bitset: bitset | 0,
    woken: false,
    acquired: false,
    requeuePiKey,
    lockVaddr,
    prio: chainPrio(t),
    seq: 0,
  };
}

/**
 * The priority a waiter registers with (Linux's __futex_queue): its normal priority if it is a
 * real-time or deadline thread, MAX_RT_PRIO for every other, so that RT waiters come first in
 * priority order and the rest share one priority and keep FIFO order. The normal priority, not
 * a PI boost: the plist node is not requeued when a boost changes.
 */
export function chainPrio(t: Thread): number {
  return Math.min(normalPrio(t), MAX_RT_PRIO);
}

export class FutexShard {
  readonly lock: SpinLock;
  readonly buckets = new Map<number, FutexWaiter[]>();
  /** PI locks with waiters, by key (pi.ts). */
  readonly pi = new Map<number, PiState>();
  /**
   * The key of the one empty bucket `tidy` leaves in place, or null. A word that is waited on and
   * woken in turn (a ping-pong, a mutex handed back and forth) empties and refills its bucket at
   * every round; deleting it each time cost a Map delete, a set and a new array per round, and
   * the deletions' rehashing (issue 14). One kept per shard bounds what the table holds.
   */
  keptEmpty: number | null = null;

  /** `index` orders two shards' locks (requeue takes them lowest first, kernel/lock-order.ts). */
  constructor(name: string, index: number) {
    this.lock = new SpinLock(name, LOCK_FUTEX_SHARD, index);
  }
}

export class FutexTable {
  readonly mode: FutexMode;
  readonly shards: FutexShard[];
  readonly counts = {
    wait: 0,
    wake: 0,
    woken: 0,
    eagain: 0,
    timeouts: 0,
    interrupted: 0,
    stale_consumed: 0,
    requeue: 0,
    requeued: 0,
    wake_op: 0,
    lock_pi: 0,
    unlock_pi: 0,
    pi_handoffs: 0,
    pi_boosts: 0,
    pi_deadlocks: 0,
    robust_walks: 0,
    robust_owner_died: 0,
    pi_owner_died: 0,
  };
  /** The last arrival stamp given to a waiter (chain.ts). */
  chainSeq = 0;
  /**
   * The last private key's serial (privateKey). Serials start past MAX_ERRNO (4095, as Linux's
   * IS_ERR_VALUE reserves), so a key is never mistaken for a negated errno by a caller that
   * returns either (capring/park.ts parkKey).
   */
  #privateSerial = 4095;

  constructor(options: FutexOptions) {
    this.mode = options.mode;
    const shards = options.mode === 'redox' ? 1 : options.shards;
    assert(shards >= 1 && Number.isInteger(shards), 'futex: shard count');
    this.shards = Array.from(
      { length: shards },
      (_, i) => new FutexShard(shards === 1 ? 'FUTEXES' : `futex-shard${i}`, i),
    );
  }

  /** The global lock of the single-shard table (the baseline's FUTEXES). */
  get lock(): SpinLock {
    return this.shards[0]!.lock;
  }

  /**
   * A waiter's key: the physical address for shared futexes (and for every futex in redox and
   * redbear modes), or `privateKey` for private ones, negative so the two never meet.
   */
  key(process: Process, vaddr: number, phys: number, isPrivate: boolean): number {
    if (this.mode !== 'linux' || !isPrivate) return phys;
    return this.privateKey(process.vm, vaddr);
  }

  /**
   * The private key of the word at `vaddr` in `vm` (Linux's (mm, address) key, kernel/futex/
   * core.c get_futex_key): -serial, a serial (from 4096) this table hands out per (mm, address) at its
   * first use, so no two live words share a key whatever their 48-bit addresses (the key used to
   * be -(pid * 2^32 + vaddr) - 1, which an address past 2^32 made collide with the next pid's).
   * One Map lookup in the mm's own table; serials are never reused, and an mm's go with it.
   */
  privateKey(vm: AddressSpace, vaddr: number): number {
    const known = vm.futexKeys.get(vaddr);
    if (known !== undefined) return known;
    const key = -++this.#privateSerial;
    vm.futexKeys.set(vaddr, key);
    return key;
  }

  shardOf(key: number, phys: number): FutexShard {
    const n = this.shards.length;
    if (n === 1) return this.shards[0]!;
    if (this.mode === 'redbear') return this.shards[Math.floor(phys / 4096) % n]!;
    return this.shards[hashKey(key) % n]!;
  }

  bucket(shard: FutexShard, key: number): FutexWaiter[] {
    let list = shard.buckets.get(key);
    if (list === undefined) shard.buckets.set(key, (list = []));
    assert(list.length < FUTEX_BUCKET_WAITERS_MAX, 'futex: bucket waiter bound');
    return list;
  }

  /**
   * Drops an empty bucket so the table does not grow with every address ever waited on; the one
   * emptied last stays (FutexShard.keptEmpty), and the one kept before it goes if still empty.
   */
  tidy(shard: FutexShard, key: number): void {
    const buckets = shard.buckets;
    if (buckets.get(key)?.length !== 0) return;
    const kept = shard.keptEmpty;
    if (kept === key) return;
    if (kept !== null && buckets.get(kept)?.length === 0) buckets.delete(kept);
    shard.keptEmpty = key;
  }

  /** Waiter entries in the table (stale ones included). */
  entryCount(): number {
    let n = 0;
    for (const shard of this.shards) for (const list of shard.buckets.values()) n += list.length;
    return n;
  }

  locks(): SpinLock[] {
    return this.shards.map((s) => s.lock);
  }
}

/** A 32-bit integer mix of a key (murmur3's finaliser over both halves), for shard selection. */
function hashKey(key: number): number {
  let h = (key | 0) ^ Math.floor(key / 0x1_0000_0000);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
