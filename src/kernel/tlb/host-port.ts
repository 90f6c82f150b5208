/**
 * The shootdown words on the machine (words.ts header): a map in `TlbState`, each access that is
 * a step one `sharedStep` whose effect lands when it ends (the host objects these words replaced
 * changed at the same instant), a peek free. The flush generation stays the address space's own
 * field (mmu.ts reads it at a switch), bumped and read at no cost, as before.
 */
import { AtomicOp } from '../../abi/effects.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { sharedStep, spinUntil } from './shootdown.ts';
import type { TlbPort } from './words.ts';

function read(k: Kernel, addr: number): number {
  return k.tlb.words.get(addr) ?? 0;
}

function* step(k: Kernel, addr: number, kind: AtomicOp, value: number, desired = 0): KernelGen<number> {
  yield sharedStep(k);
  const old = read(k, addr);
  if (kind === AtomicOp.Exchange || kind === AtomicOp.Store) k.tlb.words.set(addr, value);
  else if (kind === AtomicOp.FetchAdd) k.tlb.words.set(addr, old + value);
  else if (kind === AtomicOp.CompareExchange && old === value) k.tlb.words.set(addr, desired);
  return old;
}

export const HOST_TLB_PORT: TlbPort = {
  load: (k, addr) => step(k, addr, AtomicOp.Load, 0),
  *store(k, addr, value) {
    yield* step(k, addr, AtomicOp.Store, value);
  },
  xchg: (k, addr, value) => step(k, addr, AtomicOp.Exchange, value),
  fetchAdd: (k, addr, value) => step(k, addr, AtomicOp.FetchAdd, value),
  cas: (k, addr, expected, desired) => step(k, addr, AtomicOp.CompareExchange, expected, desired),
  *readThenStore(k, readAddr, addr, value) {
    yield sharedStep(k);
    const old = read(k, readAddr);
    k.tlb.words.set(addr, value);
    return old;
  },
  // A peek, a poke and the generation cost nothing on the machine (no yield).
  *peek(k, addr) {
    return read(k, addr);
  },
  *poke(k, addr, value) {
    k.tlb.words.set(addr, value);
  },
  *llistAdd(k, head, node, nextAddr) {
    yield sharedStep(k);
    k.tlb.words.set(nextAddr, read(k, head));
    k.tlb.words.set(head, node);
  },
  // The generation is the space's own field; inc_mm_tlb_gen's cost is in the step after.
  *readGen(_k, space) {
    return space.tlbGen;
  },
  *bumpGen(_k, space) {
    return ++space.tlbGen;
  },
  *wait(k, cpu, w) {
    const done = () => w.until(w.addrs.map((a) => read(k, a)));
    return yield* spinUntil(k, cpu, done, w.waitingOn, w.service?.run ?? null, w.timeoutNs);
  },
};
