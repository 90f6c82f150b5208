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
  const targets: number[] = [];
  const servedBefore: number[] = [];
  for (let c = 0; c < k.board.cpus.length; c++) {
    if (c === cpu.id || space.usedBy[c] === 0) continue;
    // The packed word's Release store, with no wait for the previous one to be taken (K3).
    servedBefore.push(
      yield* port.readThenStore(k, layout.served(c), layout.mailbox(c), handle, MemOrder.Release),
    );
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

/** The TLB IPI on a receiver: swap the word (Acquire), flush its range, count the IPI served. */
export function* redbearService(k: Kernel, cpu: Cpu): KernelGen<void> {
  const state = k.tlb;
  const { port, layout } = state;
  if ((yield* port.peek(k, layout.mailbox(cpu.id), MemOrder.Relaxed)) === 0) return;
  const handle = yield* port.xchg(k, layout.mailbox(cpu.id), 0);
  if (handle !== 0 && !state.skipNextFlush())
    yield* flushFor(k, cpu, state.requests.get(handle), REDOX_QUEUE_PAGES);
  yield* port.fetchAdd(k, layout.served(cpu.id), 1);
}

/** The IPI handler: serves the word, and counts the IPI served even when the word was empty. */
export function* redbearIpi(k: Kernel, cpu: Cpu): KernelGen<void> {
  const { port, layout } = k.tlb;
  if ((yield* port.peek(k, layout.mailbox(cpu.id), MemOrder.Relaxed)) !== 0) {
    yield* redbearService(k, cpu);
    return;
  }
  yield* port.fetchAdd(k, layout.served(cpu.id), 1);
}
