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
import { IPI_ALL_BUT_SELF, type KernelGen, sendIpi } from '../../hw/effects.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { VEC_IPI_TLB } from '../../hw/vectors.ts';
import type { Kernel } from '../kernel.ts';
import type { AddressSpace } from '../vm.ts';
import { REDOX_QUEUE_PAGES } from './redox.ts';
import { flushFor, fullFlush, invlpgRange, sharedStep, spinUntil } from './shootdown.ts';

export function* redbearShootdown(
  k: Kernel,
  cpu: Cpu,
  space: AddressSpace,
  vpn: number,
  pages: number,
): KernelGen<void> {
  const state = k.tlb;
  state.stats.shootdowns++;
  if (pages <= REDOX_QUEUE_PAGES) yield* invlpgRange(k, cpu.id, space, vpn, pages);
  else yield* fullFlush(k, cpu.id);
  const req = { initiator: cpu.id, space, vpn, pages, gen: 0, pending: 0 };
  const targets: number[] = [];
  const servedBefore: number[] = [];
  for (let c = 0; c < k.board.cpus.length; c++) {
    if (c === cpu.id || space.usedBy[c] === 0) continue;
    yield sharedStep(k); // the packed word's Release store: no wait for the previous one (K3)
    if (k.hotplug.park.parked[c] === 1) continue; // went offline meanwhile: out of the set, TLB empty
    servedBefore[c] = state.redbearServed[c]!;
    state.redbearWord[c] = req;
    targets.push(c);
  }
  if (targets.length === 0) return;
  if (!state.dropNextIpi()) {
    state.stats.ipis += k.board.cpus.length - 2; // the shorthand reaches every other CPU
    yield sendIpi(IPI_ALL_BUT_SELF, VEC_IPI_TLB);
  }
  const unserved = () => targets.filter((c) => state.redbearServed[c]! <= servedBefore[c]!);
  yield* spinUntil(k, cpu, () => unserved().length === 0, unserved, redbearService, 0);
}

/** The TLB IPI on a receiver: swap the word (Acquire), flush its range, count the IPI served. */
export function* redbearService(k: Kernel, cpu: Cpu): KernelGen<void> {
  const state = k.tlb;
  if (state.redbearWord[cpu.id] === null) return;
  yield sharedStep(k);
  const req = state.redbearWord[cpu.id] ?? null;
  state.redbearWord[cpu.id] = null;
  if (req !== null && !state.skipNextFlush()) yield* flushFor(k, cpu, req, REDOX_QUEUE_PAGES);
  yield sharedStep(k);
  state.redbearServed[cpu.id]!++;
}

/** The IPI handler: serves the word, and counts the IPI served even when the word was empty. */
export function* redbearIpi(k: Kernel, cpu: Cpu): KernelGen<void> {
  if (k.tlb.redbearWord[cpu.id] !== null) {
    yield* redbearService(k, cpu);
    return;
  }
  yield sharedStep(k);
  k.tlb.redbearServed[cpu.id]!++;
}
