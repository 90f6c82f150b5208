/**
 * The Red Bear patches' TLB shootdown, as written (seed: P15-3, P15-10, the all-but-self
 * shorthand), including what they leave racy (K3, HW-9).
 *
 * P15-3 packs the range and the flag into one atomic word per target CPU, so a target never
 * reads a flag with a torn range; P15-10 publishes it with Release and the target takes it with
 * an Acquire swap. One all-but-self IPI (ICR shorthand) reaches every other CPU, which swaps its
 * word, flushes the range (per page up to the Flusher's 32, else whole) and bumps its served
 * count; the initiator waits until each target's count has moved.
 *
 * K3, left as the patches leave it: an initiator stores its word without waiting for the
 * previous one to be taken, so a second initiator can overwrite a word its target has not read.
 * The target then flushes only the second range, both initiators see its count move, and the
 * first frees frames the target still maps: a stale translation, which a later read through it
 * reports (vm.ts finishUnmap marks it). The reference does not say how the patches count acks;
 * the per-target served count is this model's reading of "the acknowledgement counter" that lets
 * the race end in a stale entry rather than a hang, as HW-9 describes.
 *
 * `redbear-fixed` (issue 17): one word is not enough on its own, so the initiator also waits
 * for the target's mailbox to be free and takes it with a compare-exchange from 0; the target
 * clears its mailbox (store-release) only after the flush, and the initiator waits until every
 * target's mailbox no longer holds its request. No served counts: the mailbox is the ack.
 *
 * Every shared access goes through `k.tlb.port` (words.ts): one step on the machine, an explored
 * load, store or RMW under `smpsim explore k3` (explore/models/tlb-real.ts).
 */
import { MemOrder } from '../../abi/effects.ts';
import { IPI_ALL_BUT_SELF, type KernelGen, sendIpi } from '../../hw/effects.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { VEC_IPI_TLB } from '../../hw/vectors.ts';
import type { Kernel } from '../kernel.ts';
import type { AddressSpace } from '../vm.ts';
import { REDOX_QUEUE_PAGES } from './redox.ts';
import { flushFor, fullFlush, invlpgRange } from './shootdown.ts';

export function* redbearShootdown(
  k: Kernel,
  cpu: Cpu,
  space: AddressSpace,
  vpn: number,
  pages: number,
): KernelGen<void> {
  const state = k.tlb;
  const { port, layout } = state;
  state.stats.shootdowns++;
  if (pages <= REDOX_QUEUE_PAGES) yield* invlpgRange(k, cpu.id, space, vpn, pages);
  else yield* fullFlush(k, cpu.id);
  const handle = state.requests.add({ initiator: cpu.id, space, vpn, pages, gen: 0, pending: 0 });
  if (state.options.protocol === 'redbear-fixed') {
    yield* fixedShootdown(k, cpu, space, handle);
    return;
  }
  const targets: number[] = [];
  const servedBefore: number[] = [];
  for (let c = 0; c < k.board.cpus.length; c++) {
    if (c === cpu.id || space.usedBy[c] === 0) continue;
    // The packed word's Release store, with no wait for the previous one to be taken (K3).
    const before = yield* port.readThenStore(
      k,
      layout.served(c),
      layout.mailbox(c),
      handle,
      MemOrder.Release,
    );
    // Went offline meanwhile (kernel/hotplug-park.ts): out of the set, its TLB empty, not waited for.
    if (k.hotplug?.park.parked[c] === 1) continue;
    servedBefore.push(before);
    targets.push(c);
  }
  if (targets.length > 0) {
    if (!state.dropNextIpi()) {
      state.stats.ipis += k.board.cpus.length - 2; // the shorthand reaches every other CPU
      yield sendIpi(IPI_ALL_BUT_SELF, VEC_IPI_TLB);
    }
    const served = targets.map((c) => layout.served(c));
    const unserved = (values: readonly number[]) => targets.filter((_, i) => values[i]! <= servedBefore[i]!);
    yield* port.wait(k, cpu, {
      addrs: served,
      until: (values) => unserved(values).length === 0,
      // Read on the machine only (a timeout's log, a hang's message), so the host's words.
      waitingOn: () => targets.filter((_, i) => (state.words.get(served[i]!) ?? 0) <= servedBefore[i]!),
      service: { addr: layout.mailbox(cpu.id), run: redbearService },
      timeoutNs: 0,
    });
  }
  const n = k.board.cpus.length;
  state.requests.finish(handle, (h) => {
    for (let c = 0; c < n; c++) if (state.words.get(layout.mailbox(c)) === h) return true;
    return false;
  });
}

