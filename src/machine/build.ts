/**
 * Builds a machine from a run configuration: the board, the tick source, the kernel with its
 * scheduling policy. This is the composition root; nothing below it picks implementations.
 */
import { executables } from '../workloads/registry.ts';
import { ChoiceKind, PrngDecider, type Decider } from '../engine/decider.ts';
import { Prng } from '../engine/prng.ts';
import { Board } from '../hw/board.ts';
import { resolveCostModel } from '../hw/cost-model.ts';
import { PitChannel2 } from '../hw/pit-channel2.ts';
import { PM_TIMER_HZ, PmTimer } from '../hw/pm-timer.ts';
import { PStates } from '../hw/pstate.ts';
import {
  PIT_DIVISOR_REDOX,
  PIT_INPUT_HZ,
  LapicPeriods,
  startLapicPeriodic,
  startPit,
  TscDeadlineTimer,
} from '../hw/timer.ts';
import { calibrateClocks } from '../kernel/clock/clock.ts';
import { Cpufreq } from '../kernel/cpufreq/cpufreq.ts';
import { IdleFold } from '../kernel/idle-fold.ts';
import { fileSystemOf } from '../kernel/fd/file-scheme.ts';
import { assert } from '../engine/assert.ts';
import { Kernel } from '../kernel/kernel.ts';
import { DwrrPolicy } from '../kernel/sched/dwrr.ts';
import { FairPolicy } from '../kernel/sched/fair/index.ts';
import { GedfPolicy } from '../kernel/sched/gedf/index.ts';
import type { SchedPolicy } from '../kernel/sched/policy.ts';
import { RedbearPolicy } from '../kernel/sched/redbear.ts';
import { libcEnv } from '../libc/variant.ts';
import { ABI_ENV, RINGS_ENV } from '../abi/capring.ts';
import type { FileSeed, RunConfig, SchedPolicyName, TickConfig } from './config.ts';
import { memoryBytesOf, policyPreset } from './defaults.ts';
import { INIT, initArgs } from './init.ts';
import { attachDevices } from './attach-devices.ts';
import { policyFromModule } from './policy-module.ts';

export interface Machine {
  board: Board;
  kernel: Kernel;
  tickPeriodNs: number;
}

export interface BuildOptions {
  decider?: Decider;
  checkInvariants?: boolean;
  /**
   * Fold a halted CPU's idle periodic ticks (kernel/idle-fold.ts, issue 14); on by default. The
   * figures are the same either way (the trace hash is not); tests turn it off to compare.
   */
  idleFold?: boolean;
}

export function buildMachine(config: RunConfig, options: BuildOptions = {}): Machine {
  const decider = options.decider ?? new PrngDecider(new Prng(config.seed));
  const board = new Board({
    topology: config.machine.topology,
    cpuMhz: config.machine.cpuMhz,
    memoryBytes: memoryBytesOf(config.limits),
    costs: resolveCostModel(config.costs),
    decider,
    firmware: {
      bugs: config.firmware.bugs,
      ...(config.firmware.tables === undefined ? {} : { tables: config.firmware.tables.bytes }),
    },
    x2apic: config.firmware.x2apic,
  });
  const kernel = new Kernel(board, {
    threadsMax: config.limits.threadsMax,
    checkInvariants: options.checkInvariants ?? false,
    futex: config.kernel.futex,
    tlb: config.kernel.tlb,
    ...(config.kernel.mm === undefined ? {} : { mm: config.kernel.mm }),
    ...(config.kernel.switchFaults === undefined ? {} : { injectSwitchFaults: config.kernel.switchFaults }),
    env: { ...libcEnv(config.libc.variant), ...capringEnv(config) },
    hrtimers: policyPreset(config.kernel.scheduler).hrtimers,
    firmwareParser: config.firmware.parser,
    ...(config.kernel.proc === undefined ? {} : { proc: config.kernel.proc }),
    ...(config.kernel.orphans === undefined ? {} : { orphans: config.kernel.orphans }),
    locks: config.kernel.locks ?? 'tas',
    ...(config.kernel.donation === undefined ? {} : { donation: config.kernel.donation }),
    ...(config.kernel.lockDemo === undefined ? {} : { lockDemo: config.kernel.lockDemo }),
    ...(config.boot.simulate ? { bringUp: config.boot } : {}),
    ...(config.kernel.fd === undefined ? {} : { fd: config.kernel.fd }),
    ...(config.kernel.schedOwner === 'latch' ? { schedOwner: 'latch' as const } : {}),
    ...(config.kernel.abi === 'capring'
      ? { abi: 'capring' as const, capring: { rings: config.kernel.rings ?? 'process' } }
      : {}),
  });
  for (const [path, image] of executables()) kernel.executables.set(path, image);
  if (config.devices !== undefined) attachDevices(board, kernel, config.devices, config.seed);
  const policy =
    config.kernel.policyModule === undefined
      ? makePolicy(config.kernel.scheduler, kernel, { numa: config.kernel.numa })
      : policyFromModule(config.kernel.policyModule, kernel);
  const tickPeriodNs = startTick(
    board,
    kernel,
    config.machine.tick,
    options.idleFold ?? true,
    config.clock !== null,
  );
  startClocks(board, kernel, config);
  seedFiles(kernel, config.files ?? []);
  kernel.boot(policy, INIT, initArgs(config));
  return { board, kernel, tickPeriodNs };
}

