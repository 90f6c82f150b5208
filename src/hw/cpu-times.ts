/**
 * The board's table of CPU times: one row of CPU_TIME_FIELDS doubles per CPU, in one
 * Float64Array the board creates and every Cpu indexes in place (cpu.ts). A row holds a CPU's
 * accounting (user, kernel, spin, idle ns) and the times of its effect and wait in progress.
 *
 * Why a table and not object fields: times pass 2^30 ns within about a second, past V8's small
 * integers, so as fields each was a HeapNumber box of its own, and at 256 CPUs a compute
 * burst's resume touched four boxes, each a cache line to miss. A row is one 64-byte line. The
 * Cpu indexes it in place (`t[r + Time.UserNs]`): private accessors over it cost more
 * instructions than the boxed fields did. Figures: docs/design.md, "A CPU's times in one row"
 * (issue 14).
 */

/** The fields of a CPU's row. An enum, so the bundler inlines each member as a number. */
export enum Time {
  UserNs = 0,
  KernelNs = 1,
  EffectStartNs = 2,
  EffectEndNs = 3,
  WaitSinceNs = 4,
  SpinNs = 5,
  IdleNs = 6,
  /** Of the compute effect in progress, the ns that remote memory added. */
  EffectRemoteNs = 7,
}

/** Doubles in a CPU's row: 64 bytes, one cache line. */
export const CPU_TIME_FIELDS = 8;

/** A zeroed table with a row for each of `cpuCount` CPUs. */
export function cpuTimeTable(cpuCount: number): Float64Array {
  return new Float64Array(cpuCount * CPU_TIME_FIELDS);
}
