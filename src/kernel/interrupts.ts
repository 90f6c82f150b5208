/**
 * Interrupt handlers: the PIT on the BSP relays its tick to every other CPU by IPI 0x43 as Redox
 * does (irq.rs, models.md §1.2); the LAPIC timer, periodic or in TSC-deadline mode, ticks each CPU
 * itself (tick.ts); the improved kernel's hrtimer one-shot runs its expired timers (hrtimer.ts);
 * the wakeup IPI only brings a CPU out of `hlt`; the switch IPI asks for a reschedule.
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
import type { Kernel } from './kernel.ts';
import { tick } from './tick.ts';

export function* onInterrupt(k: Kernel, cpu: Cpu, vector: number): KernelGen<void> {
  k.stats.interrupts++;
  switch (vector) {
    case VEC_PIT:
      yield spend(k.board.costs.timerIrqNs);
      if (cpu.bus.cpus.length > 1) yield sendIpi(IPI_ALL_BUT_SELF, VEC_IPI_PIT);
      yield* tick(k, cpu);
      return;
    case VEC_IPI_PIT:
      yield* tick(k, cpu);
      return;
    case VEC_LAPIC_TIMER:
      yield spend(k.board.costs.timerIrqNs);
      yield* tick(k, cpu);
      return;
    case VEC_HRTIMER:
      yield spend(k.board.costs.timerIrqNs);
      yield* hrtimerInterrupt(k, cpu);
      return;
    case VEC_IPI_WAKEUP:
    case VEC_IPI_TLB:
      return; // EOI only: the point was to leave `hlt`
    case VEC_IPI_SWITCH:
      k.needResched[cpu.id] = 1;
      return;
    default:
      k.stats.spuriousInterrupts++;
  }
}
