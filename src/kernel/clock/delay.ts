/**
 * Busy-wait delays, the one place kernel code waits a given time without a timer (bring-up code
 * calls these; the boot model's INIT/SIPI waits are its users):
 *
 * - `udelay` (improved): Linux's udelay → __const_udelay → delay_tsc (arch/x86/lib/delay.c):
 *   the microseconds become TSC ticks through loops_per_jiffy, which with a TSC is tsc_khz · 1000
 *   / HZ, in Linux's fixed point (×0x10c7, i.e. 2^32 / 10^6 rounded up, then one more loop), and
 *   the CPU polls RDTSC with a PAUSE between reads until that many ticks have passed. It is as
 *   exact as the calibration: the ticks are this CPU's true TSC rate, the kHz the BSP's estimate.
 * - `spinWait` (baseline): Redox has no calibrated delay; its bring-up waits are spin counts of
 *   PAUSE (Rust's spin_loop) (models.md §6.2: Red Bear's "~100k spins"), so how long one lasts
 *   depends on the CPU's current core clock (K7, K15): the same count is longer at a lower P-state.
 */
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { pauseNs, rdtsc } from './io.ts';

const HZ = 1000n;
/** 2^32 / 10^6, rounded up (include/asm-generic/delay.h's udelay constant). */
const UDELAY_MULT = 0x10c7n;

/** The TSC ticks udelay(us) waits for with `tscKhz` calibrated (what __const_udelay passes to __delay). */
export function udelayTicks(us: number, tscKhz: number): number {
  const lpj = (BigInt(Math.floor(tscKhz)) * 1000n) / HZ;
  const xloops = BigInt(us) * UDELAY_MULT * 4n;
  return Number((xloops * ((lpj * HZ) / 4n)) >> 32n) + 1;
}

/** udelay(us) on `cpu`: needs the TSC calibrated (k.clock.tscKhz > 0), as delay_tsc does. */
export function* udelay(k: Kernel, cpu: Cpu, us: number): KernelGen<void> {
  const khz = k.clock.tscKhz;
  if (!(khz > 0)) throw new Error('udelay: the TSC is not calibrated (run a calibration, or use spinWait)');
  const ticks = udelayTicks(us, khz);
  const start = yield* rdtsc(k, cpu);
  while ((yield* rdtsc(k, cpu)) - start < ticks) yield spend(pauseNs(k, cpu));
}

/** Redox's spin count: `iterations` PAUSEs at the CPU's current core clock, as one stretch of time. */
export function* spinWait(k: Kernel, cpu: Cpu, iterations: number): KernelGen<void> {
  if (iterations <= 0) return;
  yield spend(Math.max(1, Math.round((iterations * k.board.costs.pauseCycles) / cpu.cyclesPerNs)));
}
