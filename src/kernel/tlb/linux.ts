/**
 * Linux's TLB shootdown (arch/x86/mm/tlb.c flush_tlb_mm_range, flush_tlb_func,
 * native_flush_tlb_multi; Documentation/arch/x86/tlb.rst; models.md §6.3):
 *
 * 1. bump the mm's flush generation (inc_mm_tlb_gen);
 * 2. up to tlb_single_page_flush_ceiling = 33 pages, INVLPG each, else one full flush;
 * 3. flush locally when this CPU has the mm loaded (the same one-generation test as a target);
 * 4. queue the request for every other CPU in mm_cpumask that is not in lazy-TLB mode and send
 *    them the call-function IPI (one multicast: a send per target here, at ipiSendNs each);
 *    lazy CPUs (running their idle context with the mm still in CR3) are skipped and catch up
 *    through the generation at their next switch to the mm (mmu.ts catchUp);
 * 5. the initiator waits for every target's completion.
 *
 * A target flushes the range when it is exactly one generation behind, else everything
 * (flush_tlb_func's f->new_tlb_gen == local_tlb_gen + 1 test). The optional timeout is this
 * model's improvement for K16 (Linux waits for ever): log the CPUs that did not answer, go on.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, sendIpi } from '../../hw/effects.ts';
import { VEC_IPI_TLB } from '../../hw/vectors.ts';
import type { Kernel } from '../kernel.ts';
import type { AddressSpace } from '../vm.ts';
import { flushFor, fullFlush, invlpgRange, sharedStep, spinUntil } from './shootdown.ts';
import type { FlushRequest } from './state.ts';

/** arch/x86/mm/tlb.c: `tlb_single_page_flush_ceiling __read_mostly = 33`. */
export const TLB_SINGLE_PAGE_FLUSH_CEILING = 33;

export function* linuxShootdown(
  k: Kernel,
  cpu: Cpu,
  space: AddressSpace,
  vpn: number,
  pages: number,
): KernelGen<void> {
  const state = k.tlb;
  state.stats.shootdowns++;
  const gen = ++space.tlbGen;
  if (k.mmu.loaded[cpu.id] === space) {
    // flush_tlb_func run locally: the range only when this CPU was exactly one generation behind;
    // a request another CPU queued here and not yet served (cpuGen older still) needs everything,
    // or marking this CPU up to date would make that request's flush a no-op when it arrives.
    const ranged = space.cpuGen[cpu.id] === gen - 1 && pages <= TLB_SINGLE_PAGE_FLUSH_CEILING;
    const upTo = ranged ? gen : space.tlbGen;
    if (ranged) yield* invlpgRange(k, cpu.id, space, vpn, pages);
    else yield* fullFlush(k, cpu.id);
    space.cpuGen[cpu.id] = Math.max(space.cpuGen[cpu.id]!, upTo);
  }
  const req: FlushRequest = { initiator: cpu.id, space, vpn, pages, gen, pending: 0 };
  const targets: number[] = [];
  for (let c = 0; c < k.board.cpus.length; c++) {
    if (c === cpu.id || space.usedBy[c] === 0 || k.mmu.lazy[c] === 1) continue;
    yield sharedStep(k); // llist_add of the csd to the target's call-function queue
    if (k.hotplug.park.parked[c] === 1) continue; // went offline meanwhile: out of the set, TLB empty
    state.linuxQueue[c]!.push(req);
    req.pending++;
    targets.push(c);
  }
  for (const c of targets) if (!state.dropNextIpi()) yield sendIpi(c, VEC_IPI_TLB);
  const unanswered = () => targets.filter((c) => state.linuxQueue[c]!.includes(req));
  yield* spinUntil(k, cpu, () => req.pending === 0, unanswered, linuxService, state.options.timeoutNs);
}

/** The call-function IPI on a target, and a waiting CPU's own queue: flush_tlb_func per request. */
export function* linuxService(k: Kernel, cpu: Cpu): KernelGen<void> {
  const state = k.tlb;
  const queue = state.linuxQueue[cpu.id]!;
  while (queue.length > 0) {
    yield sharedStep(k); // llist_del_all, then each csd
    const req = queue.shift()!;
    if (!state.skipNextFlush()) yield* flushTlbFunc(k, cpu, req);
    yield sharedStep(k); // csd_unlock: the initiator's wait ends when all are unlocked
    req.pending--;
  }
}

/** flush_tlb_func: the range when one generation behind, else everything; then up to date. */
function* flushTlbFunc(k: Kernel, cpu: Cpu, req: FlushRequest): KernelGen<void> {
  const space = req.space;
  const local = space.cpuGen[cpu.id]!;
  if (local >= space.tlbGen) return; // an earlier full flush already covered it
  const ranged = local === req.gen - 1 && req.pages <= TLB_SINGLE_PAGE_FLUSH_CEILING;
  yield* flushFor(k, cpu, req, ranged ? TLB_SINGLE_PAGE_FLUSH_CEILING : 0);
  space.cpuGen[cpu.id] = ranged ? req.gen : space.tlbGen;
}
