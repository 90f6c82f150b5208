/**
 * Builds a machine from a run configuration: the board, the tick source, the kernel with its
 * scheduling policy. This is the composition root; nothing below it picks implementations.
 */
import { PrngDecider, type Decider } from '../engine/decider.ts';
import { Prng } from '../engine/prng.ts';
import { Board } from '../hw/board.ts';
import { resolveCostModel } from '../hw/cost-model.ts';
import { PIT_DIVISOR_REDOX, startLapicPeriodic, startPit, TscDeadlineTimer } from '../hw/timer.ts';
import { Kernel } from '../kernel/kernel.ts';
import { DwrrPolicy } from '../kernel/sched/dwrr.ts';
import { FairPolicy } from '../kernel/sched/fair/index.ts';
import type { SchedPolicy } from '../kernel/sched/policy.ts';
import { RedbearPolicy } from '../kernel/sched/redbear.ts';
import { libcEnv } from '../libc/variant.ts';
import type { RunConfig, SchedPolicyName, TickConfig } from './config.ts';
import { defaultMemoryBytes } from './defaults.ts';
import { INIT } from './init.ts';

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
    memoryBytes: defaultMemoryBytes(config.limits.threadsMax),
    costs: resolveCostModel(config.costs),
    decider,
    firmware: { bugs: config.firmware.bugs },
    x2apic: config.firmware.x2apic,
  });
  const kernel = new Kernel(board, {
    threadsMax: config.limits.threadsMax,
    checkInvariants: options.checkInvariants ?? false,
    futex: config.kernel.futex,
    env: libcEnv(config.libc.variant),
    firmwareParser: config.firmware.parser,
    ...(config.boot.simulate ? { bringUp: config.boot } : {}),
  });
  const policy = makePolicy(config.kernel.scheduler, kernel, { numa: config.kernel.numa });
  const tickPeriodNs = startTick(board, kernel, config.machine.tick);
  kernel.boot(policy, INIT, config.workloads);
  return { board, kernel, tickPeriodNs };
}

export function makePolicy(
  name: SchedPolicyName,
  kernel: Kernel,
  options: { numa: boolean } = { numa: true },
): SchedPolicy {
  switch (name) {
    case 'dwrr':
      return new DwrrPolicy(kernel);
    case 'redbear':
      return new RedbearPolicy(kernel);
    case 'fair':
      return new FairPolicy(kernel, options);
  }
}

/**
 * Starts the tick source and tells the kernel its period: the PIT on the BSP, every CPU's LAPIC
 * timer in periodic mode, or (tickless) the TSC-deadline timer the kernel programs itself (HW-12).
 */
export function startTick(board: Board, kernel: Kernel, tick: TickConfig): number {
  let periodNs: number;
  if (tick.source === 'pit') {
    periodNs = startPit(board.engine, kernel.cpus[0]!, PIT_DIVISOR_REDOX);
  } else if (tick.source === 'lapic') {
    periodNs = startLapicPeriodic(board.engine, kernel.cpus, tick.hz);
  } else {
    periodNs = Math.round(1e9 / tick.hz);
    kernel.deadlineTimer = new TscDeadlineTimer(board.engine, kernel.cpus);
  }
  kernel.tickPeriodNs = periodNs;
  return periodNs;
}