/** The full fix's initiator side (the header): publish to each target when free, IPI, wait. */
function* fixedShootdown(k: Kernel, cpu: Cpu, space: AddressSpace, handle: number): KernelGen<void> {
  const state = k.tlb;
  const { port, layout } = state;
  const service = { addr: layout.mailbox(cpu.id), run: redbearService };
  const targets: number[] = [];
  for (let c = 0; c < k.board.cpus.length; c++) {
    if (c === cpu.id || space.usedBy[c] === 0) continue;
    const box = layout.mailbox(c);
    const isFree = (values: readonly number[]) => values[0] === 0;
    do yield* port.wait(k, cpu, { addrs: [box], until: isFree, waitingOn: () => [c], service, timeoutNs: 0 });
    while ((yield* port.cas(k, box, 0, handle)) !== 0);
    targets.push(c);
  }
  if (targets.length > 0) {
    if (!state.dropNextIpi()) {
      state.stats.ipis += k.board.cpus.length - 2;
      yield sendIpi(IPI_ALL_BUT_SELF, VEC_IPI_TLB);
    }
    const boxes = targets.map((c) => layout.mailbox(c));
    yield* port.wait(k, cpu, {
      addrs: boxes,
      until: (values) => values.every((v) => v !== handle),
      waitingOn: () => targets.filter((_, i) => state.words.get(boxes[i]!) === handle),
      service,
      timeoutNs: 0,
    });
  }
  // Every target took and flushed it, so no mailbox holds it any more.
  state.requests.finish(handle, () => false);
}

/** The full fix's target side: read the word (Acquire), flush, then clear it (Release). */
function* fixedService(k: Kernel, cpu: Cpu): KernelGen<void> {
  const state = k.tlb;
  const { port, layout } = state;
  const box = layout.mailbox(cpu.id);
  const handle = yield* port.load(k, box, MemOrder.Acquire);
  if (handle === 0) return;
  if (!state.skipNextFlush()) yield* flushFor(k, cpu, state.requests.get(handle), REDOX_QUEUE_PAGES);
  yield* port.store(k, box, 0, MemOrder.Release);
}

/** The TLB IPI on a receiver: swap the word (Acquire), flush its range, count the IPI served. */
export function* redbearService(k: Kernel, cpu: Cpu): KernelGen<void> {
  const state = k.tlb;
  const { port, layout } = state;
  if ((yield* port.peek(k, layout.mailbox(cpu.id), MemOrder.Relaxed)) === 0) return;
  yield* serveWord(k, cpu);
}

/** A word seen non-empty: take it and flush (the full fix's way under redbear-fixed). */
function* serveWord(k: Kernel, cpu: Cpu): KernelGen<void> {
  const state = k.tlb;
  const { port, layout } = state;
  if (state.options.protocol === 'redbear-fixed') {
    yield* fixedService(k, cpu);
    return;
  }
  const handle = yield* port.xchg(k, layout.mailbox(cpu.id), 0);
  if (handle !== 0 && !state.skipNextFlush())
    yield* flushFor(k, cpu, state.requests.get(handle), REDOX_QUEUE_PAGES);
  yield* port.fetchAdd(k, layout.served(cpu.id), 1);
}

/** The IPI handler: serves the word, and counts the IPI served even when the word was empty. */
export function* redbearIpi(k: Kernel, cpu: Cpu): KernelGen<void> {
  const { port, layout } = k.tlb;
  // The word seen non-empty is served at once (no second look: on the machine a look is free).
  if ((yield* port.peek(k, layout.mailbox(cpu.id), MemOrder.Relaxed)) !== 0) {
    yield* serveWord(k, cpu);
    return;
  }
  if (k.tlb.options.protocol !== 'redbear-fixed') yield* port.fetchAdd(k, layout.served(cpu.id), 1);
}
