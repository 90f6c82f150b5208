/**
 * The kernel's ticket lock (`[kernel] locks = "ticket"`, SCHED-10): locks/ticket.ts's code over
 * the CPU's lock words (hw/lock-words.ts), installed on a SpinLock as its `queued` code, as
 * mcs-lock.ts installs the MCS lock. Both words of a lock share one 64-byte line, as the
 * generic ticket lock's one 32-bit word does: a new ticket and the spinners' line are the same
 * line, which is why ticket locks stop scaling (every waiter re-reads it at each handover;
 * lock-words.ts charges only the waiter whose turn it is). The handoff pair is the fixed one;
 * the machine is sequentially consistent, so only the explorer tells the orderings apart.
 */
import type { KernelEffect, KernelGen } from '../../hw/effects.ts';
import { LockWords } from '../../hw/lock-words.ts';
import type { QueuedLock, SpinLock } from '../../hw/spinlock.ts';
import { MCS_ORDERS_FIXED, type McsPort } from './mcs.ts';
import { wordPort } from './mcs-lock.ts';
import { type TicketLayout, ticketAcquire, ticketRelease, ticketTryAcquire } from './ticket.ts';

export class TicketLock implements QueuedLock {
  readonly layout: TicketLayout;
  readonly #mem: LockWords;
  readonly #port: McsPort<KernelEffect>;

  constructor(mem: LockWords) {
    this.#mem = mem;
    this.#port = wordPort(mem);
    const base = mem.allocLines(1);
    this.layout = { next: base, owner: base + 4 };
  }

  acquire(_cpuId: number): KernelGen<boolean> {
    return ticketAcquire(this.#port, this.layout, MCS_ORDERS_FIXED);
  }

  tryAcquire(_cpuId: number): KernelGen<boolean> {
    return ticketTryAcquire(this.#port, this.layout);
  }

  release(_cpuId: number): KernelGen<void> {
    return ticketRelease(this.#port, this.layout, MCS_ORDERS_FIXED);
  }

  localTo(cpuId: number): boolean {
    const { next, owner } = this.layout;
    return this.#mem.read(next) === this.#mem.read(owner) && this.#mem.lineLocal(cpuId, next);
  }
}

/** `[kernel] locks = "ticket"`: every kernel lock gets ticket-lock code over one set of lock words. */
export function installTicket(locks: readonly SpinLock[]): LockWords {
  const mem = new LockWords();
  for (const l of locks) l.queued = new TicketLock(mem);
  return mem;
}
