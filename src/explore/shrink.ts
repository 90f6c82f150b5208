/**
 * Shrinking a counterexample, as delta debugging does (Zeller and Hildebrandt, "Simplifying and
 * isolating failure-inducing input", TSE 2002): remove chunks of the schedule (halves, quarters,
 * ... single steps) and keep a candidate when it still ends in the same kind of violation with
 * no more steps and no more preemptions, one of them fewer. A candidate is run leniently: a step
 * whose agent is not enabled is skipped, and past its end the run goes on without preemption,
 * so the kept schedule is the one actually run. It never grows. A candidate is stopped as soon
 * as it has more steps or more preemptions than the best so far: it could not replace it (k1's
 * shrink, 162 candidates of 99 steps none of which is better, took 0.3 s before this).
 */
import type { ViolationKind } from './model.ts';
import { isPreemption, nonPreemptive, type RunResult, runOnce, type Setup } from './run.ts';

/** Thrown by a candidate's chooser once it cannot be better (caught in `runLenient`). */
class Worse extends Error {}

export interface Shrunk {
  schedule: number[];
  preemptions: number;
  runs: number;
}

/**
 * Runs `wanted` as far as it fits, then non-preemptively; null once it has more than
 * `stepsMax` steps or `preemptionsMax` preemptions.
 */
export function runLenient(
  setup: Setup,
  wanted: readonly number[],
  stepsMax = Number.MAX_SAFE_INTEGER,
  preemptionsMax = Number.MAX_SAFE_INTEGER,
): RunResult | null {
  let k = 0;
  let prev = -1;
  let preemptions = 0;
  try {
    return runOnce(setup, (_m, enabled, index) => {
      while (k < wanted.length && !enabled.includes(wanted[k]!)) k++;
      const next = k < wanted.length ? wanted[k++]! : nonPreemptive(prev, enabled);
      if (isPreemption(setup.agents, prev, next, enabled)) preemptions++;
      if (index >= stepsMax || preemptions > preemptionsMax) throw new Worse();
      prev = next;
      return next;
    });
  } catch (error) {
    if (error instanceof Worse) return null;
    throw error;
  }
}

function better(r: RunResult | null, kind: ViolationKind, len: number, preemptions: number): r is RunResult {
  if (r === null || r.violation?.kind !== kind) return false;
  const n = r.schedule.length;
  if (n > len || r.preemptions > preemptions) return false;
  return n < len || r.preemptions < preemptions;
}

export function shrink(
  setup: Setup,
  schedule: readonly number[],
  kind: ViolationKind,
  runsMax = 3000,
): Shrunk {
  const first = runLenient(setup, schedule)!;
  let best = first.violation?.kind === kind ? first.schedule : [...schedule];
  let bestPre = first.violation?.kind === kind ? first.preemptions : Number.MAX_SAFE_INTEGER;
  if (best.length > schedule.length) {
    best = [...schedule];
    bestPre = Number.MAX_SAFE_INTEGER;
  }
  let runs = 1;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && runs < runsMax; ) {
    let improved = false;
    for (let at = 0; at + chunk <= best.length && runs < runsMax; at += chunk) {
      const candidate = [...best.slice(0, at), ...best.slice(at + chunk)];
      const r = runLenient(setup, candidate, best.length, bestPre);
      runs++;
      if (better(r, kind, best.length, bestPre)) {
        best = r.schedule;
        bestPre = r.preemptions;
        improved = true;
        break;
      }
    }
    if (!improved) chunk >>= 1;
  }
  return { schedule: best, preemptions: bestPre === Number.MAX_SAFE_INTEGER ? -1 : bestPre, runs };
}
