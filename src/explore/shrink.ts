/**
 * Shrinking a counterexample, as delta debugging does (Zeller and Hildebrandt, "Simplifying and
 * isolating failure-inducing input", TSE 2002): remove chunks of the schedule (halves, quarters,
 * ... single steps) and keep a candidate when it still ends in the same kind of violation with
 * no more steps and no more preemptions, one of them fewer. A candidate is run leniently: a step
 * whose agent is not enabled is skipped, and past its end the run goes on without preemption,
 * so the kept schedule is the one actually run. It never grows.
 */
import type { ViolationKind } from './model.ts';
import { nonPreemptive, type RunResult, runOnce, type Setup } from './run.ts';

export interface Shrunk {
  schedule: number[];
  preemptions: number;
  runs: number;
}

/** Runs `wanted` as far as it fits, then non-preemptively. */
export function runLenient(setup: Setup, wanted: readonly number[]): RunResult {
  let k = 0;
  let prev = -1;
  return runOnce(setup, (_m, enabled) => {
    while (k < wanted.length && !enabled.includes(wanted[k]!)) k++;
    prev = k < wanted.length ? wanted[k++]! : nonPreemptive(prev, enabled);
    return prev;
  });
}

function better(r: RunResult, kind: ViolationKind, len: number, preemptions: number): boolean {
  if (r.violation?.kind !== kind) return false;
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
  const first = runLenient(setup, schedule);
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
      const r = runLenient(setup, candidate);
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
