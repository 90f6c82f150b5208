/**
 * What the kernel knows of its clocks (HW-12, HW-15), and the boot step that learns it: on the
 * BSP, with interrupts off as Linux's tsc_init and calibrate_APIC_clock run, the TSC calibration
 * of the configured method (tsc-calibrate.ts), then the LAPIC timer against the PIT
 * (lapic-calibrate.ts), then a udelay self-check timed against the true clock. The errors are
 * against the true rates the hardware has (hw/tsc.ts), in ppm. The Redox method learns nothing:
 * its kernel has no calibration (0 kHz), so udelay is unavailable and waits are spin counts.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { udelay } from './delay.ts';
import { APIC_DIVISOR, calibrateLapic } from './lapic-calibrate.ts';
import { calibrateTsc, type TscCalibration } from './tsc-calibrate.ts';

/** The delay the self-check asks for: 1 ms, the order of Linux's SIPI and INIT waits. */
export const UDELAY_CHECK_US = 1000;

export class ClockState {
  /** The calibration run at boot, or null when the machine starts with none (the default). */
  method: TscCalibration | null = null;
  /** The TSC frequency the kernel believes (tsc_khz); 0 when unknown. */
  tscKhz = 0;
  /** The line Linux would log, and the windows or steps it took. */
  how = '';
  rounds = 0;
  /** Bus clocks per 1 ms jiffy (lapic_timer_period); 0 when not calibrated. */
  lapicPeriodPerJiffy = 0;
  /** When the calibration started and how long it took, ns. */
  startNs = 0;
  calibrationNs = 0;
  /** How long the udelay(UDELAY_CHECK_US) self-check really took, ns (0: not run). */
  udelayCheckNs = 0;
}

/** The boot step: calibrate on `cpu` (the BSP), record what was found. */
export function* calibrateClocks(k: Kernel, cpu: Cpu, method: TscCalibration): KernelGen<void> {
  const clock = k.clock;
  clock.method = method;
  clock.startNs = k.nowNs;
  const tsc = yield* calibrateTsc(k, cpu, method);
  clock.tscKhz = tsc.khz;
  clock.how = tsc.how;
  clock.rounds = tsc.rounds;
  if (method !== 'redox') clock.lapicPeriodPerJiffy = (yield* calibrateLapic(k, cpu)).periodPerJiffy;
  clock.calibrationNs = k.nowNs - clock.startNs;
  yield* programLapicTick(k);
  if (clock.tscKhz > 0) {
    const before = k.nowNs;
    yield* udelay(k, cpu, UDELAY_CHECK_US);
    clock.udelayCheckNs = k.nowNs - before;
  }
}

/**
 * The periodic tick from the calibration, as Linux's lapic_timer_set_periodic writes it
 * (`__setup_APIC_LVTT(lapic_timer_period, 0, 1)` in arch/x86/kernel/apic/apic.c): TMICT =
 * lapic_timer_period / APIC_DIVISOR with divide-by-16, truncated, so one period is that many
 * times 16 bus clocks. Every CPU gets the BSP's figure (setup_secondary_APIC_clock reuses it), so
 * a CPU whose crystal runs fast ticks early. Uncalibrated (Redox, 0) leaves the nominal period.
 */
function* programLapicTick(k: Kernel): KernelGen<void> {
  const periods = k.lapicPeriods;
  const perJiffy = k.clock.lapicPeriodPerJiffy;
  if (periods === null || perJiffy === 0) return;
  const jiffyBusClocks = (perJiffy * k.tickPeriodNs) / 1e6; // lapic_timer_period is per 1 ms jiffy
  const busClocks = Math.floor(jiffyBusClocks / APIC_DIVISOR) * APIC_DIVISOR;
  yield spend(k.board.costs.lapicRegNs); // the BSP's own TMICT write
  // Each AP writes its own TMICT when it comes up; the machine's APs already tick, so they take
  // the count here, uncharged.
  for (const c of k.cpus) periods.program(c.id, busClocks);
}

/** (measured − true) / true, in ppm. */
export function errorPpm(measured: number, truth: number): number {
  return ((measured - truth) / truth) * 1e6;
}

/** The calibrated TSC kHz against `cpuId`'s true rate (Linux uses the BSP's figure on every CPU). */
export function tscErrorPpm(k: Kernel, cpuId: number): number {
  return errorPpm(k.clock.tscKhz, k.board.tsc.trueKhz(cpuId));
}

/** The calibrated LAPIC period against the BSP's true bus clocks per jiffy. */
export function lapicErrorPpm(k: Kernel): number {
  return errorPpm(k.clock.lapicPeriodPerJiffy, k.board.tsc.lapicBusHz(0) / 1000);
}

/** The self-check's delay against the microseconds asked for. */
export function udelayErrorPpm(k: Kernel): number {
  return errorPpm(k.clock.udelayCheckNs, UDELAY_CHECK_US * 1000);
}
