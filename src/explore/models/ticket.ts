/**
 * The kernel's ticket lock (kernel/locks/ticket.ts, what `[kernel] locks = "ticket"` runs;
 * SCHED-10, K4's fence bug on a ticket lock) taken once by each CPU around a relaxed increment
 * of a shared counter, as `k4` does for the MCS lock. The handover is the release store of
 * `owner + 1` and the next holder's spin on `owner`: `k4-ticket` does them Relaxed (the fence
 * pair missing), `k4-ticket-fixed` with store-release and load-acquire. The ticket's fetch-add
 * is a locked instruction in both. Under PSO the handover store overtakes the counter's store
 * and an increment is lost; x86-TSO keeps stores in order and hides it.
 */
import { MemOrder } from '../../abi/effects.ts';
import { MCS_ORDERS_FIXED, MCS_ORDERS_RELAXED } from '../../kernel/locks/mcs.ts';
import { type TicketLayout, ticketAcquire, ticketRelease } from '../../kernel/locks/ticket.ts';
import { xport } from '../kernel-locks.ts';
import type { Model, XProgram } from '../model.ts';
import type { XThread } from '../xthread.ts';

const NEXT = 0x100;
const OWNER = 0x104;
const COUNTER = 0x140;
const LAYOUT: TicketLayout = { next: NEXT, owner: OWNER };

function k4Ticket(fixed: boolean): Model {
  return {
    name: fixed ? 'k4-ticket-fixed' : 'k4-ticket',
    description: fixed
      ? 'ticket lock with a store-release handover and a load-acquire spin'
      : 'ticket lock with a relaxed handover: the critical section leaks past it on a weak memory model',
    claims: 'K4, SCHED-10',
    buggy: !fixed,
    memory: 'pso',
    cpus: 3,
    cpusMin: 2,
    cpusMax: 4,
    source: 'the kernel ticket lock code, kernel/locks/ticket.ts (asm-generic/ticket_spinlock.h)',
    build: (cpus) => {
      function* cpu(t: XThread): XProgram<void> {
        const port = xport(t);
        const orders = fixed ? MCS_ORDERS_FIXED : MCS_ORDERS_RELAXED;
        yield* ticketAcquire(port, LAYOUT, orders);
        const c = (yield t.load(COUNTER, MemOrder.Relaxed)) as number;
        yield t.store(COUNTER, c + 1, MemOrder.Relaxed);
        yield* ticketRelease(port, LAYOUT, orders);
      }
      return {
        threads: Array.from({ length: cpus }, (_, i) => ({ name: `CPU${i}`, run: cpu })),
        names: new Map<number, string>([
          [NEXT, 'ticket.next'],
          [OWNER, 'ticket.owner'],
          [COUNTER, 'counter'],
        ]),
        finalCheck: (read) =>
          read(COUNTER) === cpus
            ? null
            : { kind: 'assertion', message: `counter is ${read(COUNTER)} after ${cpus} locked increments` },
      };
    },
  };
}

export const TICKET_MODELS: Model[] = [k4Ticket(false), k4Ticket(true)];
