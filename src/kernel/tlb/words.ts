/**
 * The shootdown protocols' shared memory as words (issue 17, K3, HW-9): Red Bear's packed
 * mailbox and served count per CPU, Linux's call-function queue head per CPU, its csd (flag and
 * llist link) per (initiator, target) pair, and an address space's flush generation. The protocol
 * code (redbear.ts, linux.ts) reaches them only through a `TlbPort`, so the same code runs:
 *
 * - on the machine (`hostTlbPort`): the words are a map in `TlbState`; an access that is a step
 *   is one `sharedStep` (a cache-line transfer of time) and takes effect when it ends, as the
 *   host objects these words replace did, so every seed's trace is the one it was; a `peek`
 *   (a re-read of a line the CPU already holds, or a read inside the step before) costs nothing;
 * - under the explorer (src/explore/models/tlb-real.ts): every access is a load, store or RMW
 *   effect on the explorer's memory, with its ordering, and a wait is one `Await` step, so the
 *   explorer interleaves the protocol's own accesses and DPOR sees which of them conflict.
 *
 * A word that names a request holds a handle (`TlbRequests`): the request's range is written
 * once, before the handle is published, so a handle is as good as P15-3's packed range.
 */
import { MemOrder } from '../../abi/effects.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import type { AddressSpace } from '../vm.ts';
import type { FlushRequest } from './state.ts';

/** A CPU's own pending shootdown work, run while it waits (redbearService, linuxService). */
export type TlbService = (k: Kernel, cpu: Cpu) => KernelGen<void>;

/** What a waiting CPU waits for: `until` of the words at `addrs`. */
export interface TlbWait {
  addrs: readonly number[];
  until: (values: readonly number[]) => boolean;
  /** The CPUs it waits on (for a timeout's log and a hang's message). */
  waitingOn: () => number[];
  /** Its own work while it waits: run when the word at `addr` is non-zero. */
  service: { addr: number; run: TlbService } | null;
  /** 0: wait for ever (the hang check still stops the run). */
  timeoutNs: number;
}

export interface TlbPort {
  /** Accesses that are one step each (a cache-line transfer on the machine). */
  load(k: Kernel, addr: number, order: MemOrder): KernelGen<number>;
  store(k: Kernel, addr: number, value: number, order: MemOrder): KernelGen<void>;
  xchg(k: Kernel, addr: number, value: number): KernelGen<number>;
  fetchAdd(k: Kernel, addr: number, value: number): KernelGen<number>;
  /** cmpxchg: `desired` when the word is `expected`; returns the old word. */
  cas(k: Kernel, addr: number, expected: number, desired: number): KernelGen<number>;
  /**
   * Reads `readAddr`, then stores `value` at `addr`: one step on the machine (both land when it
   * ends, as one line's accesses back to back did), two under the explorer, the read first.
   */
  readThenStore(k: Kernel, readAddr: number, addr: number, value: number, order: MemOrder): KernelGen<number>;
  /** A read the machine does not charge (see the header); a load under the explorer. */
  peek(k: Kernel, addr: number, order: MemOrder): KernelGen<number>;
  /** A write the machine does not charge (to a line the CPU holds); a store under the explorer. */
  poke(k: Kernel, addr: number, value: number, order: MemOrder): KernelGen<void>;
  /**
   * llist_add (include/linux/llist.h): `node.next = first = READ_ONCE(head)` until
   * `try_cmpxchg(head, first, node)` lands; one step on the machine, a loop of three under the
   * explorer.
   */
  llistAdd(k: Kernel, head: number, node: number, nextAddr: number): KernelGen<void>;
  /** An address space's flush generation (linux): read, and inc_mm_tlb_gen (returns the new one). */
  readGen(k: Kernel, space: AddressSpace): KernelGen<number>;
  bumpGen(k: Kernel, space: AddressSpace): KernelGen<number>;
  /** Spins (taking its own pending work) until the wait is over; false on a timeout or a hang. */
  wait(k: Kernel, cpu: Cpu, w: TlbWait): KernelGen<boolean>;
}

/** Where each word is, for a machine of `cpus` CPUs (byte addresses in the port's memory). */
export class TlbLayout {
  readonly cpus: number;
  readonly base: number;
  constructor(cpus: number, base = 0) {
    this.cpus = cpus;
    this.base = base;
  }
  /** Red Bear: the packed range-and-flag word of `cpu` (P15-3): a request handle, 0 when clear. */
  mailbox(cpu: number): number {
    return this.base + 4 * cpu;
  }
  /** Red Bear: the TLB IPIs `cpu` has served. */
  served(cpu: number): number {
    return this.base + 4 * (this.cpus + cpu);
  }
  /** Linux: `cpu`'s call_single_queue head: a csd handle (`csd()`), 0 when empty. */
  queue(cpu: number): number {
    return this.base + 4 * (2 * this.cpus + cpu);
  }
  /** The flush generation of the (one) address space an explorer model shoots down. */
  generation(): number {
    return this.base + 4 * 3 * this.cpus;
  }
  /**
   * Linux: the csd `initiator` uses for `target` (never 0). Handles from `cpus² + 1` on are
   * spares (`TlbState.csdFor`): the improved protocol's timeout can leave a csd queued.
   */
  csd(initiator: number, target: number): number {
    return initiator * this.cpus + target + 1;
  }
  csdFlags(handle: number): number {
    return this.base + 4 * (3 * this.cpus + 1) + 8 * handle;
  }
  csdNext(handle: number): number {
    return this.csdFlags(handle) + 4;
  }
}

/**
 * Red Bear's request handles. A request is registered before its handle is published and stays
 * readable while any mailbox may still hold it: a target can take a handle after its initiator
 * has finished (an empty-word IPI's count can land after the initiator's store, K3's cousin), as
 * the patches' packed word still holds its range then. `finish` drops a finished request once
 * `held` says no mailbox holds it; under the explorer (`keepAll`) nothing is dropped.
 */
export class TlbRequests {
  readonly #byHandle = new Map<number, FlushRequest>();
  readonly #finished = new Set<number>();
  readonly #keepAll: boolean;
  #next = 1;

  constructor(keepAll = false) {
    this.#keepAll = keepAll;
  }

  add(req: FlushRequest): number {
    const h = this.#next++;
    this.#byHandle.set(h, req);
    return h;
  }

  get(handle: number): FlushRequest {
    const req = this.#byHandle.get(handle);
    if (req === undefined) throw new Error(`tlb: a mailbox names request ${handle}, which was dropped`);
    return req;
  }

  finish(handle: number, held: (handle: number) => boolean): void {
    if (this.#keepAll) return;
    this.#finished.add(handle);
    for (const h of this.#finished) {
      if (held(h)) continue;
      this.#finished.delete(h);
      this.#byHandle.delete(h);
    }
  }

  /** Requests still registered (a test checks none leak). */
  get size(): number {
    return this.#byHandle.size;
  }
}

/** Linux's csd `info` pointers, per csd handle (the initiator's flush_tlb_info). */
export type CsdInfo = Map<number, FlushRequest>;

export { MemOrder };
