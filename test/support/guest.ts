/**
 * A harness for custom guest programs: builds a Board and a Kernel the way src/machine/build.ts
 * does, but boots the kernel with the test's own root program instead of init. Tests record
 * what guests observe into arrays captured by closure and assert on them after the run.
 *
 * A failing `assert` inside guest code is a guest fault (SIGABRT), not a thrown test error, so
 * every machine booted here is checked for guest faults (guest-faults.ts): `runGuest` checks
 * when its run ends, and a hook after each test checks the machines a test booted and ran
 * itself. A test that means to fault a guest declares it with `expectFaults`.
 */
import type { OrphanMode } from '../../src/kernel/orphans.ts';
import type { ProcOptions } from '../../src/kernel/proc-options.ts';
import type { ProgramImage, ThreadEntry } from '../../src/abi/guest.ts';
import { PrngDecider } from '../../src/engine/decider.ts';
import type { StopReason } from '../../src/engine/engine.ts';
import { Prng } from '../../src/engine/prng.ts';
import { Board } from '../../src/hw/board.ts';
import { resolveCostModel } from '../../src/hw/cost-model.ts';
import type { FdOptions } from '../../src/kernel/fd/mode.ts';
import type { FutexOptions } from '../../src/kernel/futex/table.ts';
import { Kernel } from '../../src/kernel/kernel.ts';
import { type LibcVariantName, libcEnv } from '../../src/libc/variant.ts';
import { makePolicy, startTick } from '../../src/machine/build.ts';
import { attachDevices } from '../../src/machine/attach-devices.ts';
import type { DeviceSetupConfig } from '../../src/machine/device-config.ts';
import type { SchedPolicyName, TickSourceName } from '../../src/machine/config.ts';
import { defaultTopology, policyPreset, presetTick } from '../../src/machine/defaults.ts';
import type { TopologySpec } from '../../src/hw/topology.ts';
import type { TlbOptions } from '../../src/kernel/tlb/state.ts';
import type { CapringOptions } from '../../src/kernel/capring/state.ts';
import type { MmOptions } from '../../src/kernel/mm-options.ts';
import { checkFaults, type ExpectedFaults, watchFaults } from './guest-faults.ts';

export interface GuestMachineOptions {
  /** `[[device]]`s with their IRQ routing and IOMMU (issue 18); none by default. */
  devices?: DeviceSetupConfig;
  policy?: SchedPolicyName;
  cpus?: number;
  /** Packages, SMT and NUMA nodes (defaults: one package, no SMT, one node). */
  topology?: Partial<Omit<TopologySpec, 'cpus'>>;
  /** fair's NUMA awareness (default on). */
  numa?: boolean;
  seed?: number;
  /** The tick source; defaults to each policy's preset (dwrr, redbear: PIT; fair: LAPIC at 1000 Hz). */
  tick?: TickSourceName;
  /** The LAPIC rate, or TSC-deadline's nominal tick (default 1000 Hz). */
  lapicHz?: number;
  /** Fault injection: schedule() calls (1-based) that take a kernel fault (SCHED-9). */
  injectSwitchFaults?: number[];
  /** Cost-model overrides (e.g. `{ computeJitterPpm: 0 }` for exact timings). */
  costs?: Record<string, number>;
  checkInvariants?: boolean;
  threadsMax?: number;
  /** Descriptor semantics (kernel/fd/mode.ts); by default the futex mode's. */
  fd?: FdOptions;
  /** The futex table; the baseline's (redox, one global lock) by default. */
  futex?: FutexOptions;
  /** The libc variant of every process; by default the one that speaks the futex mode's ABI. */
  libc?: LibcVariantName;
  /** The guest faults this test means to cause; any other fault fails the test (guest-faults.ts). */
  expectFaults?: ExpectedFaults;
  /** High-resolution timers (kernel/hrtimer.ts); by default on with fair, off with dwrr and redbear. */
  hrtimers?: boolean;
  /** The TLB shootdown protocol and its options (kernel/tlb/state.ts); ideal by default. */
  tlb?: TlbOptions;
  /** Thread and process creation (kernel/proc-options.ts); Redox's proc scheme by default. */
  proc?: ProcOptions;
  /** Programs execve and posix_spawn find, by path (kernel/exec.ts). */
  executables?: Readonly<Record<string, ProgramImage>>;
  /** The capring personality (issue 20) and its ring options. */
  capring?: Partial<CapringOptions>;
  /** Demand paging and copy-on-write fork (kernel/mm-options.ts); eager and copy by default. */
  mm?: MmOptions;
  /** Where an exiting process's children go (kernel/orphans.ts); redox by default. */
  orphans?: OrphanMode;
}

