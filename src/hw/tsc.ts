/**
 * The time-stamp counters and the clocks derived from the same crystal (HW-15). Each CPU's TSC
 * counts at its true rate, the nominal clock with that CPU's boot-time skew (board.ts draws it);
 * the TSC is invariant (CPUID 0x8000_0007 EDX bit 8, models-2.md §12.1): P-states change the core
 * clock that compute runs on (pstate.ts), never the TSC. The LAPIC timer counts the bus clock of
 * the same crystal, so it carries the same skew. What a kernel believes these rates to be it must
 * measure (kernel/clock/); the true rates here are what its error is measured against.
 */

/** The LAPIC timer's input clock before its divider: a 100 MHz bus clock (estimate; Skylake and later use a 24 MHz crystal, CPUID 0x15). */
export const LAPIC_BUS_HZ = 100_000_000;

export class TscBank {
  /** TSC ticks per ns of each CPU (its true, skewed rate); fixed at boot. */
  readonly cyclesPerNs: Float64Array;
  /** The nominal rate the skew is drawn around, in ticks per ns. */
  readonly nominalCyclesPerNs: number = 0;

  constructor(cyclesPerNs: readonly number[], nominalCyclesPerNs: number) {
    this.cyclesPerNs = Float64Array.from(cyclesPerNs);
    this.nominalCyclesPerNs = nominalCyclesPerNs;
  }

  /** RDTSC on `cpuId` at `nowNs`: the counter started at 0 at power-on (whole ticks). */
  read(cpuId: number, nowNs: number): number {
    return Math.floor(nowNs * this.cyclesPerNs[cpuId]!);
  }

  /** The true TSC frequency of `cpuId` in kHz (what a perfect calibration would find). */
  trueKhz(cpuId: number): number {
    return this.cyclesPerNs[cpuId]! * 1e6;
  }

  /** The true LAPIC timer input rate of `cpuId` in Hz: the bus clock with the crystal's skew. */
  lapicBusHz(cpuId: number): number {
    return LAPIC_BUS_HZ * (this.cyclesPerNs[cpuId]! / this.nominalCyclesPerNs);
  }
}
