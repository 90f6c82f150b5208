/**
 * The cpufreq governors' decisions (HW-15), as pure functions of what one sample saw, after Linux
 * (models-2.md §12.3):
 *
 * - performance / powersave pin policy->max / policy->min (cpufreq_performance.c, _powersave.c);
 * - ondemand (drivers/cpufreq/cpufreq_ondemand.c `od_update`): the load since the last sample;
 *   above up_threshold (80) it goes straight to the highest state and holds it for
 *   sampling_down_factor samples, otherwise it targets min + load · (max − min) / 100, resolved
 *   to the closest state (CPUFREQ_RELATION_C);
 * - schedutil (kernel/sched/cpufreq_schedutil.c `get_next_freq`): next_freq = 1.25 · max · util /
 *   capacity with a frequency-invariant util (so F = cpuinfo.max_freq), resolved to the lowest
 *   state at or above it (CPUFREQ_RELATION_L); RT tasks force the maximum, and a CPU that has not
 *   idled since the last update does not lower its frequency (`sugov_hold_freq`).
 *
 * States are indices into the P-state table, 0 the highest clock (hw/pstate.ts).
 */

export const GOVERNORS = ['performance', 'powersave', 'ondemand', 'schedutil'] as const;
export type GovernorName = (typeof GOVERNORS)[number];

/** SCHED_CAPACITY_SCALE: util and capacity are on a 0..1024 scale. */
export const CAPACITY_SCALE = 1024;

/** The state whose clock is closest to `targetMhz` (ties to the higher clock, as RELATION_C). */
export function closestState(mhz: readonly number[], targetMhz: number): number {
  let best = 0;
  for (let s = 1; s < mhz.length; s++) {
    if (Math.abs(mhz[s]! - targetMhz) < Math.abs(mhz[best]! - targetMhz)) best = s;
  }
  return best;
}

/** The lowest clock at or above `targetMhz`, or the highest state (RELATION_L). */
export function lowestAtOrAbove(mhz: readonly number[], targetMhz: number): number {
  for (let s = mhz.length - 1; s >= 0; s--) if (mhz[s]! >= targetMhz) return s;
  return 0;
}

/** od_update: the state for `loadPct` (0..100) of the last sample. */
export function ondemandState(mhz: readonly number[], loadPct: number, upThreshold: number): number {
  if (loadPct > upThreshold) return 0;
  const min = mhz[mhz.length - 1]!;
  const max = mhz[0]!;
  return closestState(mhz, min + Math.floor((loadPct * (max - min)) / 100));
}

/** get_next_freq with map_util_freq's `freq + (freq >> 2)`: the state for `util` (0..1024). */
export function schedutilState(mhz: readonly number[], util: number): number {
  const max = mhz[0]!;
  const freq = max + Math.floor(max / 4);
  return lowestAtOrAbove(mhz, Math.floor((freq * util) / CAPACITY_SCALE));
}