export interface GuestMachine {
  board: Board;
  kernel: Kernel;
  tickPeriodNs: number;
}

/** Builds and boots a machine whose root process runs `main(arg)`; nothing has run yet. */
export function bootGuest(main: ThreadEntry, arg: unknown, options: GuestMachineOptions = {}): GuestMachine {
  const policyName = options.policy ?? 'fair';
  const board = new Board({
    topology: { ...defaultTopology(options.cpus ?? 1), ...options.topology },
    cpuMhz: 3000,
    memoryBytes: 1 << 28,
    costs: resolveCostModel(options.costs ?? {}),
    decider: new PrngDecider(new Prng(options.seed ?? 1)),
  });
  const futex = options.futex ?? { mode: 'redox', shards: 1 };
  const kernel = new Kernel(board, {
    threadsMax: options.threadsMax ?? 256,
    checkInvariants: options.checkInvariants ?? true,
    futex,
    injectSwitchFaults: options.injectSwitchFaults ?? [],
    env: libcEnv(options.libc ?? (futex.mode === 'linux' ? 'improved' : 'relibc')),
    hrtimers: options.hrtimers ?? policyPreset(policyName).hrtimers,
    ...(options.tlb === undefined ? {} : { tlb: options.tlb }),
    ...(options.fd === undefined ? {} : { fd: options.fd }),
    ...(options.proc === undefined ? {} : { proc: options.proc }),
    ...(options.capring === undefined ? {} : { abi: 'capring' as const, capring: options.capring }),
    ...(options.mm === undefined ? {} : { mm: options.mm }),
    ...(options.orphans === undefined ? {} : { orphans: options.orphans }),
  });
  for (const [path, image] of Object.entries(options.executables ?? {})) kernel.executables.set(path, image);
  if (options.devices !== undefined) attachDevices(board, kernel, options.devices, options.seed ?? 1);
  const policy = makePolicy(policyName, kernel, { numa: options.numa ?? true });
  const source = options.tick ?? presetTick(policyName).source;
  const tickPeriodNs = startTick(board, kernel, { source, hz: options.lapicHz ?? 1000 });
  kernel.boot(policy, { name: 'test', main }, arg);
  watchFaults(kernel, options.expectFaults ?? []);
  return { board, kernel, tickPeriodNs };
}

/**
 * Runs `fn` from an engine event at simulated time `timeNs`: how a test reaches into the kernel
 * (the harness, never guest code) at a chosen instant, deterministically.
 */
export function atTime(machine: GuestMachine, timeNs: number, fn: () => void): void {
  const engine = machine.board.engine;
  const kind = engine.register(`test-hook@${timeNs}`, fn);
  engine.at(timeNs, kind, 0, 0);
}

export interface GuestRun extends GuestMachine {
  reason: StopReason;
}

/** Boots `main(arg)` and runs the engine until the root exits, a deadlock, or the limits. */
export function runGuest(
  main: ThreadEntry,
  arg: unknown,
  options: GuestMachineOptions & { simNsMax?: number; eventsMax?: number } = {},
): GuestRun {
  const machine = bootGuest(main, arg, options);
  const reason = machine.board.engine.run({
    simNsMax: options.simNsMax ?? 10_000_000_000,
    eventsMax: options.eventsMax ?? 2_000_000,
  });
  checkFaults(machine.kernel);
  return { ...machine, reason };
}
