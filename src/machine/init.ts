/**
 * The root process: starts every configured workload as a child process and reaps them all.
 * Its exit ends the run. A scenario with `[[step]]`s also gets the step runner
 * (scenario-steps.ts), started after the workloads so their outputs keep their order.
 */
import { RTAPP_MAIN } from '../workloads/rtapp/image.ts';
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { spawn, waitpid } from '../libc/process.ts';
import { FUTEXHASH_MAIN } from '../workloads/futexhash.ts';
import { PINGPONG_MAIN } from '../workloads/pingpong.ts';
import { PRIMES_MAIN } from '../workloads/primes.ts';
import { PROGRAMS } from '../workloads/registry.ts';
import { SPIN_MAIN } from '../workloads/spin.ts';
import type { RunConfig, ScenarioStep, WorkloadConfig } from './config.ts';
import { SCENARIO_STEPS } from './scenario-steps.ts';
import { programFromModule } from './program-module.ts';

export function workloadImage(w: WorkloadConfig): [ProgramImage, unknown] {
  switch (w.kind) {
    case 'primes':
      return [
        PRIMES_MAIN,
        {
          mode: w.mode,
          workers: w.workers,
          range: w.range,
          segment: w.segment,
          partition: w.partition,
          ...(w.sleepNs === undefined ? {} : { sleepNs: w.sleepNs }),
          ...(w.divisionCycles === undefined ? {} : { divisionCycles: w.divisionCycles }),
          ...(w.candidateCycles === undefined ? {} : { candidateCycles: w.candidateCycles }),
        },
      ];
    case 'spin':
      return [SPIN_MAIN, { threads: w.threads, iterations: w.iterations, cycles: w.cycles }];
    case 'pingpong':
      return [PINGPONG_MAIN, { pairs: w.pairs, rounds: w.rounds }];
    case 'futexhash':
      return [FUTEXHASH_MAIN, { threads: w.threads, futexes: w.futexes, ops: w.ops }];
    case 'rtapp':
      return [RTAPP_MAIN, w.spec];
    case 'program': {
      const program = w.module === undefined ? PROGRAMS.get(w.program) : programFromModule(w.module);
      if (program === undefined) throw new Error(`init: no guest program named ${w.program}`);
      return [program.image, w.params];
    }
  }
}

/** What init is booted with: the workloads alone (the common case), or with the steps. */
export function initArgs(config: RunConfig): unknown {
  const workloads = withPrimesCharges(config.workloads, config.costs);
  return config.steps === undefined ? workloads : { workloads, steps: config.steps };
}

/**
 * The primes workloads take the cost model's per-division and per-candidate charges when
 * `[costs]` sets them (a calibrated profile, issue 23); otherwise they keep their arguments as
 * they were, so every run without them is unchanged.
 */
function withPrimesCharges(workloads: WorkloadConfig[], costs: Record<string, number>): WorkloadConfig[] {
  const { divisionCycles, candidateCycles } = costs;
  if (divisionCycles === undefined && candidateCycles === undefined) return workloads;
  return workloads.map((w) =>
    w.kind !== 'primes'
      ? w
      : {
          ...w,
          ...(divisionCycles === undefined ? {} : { divisionCycles }),
          ...(candidateCycles === undefined ? {} : { candidateCycles }),
        },
  );
}

function* initMain(t: Guest, raw: unknown): Program<number> {
  const { workloads, steps } = Array.isArray(raw)
    ? { workloads: raw as WorkloadConfig[], steps: [] as ScenarioStep[] }
    : (raw as { workloads: WorkloadConfig[]; steps: ScenarioStep[] });
  const pids: number[] = [];
  const started: [ProgramImage, unknown][] = workloads.map(workloadImage);
  if (steps.length > 0) started.push([SCENARIO_STEPS, steps]);
  for (const [image, arg] of started) {
    const pid = yield* spawn(t, image, arg);
    if (pid < 0) throw new Error(`init: spawn of ${image.name} failed (${pid})`);
    pids.push(pid);
  }
  for (const pid of pids) yield* waitpid(t, pid);
  return 0;
}

export const INIT: ProgramImage = { name: 'init', main: initMain };
