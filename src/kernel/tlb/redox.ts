/**
 * Redox's TLB shootdown, as its code behaves (models.md §6.3; `context/memory.rs` Flusher,
 * `percpu.rs`): up to 32 queued page actions, then a forced flush. A flush invalidates the
 * queued pages locally, then for each other CPU in the address space's `used_by`, one at a time,
 * waits while that CPU's `wants_tlb_shootdown` flag is still set, sets it and sends it the
 * targeted IPI 0x41; then spins until the ack counter reaches the number of targets. Receivers
 * always reload CR3 (a full flush) and increment the ack. No lazy mode (a CPU leaves `used_by`
 * at its next CR3 write), no timeout: a target that never answers hangs the initiator (K16),
 * which the run reports (shootdown.ts) instead of hanging.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, sendIpi } from '../../hw/effects.ts';
import { VEC_IPI_TLB } from '../../hw/vectors.ts';
import type { Kernel } from '../kernel.ts';
import type { AddressSpace } from '../vm.ts';
import { fullFlush, invlpgRange, sharedStep, spinUntil } from './shootdown.ts';
import type { FlushRequest } from './state.ts';

/** Flusher's queue of page actions: a full queue is flushed before the next action is queued. */
export const REDOX_QUEUE_PAGES = 32;

export function* redoxShootdown(
  k: Kernel,
  cpu: Cpu,
  space: AddressSpace,
  vpn: number,
  pages: number,
): KernelGen<void> {
  for (let done = 0; done < pages; done += REDOX_QUEUE_PAGES) {
    const n = Math.min(REDOX_QUEUE_PAGES, pages - done);
    k.tlb.stats.shootdowns++;
    yield* invlpgRange(k, cpu.id, space, vpn + done, n);
    yield* redoxRemote(k, cpu, { initiator: cpu.id, space, vpn: vpn + done, pages: n, gen: 0, pending: 0 });
  }
}

/** The remote half of one flush: flag, IPI, next target; then the acks. */
function* redoxRemote(k: Kernel, cpu: Cpu, req: FlushRequest): KernelGen<void> {
  const state = k.tlb;
  const targets: number[] = [];
  for (let c = 0; c < k.board.cpus.length; c++) {
    if (c === cpu.id || req.space.usedBy[c] === 0) continue;
    // Wait while the target's flag is still set (another initiator's shootdown not yet taken),
    // then set it: an atomic swap, so of two initiators that saw it clear only one sets it.
    const isClear = () => state.redoxFlag[c] === null;
    for (;;) {
      if (!(yield* spinUntil(k, cpu, isClear, () => [c], redoxService, 0))) return;
      yield sharedStep(k); // the swap
      if (isClear()) break;
    }
    if (k.hotplug.park.parked[c] === 1) continue; // went offline meanwhile: out of used_by, TLB empty
    state.redoxFlag[c] = req;
    req.pending++;
    targets.push(c);
    if (!state.dropNextIpi()) yield sendIpi(c, VEC_IPI_TLB);
  }
  const pendingTargets = () => targets.filter((c) => state.redoxFlag[c] === req);
  const waiting = () => (pendingTargets().length > 0 ? pendingTargets() : targets);
  yield* spinUntil(k, cpu, () => req.pending === 0, waiting, redoxService, 0);
}

/** The TLB IPI on a receiver, and what a spinning CPU does for its own flag: full flush, ack. */
export function* redoxService(k: Kernel, cpu: Cpu): KernelGen<void> {
  const state = k.tlb;
  if ((state.redoxFlag[cpu.id] ?? null) === null) return;
  yield sharedStep(k); // read the flag
  const req = state.redoxFlag[cpu.id] ?? null;
  if (req === null) return;
  state.redoxFlag[cpu.id] = null;
  const start = k.nowNs;
  if (!state.skipNextFlush()) yield* fullFlush(k, cpu.id);
  state.stats.targetFlushNs += k.nowNs - start;
  yield sharedStep(k); // the ack counter's increment
  req.pending--;
}
