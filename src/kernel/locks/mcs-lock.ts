/**
 * The kernel's MCS lock (`[kernel] locks = "mcs"`, SCHED-10): locks/mcs.ts's code over the
 * CPU's lock words (hw/lock-words.ts), installed on a SpinLock as its `queued` code, so every
 * `lock(l)`/`unlock(l)` of kernel code runs it. One node per (lock, CPU), as a CPU waits for
 * a given lock at most once at a time: Linux's qspinlock keeps four per CPU instead (task,
 * softirq, hardirq, NMI nesting) and indexes them in the tail; a node per lock spends memory to
 * need no index. The handoff pair is the fixed one (Release/Acquire); the machine is
 * sequentially consistent, so only the explorer (explore/models/mcs.ts) tells them apart.
 *
 * Costs come from the cost model through the words' lines: clearing the own node (local after
 * the first time), the tail's xchg (a transfer from its last toucher), the link into the
 * predecessor's node (a transfer), and at the handoff the successor's `locked` line goes to the
 * releaser and back (two transfers), where the CAS lock's handoff moves one line once.
 */
import { AtomicOp, MemOrder } from '../../abi/effects.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { TraceHash } from '../../engine/trace-hash.ts';
import { type KernelEffect, type KernelGen, KernelOp } from '../../hw/effects.ts';
import { LOCK_LINE_BYTES, LockWords } from '../../hw/lock-words.ts';
import { type Donation, DonationLock, type DonationTask } from './donation.ts';
import type { QueuedLock, SpinLock } from '../../hw/spinlock.ts';
import {
  MCS_NULL,
  MCS_ORDERS_FIXED,
  type McsLayout,
  type McsPort,
  mcsAcquire,
  mcsRelease,
  mcsTryAcquire,
} from './mcs.ts';

/**
 * `[kernel] locks`: hw/spinlock.ts's test-and-set word (the default), this file's MCS queue, or
 * the ticket lock (ticket-lock.ts).
 */
export const KERNEL_LOCK_KINDS = ['tas', 'mcs', 'ticket'] as const;
export type KernelLockKind = (typeof KERNEL_LOCK_KINDS)[number];

/** The lock-words port: each access a Word effect, each spin a SpinWord effect. */
export function wordPort(mem: LockWords): McsPort<KernelEffect> {
  const word = (kind: AtomicOp, addr: number, a: number, b: number, order: MemOrder): KernelEffect => ({
    op: KernelOp.Word,
    mem,
    kind,
    addr,
    a,
    b,
    order,
  });
  return {
    load: (addr, order) => word(AtomicOp.Load, addr, 0, 0, order),
    store: (addr, value, order) => word(AtomicOp.Store, addr, value, 0, order),
    xchg: (addr, value) => word(AtomicOp.Exchange, addr, value, 0, MemOrder.SeqCst),
    xadd: (addr, value) => word(AtomicOp.FetchAdd, addr, value, 0, MemOrder.SeqCst),
    cas: (addr, expected, desired) =>
      word(AtomicOp.CompareExchange, addr, expected, desired, MemOrder.SeqCst),
    spinUntil: (addr, until, order) => ({ op: KernelOp.SpinWord, mem, addr, until, order }),
  };
}

/** A lock's words: the tail's line, then one line per CPU's node (node id = cpu id + 1). */
export function mcsLayout(mem: LockWords, cpus: number): McsLayout {
  const base = mem.allocLines(cpus + 1);
  return {
    tail: base,
    locked: (node) => base + node * LOCK_LINE_BYTES,
    next: (node) => base + node * LOCK_LINE_BYTES + 4,
  };
}

/**
 * What a donating MCS lock asks of the kernel: the task running on a CPU (the holder or waiter),
 * and telling the scheduler of the tasks whose boost changed (Linux rt_mutex_adjust_prio).
 */