/** `[[file]]`: the scenario's files, in the file: filesystem before anything runs (no time, no trace). */
function seedFiles(kernel: Kernel, files: readonly FileSeed[]): void {
  const fs = fileSystemOf(kernel);
  for (const file of files) {
    const r = fs.seed(file.path, file.text);
    assert(r === 0, `machine: [[file]] ${file.path} could not be made (errno ${-r})`);
  }
}

/** Guest programs learn the personality and ring mode from their environment (issue 20). */
function capringEnv(config: RunConfig): Record<string, string> {
  if (config.kernel.abi !== 'capring') return {};
  return { [ABI_ENV]: 'capring', [RINGS_ENV]: config.kernel.rings ?? 'process' };
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
    case 'gedf':
      return new GedfPolicy(kernel);
  }
}

/**
 * Starts the tick source and tells the kernel its period: the PIT on the BSP, every CPU's LAPIC
 * timer in periodic mode, or (tickless) the TSC-deadline timer the kernel programs itself (HW-12).
 */
export function startTick(
  board: Board,
  kernel: Kernel,
  tick: TickConfig,
  idleFold = true,
  calibrated = false,
): number {
  let periodNs: number;
  if (tick.source === 'pit') {
    periodNs = startPit(board.engine, kernel.cpus[0]!, PIT_DIVISOR_REDOX);
  } else if (tick.source === 'lapic') {
    const folder = idleFold ? new IdleFold(kernel) : null;
    // With `[clock]`, the kernel programs the timer from its calibration (clock/clock.ts).
    const periods = calibrated
      ? new LapicPeriods(kernel.cpus.length, Math.round(1e9 / tick.hz), (id) => board.tsc.lapicBusHz(id))
      : null;
    kernel.lapicPeriods = periods;
    periodNs = startLapicPeriodic(board.engine, kernel.cpus, tick.hz, folder, periods);
  } else {
    periodNs = Math.round(1e9 / tick.hz);
    kernel.deadlineTimer = new TscDeadlineTimer(board.engine, kernel.cpus);
  }
  kernel.tickPeriodNs = periodNs;
  return periodNs;
}

/**
 * `[clock]` and `[cpufreq]` (HW-15), each only when the scenario has the table, so a machine
 * without them is built, and draws from the PRNG, exactly as before: the PIT's channel 2 and the
 * ACPI PM timer (their clock phases drawn at boot) with the BSP's calibration as boot work; the
 * P-states with the governor, started at boot.
 */
function startClocks(board: Board, kernel: Kernel, config: RunConfig): void {
  const clock = config.clock;
  if (clock !== null) {
    const pitPeriodNs = Math.ceil(1e9 / PIT_INPUT_HZ);
    board.devices.register(new PitChannel2(board.engine.decider.choose(ChoiceKind.Boot, pitPeriodNs, null)));
    const pmPeriodNs = Math.ceil(1e9 / PM_TIMER_HZ);
    board.devices.register(new PmTimer(board.engine.decider.choose(ChoiceKind.Boot, pmPeriodNs, null)));
    kernel.bootWork.push((k, bsp) => calibrateClocks(k, bsp, clock.calibration));
  }
  const cf = config.cpufreq;
  if (cf === null) return;
  const hw = new PStates(board.engine, board.cpus, board.tsc, {
    mhz: cf.pstatesMhz,
    activeMw: cf.powerMw,
    idleMw: cf.idleMw,
    transitionNs: cf.transitionLatencyUs * 1000,
  });
  const tunables = {
    governor: cf.governor,
    upThreshold: cf.upThreshold,
    samplingDownFactor: cf.samplingDownFactor,
    transitionDelayNs: cf.transitionDelayUs * 1000,
  };
  kernel.cpufreq = new Cpufreq(hw, tunables, kernel.tickPeriodNs, board.cpus.length);
  kernel.cpufreq.start();
}
