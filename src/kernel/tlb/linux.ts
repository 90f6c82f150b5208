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
import { MemOrder } from '../../abi/effects.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, sendIpi } from '../../hw/effects.ts';
import { VEC_IPI_TLB } from '../../hw/vectors.ts';
import type { Kernel } from '../kernel.ts';
import type { AddressSpace } from '../vm.ts';
import { flushFor, fullFlush, invlpgRange } from './shootdown.ts';
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
  const { port, layout } = state;
  state.stats.shootdowns++;
  const gen = yield* port.bumpGen(k, space);
  if (k.mmu.loaded[cpu.id] === space) {
    // flush_tlb_func run locally: the range only when this CPU was exactly one generation behind;
    // a request another CPU queued here and not yet served (cpuGen older still) needs everything,
    // or marking this CPU up to date would make that request's flush a no-op when it arrives.
    const ranged = space.cpuGen[cpu.id] === gen - 1 && pages <= TLB_SINGLE_PAGE_FLUSH_CEILING;
    const upTo = ranged ? gen : yield* port.readGen(k, space);
    if (ranged) yield* invlpgRange(k, cpu.id, space, vpn, pages);
    else yield* fullFlush(k, cpu.id);
    space.cpuGen[cpu.id] = Math.max(space.cpuGen[cpu.id]!, upTo);
  }
  const req: FlushRequest = { initiator: cpu.id, space, vpn, pages, gen, pending: 0 };
  const targets: number[] = [];
  const csds: number[] = [];
  for (let c = 0; c < k.board.cpus.length; c++) {
    if (c === cpu.id || space.usedBy[c] === 0 || k.mmu.lazy[c] === 1) continue;
    // csd_lock, the info, then llist_add of the csd to the target's call-function queue
    // (smp_call_function_many_cond). csd_lock_wait finds the csd unlocked (this CPU waited for
    // its last use), unless the timeout (K16's improvement) gave up on it: then a spare.
    let csd = layout.csd(cpu.id, c);
    if ((yield* port.peek(k, layout.csdFlags(csd), MemOrder.Acquire)) !== 0) csd = state.spareCsd();
    state.csdInfo.set(csd, req);
    yield* port.poke(k, layout.csdFlags(csd), 1, MemOrder.Relaxed);
    yield* port.llistAdd(k, layout.queue(c), csd, layout.csdNext(csd));
    // Went offline meanwhile (kernel/hotplug-park.ts): out of the set, its TLB empty, so not
    // waited for; the csd stays queued and is served when the CPU comes back.
    if (k.hotplug?.park.parked[c] === 1) continue;
    targets.push(c);
    csds.push(csd);
  }
  for (const c of targets) if (!state.dropNextIpi()) yield sendIpi(c, VEC_IPI_TLB);
  const flags = csds.map((csd) => layout.csdFlags(csd));
  // csd_lock_wait on each: the wait ends when every target has unlocked its csd.
  yield* port.wait(k, cpu, {
    addrs: flags,
    until: (values) => values.every((v) => v === 0),
    // Read on the machine only (a timeout's log, a hang's message), so the host's words.
    waitingOn: () => targets.filter((_, i) => (state.words.get(flags[i]!) ?? 0) !== 0),
    service: { addr: layout.queue(cpu.id), run: linuxService },
    timeoutNs: state.options.timeoutNs,
  });
}

/**
 * The call-function IPI on a target, and a waiting CPU's own queue
 * (flush_smp_call_function_queue): take the whole list (llist_del_all), oldest first
 * (llist_reverse_order), run each csd's flush_tlb_func and unlock it (csd_unlock: a
 * store-release of its flags), until the queue stays empty.
 */
export function* linuxService(k: Kernel, cpu: Cpu): KernelGen<void> {
  const state = k.tlb;
  const { port, layout } = state;
  const head = layout.queue(cpu.id);
  while ((yield* port.peek(k, head, MemOrder.Relaxed)) !== 0) {
    const batch: number[] = [];
    for (let csd = yield* port.xchg(k, head, 0); csd !== 0; ) {
      batch.push(csd);
      csd = yield* port.peek(k, layout.csdNext(csd), MemOrder.Relaxed);
    }
    batch.reverse();
    for (const [n, csd] of batch.entries()) {
      // The first csd's step was the list's exchange; each other one reads its flags.
      if (n > 0) yield* port.load(k, layout.csdFlags(csd), MemOrder.Relaxed);
      if (!state.skipNextFlush()) yield* flushTlbFunc(k, cpu, state.csdInfo.get(csd)!);
      yield* port.store(k, layout.csdFlags(csd), 0, MemOrder.Release);
    }
  }
}

/** flush_tlb_func: the range when one generation behind, else everything; then up to date. */
function* flushTlbFunc(k: Kernel, cpu: Cpu, req: FlushRequest): KernelGen<void> {
  const { port } = k.tlb;
  const space = req.space;
  const local = space.cpuGen[cpu.id]!;
  if (local >= (yield* port.readGen(k, space))) return; // an earlier full flush already covered it
  const ranged = local === req.gen - 1 && req.pages <= TLB_SINGLE_PAGE_FLUSH_CEILING;
  yield* flushFor(k, cpu, req, ranged ? TLB_SINGLE_PAGE_FLUSH_CEILING : 0);
  // As this model has it: the generation read after the flush (Linux's flush_tlb_func uses the one
  // read at its start, mm_tlb_gen); kept so that no seed's trace moves.
  space.cpuGen[cpu.id] = ranged ? req.gen : yield* port.readGen(k, space);
}
