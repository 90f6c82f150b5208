/**
 * The kernel's own interrupt handlers, registered in its vector table (irq.ts): the PIT on the
 * BSP relays its tick to every other CPU by IPI 0x43 as Redox does (irq.rs, models.md §1.2);
 * the LAPIC timer, periodic or in TSC-deadline mode, ticks each CPU itself (tick.ts); the
 * improved kernel's hrtimer one-shot runs its expired timers (hrtimer.ts); the wakeup and TLB
 * IPIs only bring a CPU out of `hlt` (their EOI is the point); the switch IPI asks for a
 * reschedule.
 */
import type { Cpu } from '../hw/cpu.ts';
import { IPI_ALL_BUT_SELF, type KernelGen, sendIpi, spend } from '../hw/effects.ts';
import {
  VEC_HRTIMER,
  VEC_IPI_PIT,
  VEC_IPI_SWITCH,
  VEC_IPI_TLB,
  VEC_IPI_WAKEUP,
  VEC_LAPIC_TIMER,
  VEC_PIT,
} from '../hw/vectors.ts';
import { hrtimerInterrupt } from './hrtimer.ts';
import type { VectorTable } from './irq.ts';
import type { Kernel } from './kernel.ts';
import { tick } from './tick.ts';
import { tlbIpi } from './tlb/flush.ts';

/** Installs the timer and IPI handlers every kernel has. */
export function registerKernelVectors(table: VectorTable): void {
  table.register(VEC_PIT, 'pit', pitInterrupt);
  table.register(VEC_IPI_PIT, 'ipi-pit', (k, cpu) => tick(k, cpu));
  table.register(VEC_LAPIC_TIMER, 'lapic-timer', lapicTimerInterrupt);
  table.register(VEC_HRTIMER, 'hrtimer', hrtimerVector);
  table.register(VEC_IPI_WAKEUP, 'ipi-wakeup', eoiOnly);
  table.register(VEC_IPI_TLB, 'ipi-tlb', tlbIpi);
  table.register(VEC_IPI_SWITCH, 'ipi-switch', switchIpi);
}

function* pitInterrupt(k: Kernel, cpu: Cpu): KernelGen<void> {
  yield spend(k.board.costs.timerIrqNs);
  if (cpu.bus.cpus.length > 1) {
    if (k.hotplug.allOnline) yield sendIpi(IPI_ALL_BUT_SELF, VEC_IPI_PIT);
    else {
      // An offline CPU takes no tick (kernel/hotplug.ts): the relay goes to the online ones.
      for (let id = 0; id < k.cpus.length; id++)
        if (id !== cpu.id && k.hotplug.online[id] === 1) yield sendIpi(id, VEC_IPI_PIT);
    }
  }
  yield* tick(k, cpu);
}

function* lapicTimerInterrupt(k: Kernel, cpu: Cpu): KernelGen<void> {
  yield spend(k.board.costs.timerIrqNs);
  yield* tick(k, cpu);
}

/** The improved kernel's hrtimer one-shot (kernel/hrtimer.ts): runs the timers due. */
function* hrtimerVector(k: Kernel, cpu: Cpu): KernelGen<void> {
  yield spend(k.board.costs.timerIrqNs);
  yield* hrtimerInterrupt(k, cpu);
}

function eoiOnly(): null {
  return null; // the EOI (irqEntry) was the point: the CPU has left `hlt`
}

function switchIpi(k: Kernel, cpu: Cpu): null {
  k.needResched[cpu.id] = 1;
  return null;
}
