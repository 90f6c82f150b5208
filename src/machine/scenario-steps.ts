/**
 * The step runner (issue 18): a root process that carries out a scenario's `[[step]]`s
 * (scenario/steps.ts) at their times, as an administrator's shell writing `0`/`1` to
 * `/sys/devices/system/cpu/cpuN/online` would: each step sleeps until `at_us` after the runner
 * started (which is when init started the workloads) and makes the call (libc/hotplug.ts
 * cpu_set_online). For each step it publishes `errno` (0 when done), `at_ns` (when it was
 * issued, from the runner's start) and `took_ns` (how long the call took: an offline under I/O
 * includes the drain of the CPU's managed vectors). report/build.ts reads them as `step.<i>.*`.
 * The runner asks for SCHED_FIFO 50 on CPU 0 first, as `taskset -c 0 chrt -f 50` would run the
 * administrator's command: a step happens at its time even with every CPU busy, and the runner
 * is never on the CPU it takes away (CPU 0, the BSP, cannot go offline). A kernel without
 * real-time classes refuses and the runner runs as an ordinary process.
 */
import type { Program } from '../abi/effects.ts';
import type { Guest, ProgramImage } from '../abi/guest.ts';
import { errno } from '../libc/errno.ts';
import { SCHED_FIFO } from '../abi/sched.ts';
import { cpu_set_online } from '../libc/hotplug.ts';
import { sched_setaffinity_cpus, sched_setscheduler } from '../libc/sched.ts';
import { clock_gettime_ns, sleep_ns } from '../libc/time.ts';
import type { ScenarioStep } from './config.ts';

export const SCENARIO_STEPS_NAME = 'scenario-steps';
const STEPS_RT_PRIORITY = 50;

export interface StepOutcome {
  errno: number;
  atNs: number;
  tookNs: number;
}

function* stepsMain(t: Guest, raw: unknown): Program<number> {
  const steps = raw as ScenarioStep[];
  yield* sched_setaffinity_cpus(t, 0, [0]);
  yield* sched_setscheduler(t, 0, SCHED_FIFO, { sched_priority: STEPS_RT_PRIORITY });
  const t0 = yield* clock_gettime_ns(t);
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const waitNs = t0 + step.atUs * 1000 - (yield* clock_gettime_ns(t));
    if (waitNs > 0) yield* sleep_ns(t, waitNs);
    const atNs = (yield* clock_gettime_ns(t)) - t0;
    const r = yield* cpu_set_online(t, step.cpu, step.action === 'cpu_online');
    const tookNs = (yield* clock_gettime_ns(t)) - t0 - atNs;
    outcomes.push({ errno: r === 0 ? 0 : errno(t), atNs, tookNs });
  }
  t.data.output = { [SCENARIO_STEPS_NAME]: outcomes };
  return 0;
}

export const SCENARIO_STEPS: ProgramImage = { name: SCENARIO_STEPS_NAME, main: stepsMain };
