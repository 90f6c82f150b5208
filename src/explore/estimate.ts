/**
 * An estimate of the search space before a long run: Knuth's estimator ("Estimating the
 * efficiency of backtrack programs", Math. Comp. 1975) over random walks, the product of the
 * branching factors along each walk averaged over the walks, estimates the number of complete
 * schedules of a search without reduction; DPOR explores one per Mazurkiewicz trace, fewer.
 */
import type { Prng } from '../engine/prng.ts';
import { runOnce, type Setup } from './run.ts';

export interface SpaceEstimate {
  schedules: number;
  probes: number;
  stepsMax: number;
}

export function estimateSpace(setup: Setup, prng: Prng, probes = 32): SpaceEstimate {
  let total = 0;
  let stepsMax = 0;
  for (let p = 0; p < probes; p++) {
    let product = 1;
    const r = runOnce(
      setup,
      (_m, enabled) => {
        product *= enabled.length;
        return enabled[prng.below(enabled.length)]!;
      },
      false,
    );
    stepsMax = Math.max(stepsMax, r.schedule.length);
    total += product;
  }
  return { schedules: total / probes, probes, stepsMax };
}
