/**
 * Kernel spinlocks as explored objects: a model's kernel code yields `lock(l)`, `tryLock(l)`
 * and `unlock(l)` (hw/effects.ts) on real `SpinLock`s, and the explorer runs the kernel's MCS
 * code (kernel/locks/mcs.ts, what `[kernel] locks = "mcs"` runs) or its ticket-lock code
 * (kernel/locks/ticket.ts, `locks = "ticket"`; `ModelInstance.lockKind`) for each on words of its own
 * memory, so every access of the lock is an explored step with a footprint (DPOR sees two CPUs'
 * lock operations as dependent through the tail and node words) under SC, TSO or PSO, and a
 * CPU spinning for a held lock is an `Await` that a deadlock report names. The model declares
 * its locks (`ModelInstance.spinlocks`), which fixes their words' addresses across executions.
 * `spend` is dropped (time abstracted, as under `--timing any`).
 */
import { MemOrder } from '../abi/effects.ts';
import { KernelOp, type LockEffect } from '../hw/effects.ts';
import type { SpinLock } from '../hw/spinlock.ts';
import {
  MCS_ORDERS_FIXED,
  type McsLayout,
  type McsPort,
  mcsAcquire,
  mcsRelease,
  mcsTryAcquire,
} from '../kernel/locks/mcs.ts';
import { type TicketLayout, ticketAcquire, ticketRelease, ticketTryAcquire } from '../kernel/locks/ticket.ts';
import type { XEffect, XProgram } from './model.ts';
import type { XThread } from './xthread.ts';

/** Where the explored locks' words start, above every model's own addresses. */
export const KERNEL_LOCK_BASE = 0x4000_0000;
/** Bytes per lock: the tail, then one 8-byte node {locked, next} per CPU (node ids from 1). */
const LOCK_BYTES = 0x200;
const NODES_MAX = LOCK_BYTES / 8 - 1;

/** The explorer's port for the kernel's MCS code: each access an explored step on `t`. */
export function xport(t: XThread): McsPort<XEffect> {
  return {
    load: (addr, order) => t.load(addr, order),
    store: (addr, value, order) => t.store(addr, value, order),
    xchg: (addr, value) => t.xchg(addr, value),
    xadd: (addr, value) => t.fetchAdd(addr, value),
    cas: (addr, expected, desired) => t.cas(addr, expected, desired),
    spinUntil: (addr, until, order) => t.await([addr], (v) => until(v[0]!), order),
  };
}

export function isLockEffect(e: { op: number }): e is LockEffect {
  return e.op === KernelOp.Lock || e.op === KernelOp.TryLock || e.op === KernelOp.Unlock;
}

/** The kernel lock code the explorer runs for a model's spinlocks. */
export type ExploredLockKind = 'mcs' | 'ticket';

export class ExploredLocks {
  readonly #layouts = new Map<SpinLock, McsLayout>();
  readonly #tickets = new Map<SpinLock, TicketLayout>();
  /** Address names for messages and traces: `<lock>.tail`, `<lock>.node<i>.locked` ... */
  readonly names = new Map<number, string>();

  constructor(locks: readonly SpinLock[], threads: number, kind: ExploredLockKind = 'mcs') {
    if (threads > NODES_MAX) throw new Error(`explore: kernel locks take at most ${NODES_MAX} CPUs`);
    locks.forEach((l, n) => {
      const base = KERNEL_LOCK_BASE + n * LOCK_BYTES;
      if (kind === 'ticket') {
        this.#tickets.set(l, { next: base, owner: base + 4 });
        this.names.set(base, `${l.name}.next`);
        this.names.set(base + 4, `${l.name}.owner`);
        return;
      }
      const layout: McsLayout = {
        tail: base,
        locked: (node) => base + 8 * node,
        next: (node) => base + 8 * node + 4,
      };
      this.#layouts.set(l, layout);
      this.names.set(base, `${l.name}.tail`);
      for (let i = 1; i <= threads; i++) {
        this.names.set(layout.locked(i), `${l.name}.node${i}.locked`);
        this.names.set(layout.next(i), `${l.name}.node${i}.next`);
      }
    });
  }

  /**
   * The kernel's lock code for `e`, run by thread `t` (node id = its index + 1), with the
   * SpinLock's own invariants checked at the step they break (the ones hw/cpu.ts and
   * spinlock.ts queuedUnlock assert on the machine): no CPU takes a lock another holds (mutual
   * exclusion), nor one it holds itself, and only the holder unlocks.
   */
  code(t: XThread, e: LockEffect): XProgram<unknown> {
    return checkedLock(t, e, this.#code(t, e));
  }

  #code(t: XThread, e: LockEffect): XProgram<unknown> {
    const ticket = this.#tickets.get(e.lock);
    if (ticket !== undefined) {
      const port = xport(t);
      if (e.op === KernelOp.Lock) return ticketAcquire(port, ticket, MCS_ORDERS_FIXED);
      if (e.op === KernelOp.TryLock) return ticketTryAcquire(port, ticket);
      return ticketRelease(port, ticket, MCS_ORDERS_FIXED);
    }
    const layout = this.#layouts.get(e.lock);
    if (layout === undefined)
      throw new Error(`explore: kernel lock ${e.lock.name} is not in the model's spinlocks`);
    const port = xport(t);
    const node = t.index + 1;
    if (e.op === KernelOp.Lock) return mcsAcquire(port, layout, node, MCS_ORDERS_FIXED);
    if (e.op === KernelOp.TryLock) return mcsTryAcquire(port, layout, node);
    return mcsRelease(port, layout, node, MCS_ORDERS_FIXED);
  }
}

function* checkedLock(t: XThread, e: LockEffect, code: XProgram<unknown>): XProgram<unknown> {
  const l = e.lock;
  const me = t.index;
  const who = (cpu: number) => (cpu < 0 ? 'nobody' : `CPU${cpu}`);
  if (e.op === KernelOp.Unlock) {
    if (l.holder !== me)
      yield t.fail('assertion', `kernel invariant: ${t.name} unlocks ${l.name}, held by ${who(l.holder)}`);
    l.holder = -1; // as queuedUnlock: the holder lets go first
    return yield* code;
  }
  if (l.holder === me) yield t.fail('assertion', `kernel invariant: ${t.name} relocks ${l.name}`);
  const result = yield* code;
  if (e.op === KernelOp.Lock || result === true) {
    if (l.holder >= 0)
      yield t.fail(
        'assertion',
        `kernel invariant: ${t.name} took ${l.name}, which ${who(l.holder)} holds (mutual exclusion)`,
      );
    l.take(me);
  }
  return result;
}

/** The orderings are the kernel's; `MemOrder` is re-exported for models that name them. */
export { MemOrder };
