/**
 * The root process: starts every configured workload as a child process and reaps them all.
 * Its exit ends the run.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { spawn, waitpid } from '../libc/process.ts';
import { FUTEXHASH_MAIN } from '../workloads/futexhash.ts';
import { PINGPONG_MAIN } from '../workloads/pingpong.ts';
import { PRIMES_MAIN } from '../workloads/primes.ts';
import { PROGRAMS } from '../workloads/registry.ts';
import { SPIN_MAIN } from '../workloads/spin.ts';
import { programFromModule } from './program-module.ts';
import type { WorkloadConfig } from './config.ts';

export function workloadImage(w: WorkloadConfig): [ProgramImage, unknown] {
  switch (w.kind) {
    case 'primes':
      return [
        PRIMES_MAIN,
        { mode: w.mode, workers: w.workers, range: w.range, segment: w.segment, partition: w.partition },
      ];
    case 'spin':
      return [SPIN_MAIN, { threads: w.threads, iterations: w.iterations, cycles: w.cycles }];
    case 'pingpong':
      return [PINGPONG_MAIN, { pairs: w.pairs, rounds: w.rounds }];
    case 'futexhash':
      return [FUTEXHASH_MAIN, { threads: w.threads, futexes: w.futexes, ops: w.ops }];
    case 'program': {
      const program = w.module === undefined ? PROGRAMS.get(w.program) : programFromModule(w.module);
      if (program === undefined) throw new Error(`init: no guest program named ${w.program}`);
      return [program.image, w.params];
    }
  }
}

function* initMain(t: Guest, raw: unknown): Program<number> {
  const workloads = raw as WorkloadConfig[];
  const pids: number[] = [];
  for (const w of workloads) {
    const [image, arg] = workloadImage(w);
    const pid = yield* spawn(t, image, arg);
    if (pid < 0) throw new Error(`init: spawn of ${image.name} failed (${pid})`);
    pids.push(pid);
  }
  for (const pid of pids) yield* waitpid(t, pid);
  return 0;
}

export const INIT: ProgramImage = { name: 'init', main: initMain };
