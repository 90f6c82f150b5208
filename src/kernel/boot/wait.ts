/**
 * The waits of bring-up code: Redox's spin-count loops, whose length in time is the iteration
 * count times a PAUSE's latency at this CPU's clock (K7, K15: the same count is a different time
 * on another CPU), and Linux's udelay over the kernel's TSC frequency estimate (the calibrated one under `[clock]`).
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import { udelayTicks } from '../clock/delay.ts';
import type { Kernel } from '../kernel.ts';
import { spinLoad } from './words.ts';

/** Iterations between two loads of the spun-on word: keeps a 10^8-iteration wait to 4·10^5 loads. */
const SPIN_CHUNK = 256;

/** Every bit of a word: a wait for the word to be non-zero. */
export const ANY_BIT = 0xffff_ffff;

/**
 * `while !(word & mask) { pause }`, at most `maxIterations` (0: forever, as upstream Redox
 * spins). Returns whether the word came good. Each load is a `spinLoad` (words.ts): the loop
 * reads nothing but `mask`'s bits, which lets the explorer fold it into one wait.
 */
export function* spinUntil(cpu: Cpu, addr: number, mask: number, maxIterations: number): KernelGen<boolean> {
  const chunkNs = Math.max(1, Math.round((SPIN_CHUNK * cpu.bus.costs.spinPauseCycles) / cpu.cyclesPerNs));
  for (let spun = 0; maxIterations === 0 || spun < maxIterations; spun += SPIN_CHUNK) {
    if ((((yield spinLoad(addr, mask)) as number) & mask) !== 0) return true;
    yield spend(chunkNs);
  }
  return false;
}

/**
 * The kernel's TSC frequency estimate, kHz: the calibrated figure when the scenario has `[clock]`
 * (k.clock.tscKhz, kernel/clock/: the BSP calibrates before the APs start, as Linux's tsc_init
 * precedes smp_init), else CPUID leaf 0x15's nominal figure.
 */
export function tscKhzEstimate(k: Kernel, cpu: Cpu): number {
  return k.clock.tscKhz > 0 ? k.clock.tscKhz : cpu.cpuid.tscKhz;
}

/**
 * udelay(us). Calibrated (`[clock]`): spin until this CPU's TSC, at its true skewed rate, has
 * advanced the ticks Linux's __const_udelay asks for (clock/delay.ts udelayTicks: us × the
 * calibrated kHz in its fixed point), so the delay is off by the calibration's error; one stretch
 * of time rather than clock/delay.ts's RDTSC polls (a 10 s callin timeout would be 10^8 of them).
 * Uncalibrated: the nominal CPUID figure over a nominal-rate TSC, so exactly `us`, as before.
 */
export function udelay(k: Kernel, cpu: Cpu, us: number): KernelGen<void> {
  const calibrated = k.clock.tscKhz > 0;
  const ns =
    us <= 0
      ? 0
      : calibrated
        ? (udelayTicks(us, k.clock.tscKhz) * 1e6) / k.board.tsc.trueKhz(cpu.id)
        : (((us * tscKhzEstimate(k, cpu)) / 1000) * 1e6) / cpu.cpuid.tscKhz;
  return (function* () {
    yield spend(Math.round(ns));
  })();
}

/** Polls `addr` every `stepUs` (udelay) until `word & mask` or `timeoutUs` passed: Linux's waits. */
export function* pollUntil(
  k: Kernel,
  cpu: Cpu,
  addr: number,
  mask: number,
  timeoutUs: number,
  stepUs: number,
): KernelGen<boolean> {
  for (let waited = 0; waited <= timeoutUs; waited += stepUs) {
    if ((((yield spinLoad(addr, mask)) as number) & mask) !== 0) return true;
    yield* udelay(k, cpu, stepUs);
  }
  return false;
}
