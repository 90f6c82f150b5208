/**
 * The LAPIC timer calibrated against the PIT (HW-12, HW-15), after Linux's calibrate_APIC_clock
 * (arch/x86/kernel/apic/apic.c): the timer is started one-shot with its LVT masked, divide by 16
 * (APIC_DIVISOR) and the largest initial count, and its count is read at both ends of a PIT
 * window; lapic_timer_period = Δcount · APIC_DIVISOR / jiffies, the bus clocks in one jiffy
 * (HZ = 1000). Linux's window is LAPIC_CAL_LOOPS = HZ/10 jiffies (100 ms) of the global clock
 * event's ticks (lapic_cal_handler); here it is one 50 ms window of the PIT's channel 2 (the same
 * PIT crystal, polled as the TSC calibration polls it, the longest window a 16-bit count gives),
 * because the sim's PIT tick belongs to the running kernel. The TSC is read at both ends too, as
 * Linux does to cross-check the result.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import { NMI_SC_OUT2, PORT_NMI_SC } from '../../hw/pit-channel2.ts';
import type { Kernel } from '../kernel.ts';
import { inb, rdtsc } from './io.ts';
import { CAL2_MS, calLatch, loadPitChannel2 } from './pit-calibrate.ts';

export const APIC_DIVISOR = 16;
/** The window: CAL2_MS (50 ms) of PIT channel 2, i.e. 50 jiffies at HZ = 1000. */
export const LAPIC_CAL_MS = CAL2_MS;

export interface LapicCalibration {
  /** lapic_timer_period: bus clocks per jiffy (1 ms). */
  periodPerJiffy: number;
  /** The TSC ticks the same window took, for the cross-check. */
  tscDelta: number;
}

export function* calibrateLapic(k: Kernel, cpu: Cpu): KernelGen<LapicCalibration> {
  const lapic = k.board.lapicCounter;
  yield spend(k.board.costs.lapicRegNs);
  lapic.setDivide(cpu.id, APIC_DIVISOR);
  yield spend(k.board.costs.lapicRegNs);
  lapic.setInitial(cpu.id, 0xffff_ffff, k.nowNs);
  yield* loadPitChannel2(k, calLatch(LAPIC_CAL_MS));
  yield spend(k.board.costs.lapicRegNs);
  const start = lapic.current(cpu.id, k.nowNs);
  const tscStart = yield* rdtsc(k, cpu);
  while (((yield* inb(k, PORT_NMI_SC)) & NMI_SC_OUT2) === 0) {
    // polls OUT2 until the window ends, as pit_calibrate_tsc does
  }
  yield spend(k.board.costs.lapicRegNs);
  const end = lapic.current(cpu.id, k.nowNs);
  const tscDelta = (yield* rdtsc(k, cpu)) - tscStart;
  return { periodPerJiffy: Math.floor(((start - end) * APIC_DIVISOR) / LAPIC_CAL_MS), tscDelta };
}
