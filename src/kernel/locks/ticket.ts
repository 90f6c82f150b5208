/**
 * The ticket spinlock (Linux include/asm-generic/ticket_spinlock.h, and x86's before qspinlock:
 * arch/x86/include/asm/spinlock.h of 3.x), written once over the MCS lock's port of shared-word
 * effects (mcs.ts `McsPort`), so the same code runs in the kernel (`[kernel] locks = "ticket"`,
 * ticket-lock.ts: the CPU's lock words, with costs) and under the explorer (explore/models/
 * ticket.ts and kernel-locks.ts: store buffers, SC/TSO/PSO, DPOR). SCHED-10.
 *
 * Two words: `next`, the next ticket to hand out, and `owner`, the ticket being served (the
 * generic code packs them in one 32-bit word as tail:head; separate words here, as x86's
 * `__raw_tickets { head, tail }` were, since this memory has no half-word stores). Acquire: a
 * fetch-add of `next` takes a ticket (atomic_fetch_add: a locked xadd, a full barrier), then
 * spin until `owner` is it (atomic_cond_read_acquire). Release: `owner + 1`, stored with release
 * (smp_store_release); only the holder writes `owner`. Trylock: free when `next == owner`, and
 * taken by a compare-exchange of `next` from that value. Handover is FIFO, in ticket order.
 *
 * The missing-fence bug (K4's shape on a ticket lock; models-2.md §13): the release store and
 * the spin relaxed (`MCS_ORDERS_RELAXED`): under PSO the critical section's stores can drain
 * after the next holder has seen its turn.
 */
import { MemOrder } from '../../abi/effects.ts';
import type { McsOrders, McsPort } from './mcs.ts';

/** Where one ticket lock's two words are. */
export interface TicketLayout {
  next: number;
  owner: number;
}

// biome-ignore lint/suspicious/noExplicitAny: what a yield resumes with depends on the effect.
type Code<E, T> = Generator<E, T, any>;

/** arch_spin_lock: returns whether it had to wait (its ticket was not the one served). */
export function* ticketAcquire<E>(p: McsPort<E>, l: TicketLayout, orders: McsOrders): Code<E, boolean> {
  const ticket = (yield p.xadd(l.next, 1)) as number;
  const served = (yield p.load(l.owner, orders.spin)) as number;
  if (served === ticket) return false;
  yield p.spinUntil(l.owner, (v) => v === ticket, orders.spin);
  return true;
}

/** arch_spin_trylock: taken only when nobody holds or waits (next == owner). */
export function* ticketTryAcquire<E>(p: McsPort<E>, l: TicketLayout): Code<E, boolean> {
  const owner = (yield p.load(l.owner, MemOrder.Relaxed)) as number;
  return ((yield p.cas(l.next, owner, owner + 1)) as number) === owner;
}

/** arch_spin_unlock: serve the next ticket (the holder alone writes `owner`). */
export function* ticketRelease<E>(p: McsPort<E>, l: TicketLayout, orders: McsOrders): Code<E, void> {
  const owner = (yield p.load(l.owner, MemOrder.Relaxed)) as number;
  yield p.store(l.owner, owner + 1, orders.handoff);
}
