/**
 * `--timing model` for the built-in models (issue 17): only the orders the cost model allows,
 * plus jitter. Each thread has a clock (explore/machine.ts `clockNs`): the kernel code's spends
 * (boot delays, spin chunks) and one atomic's cost per explored step. A thread that was waiting
 * resumes at the time it is offered (`now`, the time of the last step). A random or PCT chooser
 * is then offered only the agents whose time is within `windowNs` of the earliest enabled
 * thread's (the jitter: by default one cache-line transfer), as a discrete-event simulation
 * would run them with that much timing noise; store-buffer drains are the hardware's own and are
 * always offered. DPOR is refused with it: its footprints say nothing of time, so its reductions
 * would not hold.
 */
import { resolveCostModel } from '../hw/cost-model.ts';
import type { Machine } from './machine.ts';
import type { Chooser } from './run.ts';

const COSTS = resolveCostModel();

/** The default jitter window: one cache-line transfer of the default cost model. */
export const TIMING_WINDOW_NS = COSTS.cacheLineNs;

/** `choose` restricted to the agents the timing allows (the header). */
export function timedChooser(choose: Chooser, windowNs = TIMING_WINDOW_NS): Chooser {
  let now = 0;
  return (m: Machine, enabled, index) => {
    const at = (a: number) => Math.max(m.clockNs[a]!, now);
    let earliest = Number.POSITIVE_INFINITY;
    for (const a of enabled) if (m.agents.isThread(a)) earliest = Math.min(earliest, at(a));
    const allowed = enabled.filter((a) => !m.agents.isThread(a) || at(a) <= earliest + windowNs);
    const a = choose(m, allowed, index);
    if (m.agents.isThread(a)) {
      now = at(a);
      m.clockNs[a] = now + COSTS.atomicNs;
    }
    return a;
  };
}
