/**
 * The MCS queue lock (Mellor-Crummey & Scott; models-2.md §13.1, after Linux
 * kernel/locking/mcs_spinlock.h), written once over a port of shared-word effects so the same
 * code runs in the kernel (kernel/locks/mcs-lock.ts: the CPU's lock words, with costs) and under
 * the explorer (explore/models/mcs.ts: store buffers, SC/TSO/PSO, DPOR). SCHED-10, K4.
 *
 * The lock word is a tail: 0 (free) or the id of the last waiter's node. Each waiter owns a
 * node {locked, next}. Acquire: clear the node, xchg the tail to it (a full barrier, a locked
 * instruction); with no predecessor the lock is taken, else publish the node in prev.next and
 * spin on the own node's `locked` (load-acquire: the critical section's loads stay after the
 * handoff). Release: with no successor linked, cmpxchg the tail from this node back to 0; if that
 * fails a successor has swapped in but not linked yet, so wait for prev.next (the window the
 * explorer should hit); then store-release 1 to the successor's `locked` (the critical
 * section's stores are visible before the handoff). `orders.handoff`/`orders.spin` Relaxed is
 * K4's bug: the release/acquire pair dropped.
 */
import { MemOrder } from '../../abi/effects.ts';

/** The effects the lock code needs; each returns what the lock code yields for it. */
export interface McsPort<E> {
  load(addr: number, order: MemOrder): E;
  store(addr: number, value: number, order: MemOrder): E;
  /** Resumes with the old value; seq_cst (xchg is a locked instruction). */
  xchg(addr: number, value: number): E;
  /** Resumes with the old value; seq_cst (lock xadd: the ticket lock's ticket, ticket.ts). */
  xadd(addr: number, value: number): E;
  /** Resumes with the old value; seq_cst (lock cmpxchg). */
  cas(addr: number, expected: number, desired: number): E;
  /** Spins until `until` holds of the word; resumes with the value that satisfied it. */
  spinUntil(addr: number, until: (value: number) => boolean, order: MemOrder): E;
}

/** Where one lock's words are: its tail and each node's two words (node ids from 1). */
export interface McsLayout {
  tail: number;
  locked(node: number): number;
  next(node: number): number;
}

/** The orderings of the handoff pair; the fixed lock has Release and Acquire. */
export interface McsOrders {
  handoff: MemOrder;
  spin: MemOrder;
}

export const MCS_ORDERS_FIXED: McsOrders = { handoff: MemOrder.Release, spin: MemOrder.Acquire };
/** K4: the handoff store and the spin relaxed (a weak memory model leaks the critical section). */
export const MCS_ORDERS_RELAXED: McsOrders = { handoff: MemOrder.Relaxed, spin: MemOrder.Relaxed };

/** The node id 0 means NULL in the tail and in `next`. */
export const MCS_NULL = 0;

// biome-ignore lint/suspicious/noExplicitAny: what a yield resumes with depends on the effect.
type Code<E, T> = Generator<E, T, any>;

/**
 * mcs_spin_lock: returns the predecessor's node id (MCS_NULL: taken at once) once it holds the
 * lock. `onQueued` runs between publishing the node and spinning (a donation walk hooks there).
 */
export function* mcsAcquire<E>(
  p: McsPort<E>,
  l: McsLayout,
  node: number,
  orders: McsOrders,
  onQueued?: (prev: number) => Code<E, void>,
): Code<E, number> {
  yield p.store(l.locked(node), 0, MemOrder.Relaxed);
  yield p.store(l.next(node), MCS_NULL, MemOrder.Relaxed);
  const prev = (yield p.xchg(l.tail, node)) as number;
  if (prev === MCS_NULL) return MCS_NULL;
  yield p.store(l.next(prev), node, MemOrder.Relaxed); // WRITE_ONCE(prev->next, node)
  if (onQueued !== undefined) yield* onQueued(prev);
  yield p.spinUntil(l.locked(node), (v) => v !== 0, orders.spin); // smp_cond_load_acquire
  return prev;
}

/** A try-lock: cmpxchg the tail from free to this node; never waits. */
export function* mcsTryAcquire<E>(p: McsPort<E>, l: McsLayout, node: number): Code<E, boolean> {
  yield p.store(l.locked(node), 0, MemOrder.Relaxed);
  yield p.store(l.next(node), MCS_NULL, MemOrder.Relaxed);
  return ((yield p.cas(l.tail, MCS_NULL, node)) as number) === MCS_NULL;
}

/** mcs_spin_unlock: returns the node it handed the lock to (MCS_NULL: the lock is free). */
export function* mcsRelease<E>(
  p: McsPort<E>,
  l: McsLayout,
  node: number,
  orders: McsOrders,
): Code<E, number> {
  let next = (yield p.load(l.next(node), MemOrder.Relaxed)) as number;
  if (next === MCS_NULL) {
    if (((yield p.cas(l.tail, node, MCS_NULL)) as number) === node) return MCS_NULL;
    // A successor swapped itself in but has not linked yet: wait for its link.
    next = (yield p.spinUntil(l.next(node), (v) => v !== MCS_NULL, MemOrder.Relaxed)) as number;
  }
  yield p.store(l.locked(next), 1, orders.handoff); // arch_mcs_spin_unlock_contended
  return next;
}