export interface DonationHost {
  readonly donation: Donation;
  taskOn(cpuId: number): DonationTask | null;
  boostsChanged(cpuId: number, tasks: readonly DonationTask[]): KernelGen<void>;
  /** The walk met a cycle (EDEADLK): counted and traced; the spin then never ends. */
  cycle(cpuId: number, lock: DonationLock): void;
}

export class McsLock implements QueuedLock {
  readonly layout: McsLayout;
  /** Its place in the donation lock graph, when it donates (else null). */
  readonly graph: DonationLock | null;
  readonly #mem: LockWords;
  readonly #port: McsPort<KernelEffect>;
  readonly #trace: TraceHash;
  readonly #host: DonationHost | null;

  constructor(
    mem: LockWords,
    cpus: number,
    trace: TraceHash,
    name = 'mcs',
    host: DonationHost | null = null,
  ) {
    this.#mem = mem;
    this.#port = wordPort(mem);
    this.layout = mcsLayout(mem, cpus);
    this.#trace = trace;
    this.#host = host;
    this.graph = host === null ? null : new DonationLock(name);
  }

  *acquire(cpuId: number): KernelGen<boolean> {
    const queued = (p: number) => this.#queued(cpuId, p);
    const prev = yield* mcsAcquire(this.#port, this.layout, cpuId + 1, MCS_ORDERS_FIXED, queued);
    const host = this.#host;
    if (host !== null && this.graph!.holder === null) {
      const t = host.taskOn(cpuId); // taken free (a handoff made it the holder already)
      if (t !== null) host.donation.acquired(this.graph!, t);
    }
    return prev !== MCS_NULL;
  }

  *tryAcquire(cpuId: number): KernelGen<boolean> {
    const taken = yield* mcsTryAcquire(this.#port, this.layout, cpuId + 1);
    const t = taken && this.#host !== null ? this.#host.taskOn(cpuId) : null;
    if (t !== null) this.#host!.donation.acquired(this.graph!, t);
    return taken;
  }

  *release(cpuId: number): KernelGen<void> {
    const next = yield* mcsRelease(this.#port, this.layout, cpuId + 1, MCS_ORDERS_FIXED);
    if (next !== MCS_NULL) this.#trace.mix(TraceKind.McsHandoff, cpuId, next - 1);
    const host = this.#host;
    if (host === null) return;
    const g = this.graph!;
    const t = g.holder;
    if (t === null) return;
    const changed = host.donation.released(g, t);
    // The handoff store made the successor the owner: it holds the lock (and the remaining
    // waiters' donations) from here, before its spin sees the store.
    const successor = next === MCS_NULL ? null : host.taskOn(next - 1);
    if (successor !== null) host.donation.acquired(g, successor);
    if (changed.length > 0) yield* host.boostsChanged(cpuId, changed);
  }

  localTo(cpuId: number): boolean {
    const l = this.layout;
    const mem = this.#mem;
    return (
      mem.read(l.tail) === MCS_NULL &&
      mem.lineLocal(cpuId, l.tail) &&
      mem.lineLocal(cpuId, l.locked(cpuId + 1))
    );
  }

  *#queued(cpuId: number, prev: number): KernelGen<void> {
    this.#trace.mix(TraceKind.McsQueued, cpuId, prev - 1);
    const host = this.#host;
    const w = host?.taskOn(cpuId) ?? null;
    if (host === null || w === null) return;
    const walk = host.donation.waits(this.graph!, w);
    if (walk.cycle) host.cycle(cpuId, this.graph!);
    if (walk.changed.length > 0) yield* host.boostsChanged(cpuId, walk.changed);
  }
}

/** `[kernel] locks = "mcs"`: every kernel lock gets MCS code over one set of lock words. */
export function installMcs(locks: readonly SpinLock[], cpus: number, trace: TraceHash): LockWords {
  const mem = new LockWords();
  for (const l of locks) l.queued = new McsLock(mem, cpus, trace);
  return mem;
}
