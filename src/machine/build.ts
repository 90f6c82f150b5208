/**
 * Builds a machine from a run configuration: the board, the tick source, the kernel with its
 * scheduling policy. This is the composition root; nothing below it picks implementations.
 */
import { PrngDecider, type Decider } from '../engine/decider.ts';
import { Prng } from '../engine/prng.ts';
import { Board } from '../hw/board.ts';
import { resolveCostModel } from '../hw/cost-model.ts';
import { PIT_DIVISOR_REDOX, startLapicPeriodic, startPit } from '../hw/timer.ts';
import { Kernel } from '../kernel/kernel.ts';
import { DwrrPolicy } from '../kernel/sched/dwrr.ts';
import { FairPolicy } from '../kernel/sched/fair.ts';
import type { SchedPolicy } from '../kernel/sched/policy.ts';
import type { RunConfig } from './config.ts';
import { INIT } from './init.ts';

/** Physical memory of every machine: 1 GiB, allocated frame by frame as the guests map it. */
export const MEMORY_BYTES = 1 << 30;

export interface Machine {
  board: Board;
  kernel: Kernel;
  tickPeriodNs: number;
}

export interface BuildOptions {
  decider?: Decider;
  checkInvariants?: boolean;
}

export function buildMachine(config: RunConfig, options: BuildOptions = {}): Machine {
  const decider = options.decider ?? new PrngDecider(new Prng(config.seed));
  const board = new Board({
    topology: config.machine.topology,
    cpuMhz: config.machine.cpuMhz,
    memoryBytes: MEMORY_BYTES,
    costs: resolveCostModel(config.costs),
    decider,
  });
  const kernel = new Kernel(board, {
    threadsMax: config.limits.threadsMax,
    checkInvariants: options.checkInvariants ?? false,
    futex: config.kernel.futex,
  });
  const policy: SchedPolicy =
    config.kernel.scheduler === 'dwrr'
      ? new DwrrPolicy(kernel)
      : new FairPolicy(kernel, { numa: config.kernel.numa });
  const tick = config.machine.tick;
  const tickPeriodNs =
    tick.source === 'pit'
      ? startPit(board.engine, board.cpus[0]!, PIT_DIVISOR_REDOX)
      : startLapicPeriodic(board.engine, board.cpus, tick.hz);
  kernel.boot(policy, INIT, config.workloads);
  return { board, kernel, tickPeriodNs };
}
