/**
 * The last steps of a CPU offline, on the dying CPU itself once its offline has finished and it
 * runs its idle context (issue 18; kernel/hotplug.ts): it leaves every address space's CPU set
 * first, then stops taking interrupts, so a TLB shootdown never waits for a CPU that cannot
 * answer and an IPI sent to it is not delivered. In the outline of Linux (x86):
 *
 * 1. fixup_irqs' `mdelay(1)` (arch/x86/kernel/irq.c): when the offline moved device vectors, an
 *    interrupt already sent to the old (CPU, vector) may still be in flight; the dying CPU waits
 *    1 ms after the move, then takes what is pending in its IRR (sent on by
 *    devio/hotplug-vectors.ts `forwardMovedInterrupt`, fixup_irqs' retrigger). Linux spins in
 *    stop_machine there with every other CPU stopped too; only the dying CPU's wait is modelled.
 * 2. idle_task_exit and reset_lazy_tlbstate (kernel/sched/core.c; arch/x86/kernel/smpboot.c
 *    play_dead_common): it switches to the kernel's page tables (init_mm), so it leaves the CPU
 *    set (mm_cpumask, Redox's used_by) of every address space, and its TLB holds no user
 *    translation (flushed whole: the next space it loads starts cold, as after
 *    initialize_tlbstate_and_flush at bring-up).
 * 3. smpcfd_dying_cpu (kernel/smp.c): flush requests other CPUs queued for it before it left
 *    their sets are answered without waiting for the IPIs (tlb/flush.ts).
 * 4. apic_soft_disable (arch/x86/kernel/smpboot.c native_cpu_disable: "Disable the local APIC.
 *    Otherwise IPI broadcasts will reach it"): from now on a fixed interrupt sets no IRR bit
 *    (hw/lapic.ts `softwareEnabled`); an IPI to the CPU, targeted or by shorthand, is dropped.
 *
 * `cpu online` (hotplug.ts) undoes 4 before anything is sent to the CPU (INIT/SIPI and
 * setup_local_APIC precede set_cpu_online in start_secondary).
 */
import { TraceKind } from '../abi/trace.ts';
import type { Cpu } from '../hw/cpu.ts';
import { IRQ_WINDOW, type KernelGen, spend } from '../hw/effects.ts';
import type { Kernel } from './kernel.ts';
import { answerPendingForOffline } from './tlb/flush.ts';

/** fixup_irqs' wait for interrupts in flight to a moved vector (mdelay(1)). */
export const FIXUP_IRQS_DELAY_NS = 1_000_000;

/** The per-CPU park state (part of HotplugState). */
export class ParkState {
  /** 1 while the CPU is parked: out of every address space's set, LAPIC software-disabled. */
  readonly parked: Uint8Array;
  /** Until when the dying CPU waits before parking (fixup_irqs' mdelay after a vector move). */
  readonly fixupUntilNs: Float64Array;
  /** Parks done, address-space sets left and flush requests answered by parking CPUs. */
  parks = 0;
  spacesLeft = 0;
  flushesAnswered = 0;

  constructor(cpus: number) {
    this.parked = new Uint8Array(cpus);
    this.fixupUntilNs = new Float64Array(cpus);
  }
}

/** Whether `cpuId` has finished going offline and is not parked yet (its idle loop parks it). */
export function mustPark(k: Kernel, cpuId: number): boolean {
  const hp = k.hotplug;
  return hp.online[cpuId] === 0 && hp.dying[cpuId] === 0 && hp.park.parked[cpuId] === 0;
}

/** Steps 1-4 of the header, run by the dying CPU in its idle context. */
export function* playDead(k: Kernel, cpu: Cpu): KernelGen<void> {
  const park = k.hotplug.park;
  const waitNs = park.fixupUntilNs[cpu.id]! - k.nowNs;
  if (waitNs > 0) {
    yield spend(waitNs);
    yield IRQ_WINDOW; // what reached the old vectors meanwhile is in the IRR: taken, sent on
    if (!mustPark(k, cpu.id)) return; // brought back online during the wait
  }
  const left = leaveAddressSpaces(k, cpu.id);
  park.flushesAnswered += yield* answerPendingForOffline(k, cpu);
  cpu.lapic.softwareEnabled = false;
  park.parked[cpu.id] = 1;
  park.parks++;
  park.spacesLeft += left;
  k.traceDecision(TraceKind.CpuParked, cpu.id, left);
  yield spend(k.board.costs.tlbFlushNs);
}

/** idle_task_exit: the CPU loads the kernel's tables, leaves every space's set, drops its TLB. */
function leaveAddressSpaces(k: Kernel, cpuId: number): number {
  let left = 0;
  for (const p of k.processes.values()) {
    if (p.vm.usedBy[cpuId] === 0) continue;
    p.vm.usedBy[cpuId] = 0;
    left++;
  }
  const loaded = k.mmu.loaded[cpuId] ?? null;
  if (loaded !== null && loaded.usedBy[cpuId] === 1) {
    loaded.usedBy[cpuId] = 0; // a space no process lists any more (its owner reaped)
    left++;
  }
  k.mmu.loaded[cpuId] = null;
  k.mmu.lazy[cpuId] = 0;
  k.percpu.loadedAsid[cpuId] = 0; // no user space in CR3: the next switch in loads one
  k.mmu.tlbs[cpuId]?.flushAll();
  k.mmu.fullFlushes++;
  return left;
}

/** `cpu online`: the CPU's LAPIC is enabled again before anything is sent to it. */
export function unpark(k: Kernel, cpuId: number): void {
  const park = k.hotplug.park;
  park.parked[cpuId] = 0;
  park.fixupUntilNs[cpuId] = 0;
  k.cpus[cpuId]!.lapic.softwareEnabled = true;
}
