/**
 * The waits of bring-up code: Redox's spin-count loops, whose length in time is the iteration
 * count times a PAUSE's latency at this CPU's clock (K7, K15: the same count is a different time
 * on another CPU), and Linux's udelay over the kernel's TSC frequency estimate.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import { load } from './words.ts';

/** Iterations between two loads of the spun-on word: keeps a 10^8-iteration wait to 4·10^5 loads. */
const SPIN_CHUNK = 256;

/**
 * `while !done(word) { pause }`, at most `maxIterations` (0: forever, as upstream Redox spins).
 * Returns whether the word came good.
 */
export function* spinUntil(
  cpu: Cpu,
  addr: number,
  done: (value: number) => boolean,
  maxIterations: number,
): KernelGen<boolean> {
  const chunkNs = Math.max(1, Math.round((SPIN_CHUNK * cpu.bus.costs.spinPauseCycles) / cpu.cyclesPerNs));
  for (let spun = 0; maxIterations === 0 || spun < maxIterations; spun += SPIN_CHUNK) {
    if (done((yield load(addr)) as number)) return true;
    yield spend(chunkNs);
  }
  return false;
}

/**
 * The kernel's TSC frequency estimate, kHz: today CPUID leaf 0x15's nominal figure. The one place
 * a calibrated estimate (issue 16's clocks work: pit_calibrate_tsc) takes over.
 */
export function tscKhzEstimate(cpu: Cpu): number {
  return cpu.cpuid.tscKhz;
}

/**
 * udelay(us): spin until the TSC has advanced us × estimate / 1000 cycles. The TSC runs at its
 * nominal rate (invariant TSC), so the delay is off by exactly the estimate's error.
 */
export function udelay(cpu: Cpu, us: number): KernelGen<void> {
  const cycles = (us * tscKhzEstimate(cpu)) / 1000;
  return (function* () {
    yield spend(Math.round((cycles * 1e6) / cpu.cpuid.tscKhz));
  })();
}

/** Polls `addr` every `stepUs` (udelay) until `done` or `timeoutUs` passed: Linux's waits. */
export function* pollUntil(
  cpu: Cpu,
  addr: number,
  done: (value: number) => boolean,
  timeoutUs: number,
  stepUs: number,
): KernelGen<boolean> {
  for (let waited = 0; waited <= timeoutUs; waited += stepUs) {
    if (done((yield load(addr)) as number)) return true;
    yield* udelay(cpu, stepUs);
  }
  return false;
}
