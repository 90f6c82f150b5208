/**
 * Sampling strategies. Random walk: each step uniform over the enabled agents. PCT (Burckhardt,
 * Kothari, Musuvathi and Nagarakatte, "A randomized scheduler with probabilistic guarantees of
 * finding bugs", ASPLOS 2010): agents get random distinct priorities, d-1 change points are
 * drawn uniformly over the k steps of a run, the highest-priority enabled agent always runs,
 * and at the i-th change point the running agent drops to priority i. A bug of depth d is then
 * found by each run with probability at least 1/(n·k^(d-1)) for n agents.
 */
import { Prng } from '../engine/prng.ts';
import type { Chooser } from './run.ts';

export function randomChooser(prng: Prng): Chooser {
  return (_m, enabled) => enabled[prng.below(enabled.length)]!;
}

export interface PctRun {
  chooser: Chooser;
}

/**
 * One PCT run over about `k` steps with depth `d`. Agents seen for the first time (store-buffer
 * drains appear as stores are buffered) get a random priority above all change-point ones.
 */
export function pctChooser(prng: Prng, d: number, k: number): Chooser {
  const priority = new Map<number, number>();
  const changeAt = new Map<number, number>();
  for (let i = 1; i < d; i++) changeAt.set(1 + prng.below(Math.max(1, k)), d - i);
  return (_m, enabled, index) => {
    for (const a of enabled) if (!priority.has(a)) priority.set(a, d + 1 + prng.below(1 << 30));
    let best = enabled[0]!;
    for (const a of enabled) if (priority.get(a)! > priority.get(best)!) best = a;
    const low = changeAt.get(index);
    if (low !== undefined) {
      priority.set(best, low);
      for (const a of enabled) if (priority.get(a)! > priority.get(best)!) best = a;
    }
    return best;
  };
}

/** PCT's bound: a depth-d bug is hit by one run with probability >= 1/(n·k^(d-1)). */
export function pctRunProbability(n: number, k: number, d: number): number {
  return 1 / (n * k ** (d - 1));
}

export function newPrng(seed: number): Prng {
  return new Prng(seed);
}
