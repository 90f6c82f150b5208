/**
 * The configuration of one simulated run: machine, kernel, workloads and limits.
 * Scenario files (TOML) and the CLI both produce this shape; `machine/build.ts` consumes it.
 * @module
 */
import type { RtappSpec } from '../workloads/rtapp/parse.ts';
import type { KernelAbi, RingMode } from '../abi/capring.ts';

/**
 * Scheduler policies the kernel implements: SCHED-1 baseline `dwrr`, the Red Bear patches as
 * written `redbear` (models.md §1.7), SCHED-2..4 improved `fair`: the policies `smpsim policies`
 * and the conformance suite compare on every seed.
 */
export const SCHED_POLICIES = ['dwrr', 'redbear', 'fair'] as const;
/**
 * Every scheduler a scenario may name: the compared three and `gedf`, exact global EDF for
 * SCHED_DEADLINE task sets (issue 23), a reference for deadline scheduling rather than a
 * general-purpose policy (its SCHED_OTHER threads only share the CPUs no job is on).
 */
export const SCHEDULERS = [...SCHED_POLICIES, 'gedf'] as const;
export type SchedPolicyName = (typeof SCHEDULERS)[number];
/** One of the compared three. */
export type ComparedPolicyName = (typeof SCHED_POLICIES)[number];

/**
 * Tick sources (HW-12): the PIT on the BSP relayed by IPI, a per-CPU LAPIC periodic timer, or
 * the LAPIC timer in TSC-deadline mode, one-shot and tickless (`hz` is then the nominal tick the
 * policies count their quanta in).
 */
export const TICK_SOURCES = ['pit', 'lapic', 'tsc-deadline'] as const;
export type TickSourceName = (typeof TICK_SOURCES)[number];

export const WORKLOAD_KINDS = ['primes', 'spin', 'pingpong', 'futexhash', 'program', 'rtapp'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export const PRIMES_MODES = ['process', 'thread'] as const;
export type PrimesMode = (typeof PRIMES_MODES)[number];

export const PRIMES_PARTITIONS = ['interleaved', 'contiguous'] as const;
export type PrimesPartition = (typeof PRIMES_PARTITIONS)[number];

export interface TopologyConfig {
  /** Number of logical CPUs, 1..256. */
  cpus: number;
  /** Hardware threads per core (1 or 2). */
  smt: number;
  /** Packages (sockets); CPUs are split evenly. */
  packages: number;
  /** NUMA nodes; packages are split evenly across nodes. */
  numaNodes: number;
  /** SLIT distance between two different nodes (local is always 10). */
  numaRemoteDistance: number;
  /** Each CPU's TLB sizes (hw/tlb.ts); Skylake's when absent. */
  tlb?: TlbSpec;
}

export interface TickConfig {
  source: TickSourceName;
  /** LAPIC periodic rate; ignored for the PIT, whose rate is fixed by its divisor. */
  hz: number;
}

import type { ProcOptions } from '../kernel/proc-options.ts';
import type { OrphanMode } from '../kernel/orphans.ts';
import type { TscCalibration } from '../kernel/clock/tsc-calibrate.ts';
import type { GovernorName } from '../kernel/cpufreq/governors.ts';
import type { FirmwareBug } from '../hw/acpi/bugs.ts';
import type { ParserName } from '../kernel/acpi/types.ts';
import type { BootOptions } from '../kernel/boot/plan.ts';
import type { FutexMode } from '../kernel/futex/table.ts';
import type { TlbOptions } from '../kernel/tlb/state.ts';
import type { KernelLockKind } from '../kernel/locks/mcs-lock.ts';
import type { DonationOptions, LockDemoOptions } from '../kernel/locks/lock-demo.ts';
import type { MmOptions } from '../kernel/mm-options.ts';
import type { TlbSpec } from '../hw/tlb.ts';
import type { DeviceSetupConfig } from './device-config.ts';
import type { LibcVariantName } from '../libc/variant.ts';
import type { ParamValue } from '../workloads/program.ts';

/** Futex table modes (FUTEX-1..8): Redox's code, the Red Bear patches, Linux's semantics. */
export { FUTEX_MODES, type FutexMode } from '../kernel/futex/table.ts';

import type { FdOptions } from '../kernel/fd/mode.ts';

export interface KernelConfig {
  /** The built-in policy, or with `policyModule` the preset the machine around that policy takes. */
  scheduler: SchedPolicyName;
  /**
   * Your own policy (issue 22): the absolute path of a module exporting createPolicy
   * (kernel/sched/module-policy.ts), which replaces the built-in policy; absent: `scheduler`'s.
   */
  policyModule?: string;
  /** The futex table: its mode and shard count (redox always has one global lock). */
  futex: { mode: FutexMode; shards: number };
  /**
   * NUMA awareness of `fair` (SCHED-6): steal on the own node first, weigh SLIT distances and
   * remote-memory slowdown in placement. On by default; off to compare. dwrr ignores it.
   */
  numa: boolean;
  /** TLB shootdown protocol, PCID, timeout and fault injection (kernel/tlb/state.ts). */
  tlb: TlbOptions;
  /** `[kernel] fd`: descriptor semantics and the scheme queue bound (kernel/fd/mode.ts); absent: the futex mode's. */
  fd?: FdOptions;
  /** Thread and process creation (kernel/proc-options.ts, issue 24); absent: Redox's as it is. */
  proc?: ProcOptions;
  /** The kernel personality (issue 20); absent: redox. */
  abi?: KernelAbi;
  /** capring only: one ring per process or per thread (RING-2, RING-3); absent: process. */
  rings?: RingMode;
  /** RING-5: `latch` (one AP owns scheduling, the BSP idles) or `percpu`; absent: percpu. */
  schedOwner?: 'latch' | 'percpu';
  /** The kernel's spinlocks: `tas` (hw/spinlock.ts, the default when absent) or `mcs` (SCHED-10). */
  locks?: KernelLockKind;
  /** Donation of the donating MCS locks (kernel/locks/donation.ts); chain, depth 4 when absent. */
  donation?: DonationOptions;
  /** Kernel threads holding donating locks across preemption points (kernel/locks/lock-demo.ts). */
  lockDemo?: LockDemoOptions;
  /** Demand paging and copy-on-write fork (kernel/mm-options.ts); eager and copy when absent. */
  mm?: MmOptions;
  /** `[kernel] orphans`: where an exiting process's children go (kernel/orphans.ts); absent: redox. */
  orphans?: OrphanMode;
  /** `[faults] switch` (SCHED-9): the schedule() calls that fault under the switch lock; absent: none. */
  switchFaults?: readonly number[];
}

/** Libc variants (LIBC-1..4): relibc's code as it behaves, or the POSIX/glibc-like improved one. */
export { LIBC_VARIANTS, type LibcVariantName } from '../libc/variant.ts';

export interface LibcConfig {
  /** relibc speaks the Redox futex ABI (redox, redbear); improved speaks Linux's (linux). */
  variant: LibcVariantName;
}

export interface PrimesWorkload {
  kind: 'primes';
  mode: PrimesMode;
  workers: number;
  /** Half-open range [lo, hi) of integers to test. */
  range: [number, number];
  /** Integers per segment; segments are dealt to workers by `partition`. */
  segment: number;
  partition: PrimesPartition;
  /**
   * capring only (issue 20, RING-2): each worker sleeps this long on its ring after every
   * segment, a Timeout operation, so the timed section waits in cap_enter. Absent: no sleep.
   */
  sleepNs?: number;
  /**
   * The cycles charged per trial division and per candidate (issue 23): the cost model's
   * `divisionCycles` and `candidateCycles`, which init hands the workload only when `[costs]`
   * gives them (a calibrated host profile, machine/init.ts), so runs without them are unchanged.
   */
  divisionCycles?: number;
  candidateCycles?: number;
}

/** CPU-bound threads that only compute: the simulator's own speed benchmark. */
export interface SpinWorkload {
  kind: 'spin';
  threads: number;
  /** Compute effects each thread yields. */
  iterations: number;
  /** Cycles each compute effect costs. */
  cycles: number;
}

/** Two threads handing a token back and forth through futexes. */
export interface PingPongWorkload {
  kind: 'pingpong';
  pairs: number;
  rounds: number;
}

/** Threads calling FUTEX_WAIT with a value that never matches: the futex table's lock throughput. */
export interface FutexHashWorkload {
  kind: 'futexhash';
  threads: number;
  futexes: number;
  ops: number;
}

/** A guest program from `workloads/registry.ts`, run with its validated parameters. */
export interface ProgramWorkload {
  kind: 'program';
  program: string;
  /** Your own program (issue 22): the absolute path of its module (workloads/program-module.ts). */
  module?: string;
  params: Record<string, ParamValue>;
}

/** An rt-app JSON task description (issue 22; workloads/rtapp/), parsed when the scenario is read. */
export interface RtappWorkload {
  kind: 'rtapp';
  /** The description's absolute path. */
  file: string;
  spec: RtappSpec;
}

export type WorkloadConfig =
  | PrimesWorkload
  | SpinWorkload
  | PingPongWorkload
  | FutexHashWorkload
  | ProgramWorkload
  | RtappWorkload;

/** The name a workload's process runs under and publishes its output by. */
export function workloadName(w: WorkloadConfig): string {
  return w.kind === 'program' ? w.program : w.kind;
}

/**
 * The machine's firmware (HW-7, HW-14): which parser the kernel learns it with, the firmware bugs
 * its tables ship with, and whether CPUID offers x2APIC (HW-6).
 */
export interface FirmwareConfig {
  /** `redox` (Redox's code, 128 CPUs) or `hardened` (Linux's checks, 256): see kernel/acpi/. */
  parser: ParserName;
  bugs: FirmwareBug[];
  x2apic: boolean;
  /** A real machine's table files shipped instead of the built ones (`[firmware] tables`). */
  tables?: { dir: string; bytes: Uint8Array[] };
}

/** `[boot]`: whether the run starts from a simulated bring-up, and how it goes (kernel/boot/plan.ts). */
export interface BootConfig extends BootOptions {
  simulate: boolean;
}

export interface LimitsConfig {
  /** Simulated time after which the run stops with a limit error. */
  simNsMax: number;
  /** Engine events after which the run stops with a limit error. */
  eventsMax: number;
  /** Threads alive at once. */
  threadsMax: number;
  /**
   * Wall-clock seconds one invocation may take over all its runs (the sweep's and the variants'
   * included). Only aborts: the wall clock never reaches the simulation.
   */
  wallSMax: number;
  /** Runs one invocation may make: 1 + sweep CPU counts × runs + compare variants. */
  runsMax: number;
  /**
   * Simulated physical memory in MiB (`limits.memory_mib`); absent, it is sized for `threadsMax`
   * (defaults.ts `defaultMemoryBytes`).
   */
  memoryMib?: number;
}

/**
 * How a run may end: `exit`, the root process exits after reaping every workload; `deadlock`,
 * every thread blocks with no timeout; `limit`, the run hits a simulated-time or event limit.
 */
export const RUN_ENDS = ['exit', 'deadlock', 'limit'] as const;
export type RunEnd = (typeof RUN_ENDS)[number];

/**
 * What a scenario declares its run ends with (`[outcome]`). Anything else is a failed run, so a
 * workload that was killed or never started cannot pass as done (issue 12).
 */
export interface OutcomeConfig {
  /** How the run ends; `exit` unless declared. */
  ends: RunEnd;
  /** Guest processes a fatal signal kills during the run, exactly; 0 unless declared. */
  killed: number;
}

/** A comparison the run's metrics must satisfy; exactly one operator is set. */
export interface Expectation {
  metric: string;
  equals?: number;
  min?: number;
  max?: number;
  /** Human note shown when the check fails. */
  note?: string;
}

/**
 * A sweep runs the same scenario at several CPU counts, each with `runs` seeds, and derives
 * medians and speedups of one metric (SCHED-13, RING-6): `sweep.median_ns.<cpus>`,
 * `sweep.speedup.<cpus>` (relative to the first count) and `sweep.rejected_runs`.
 */
export interface SweepConfig {
  cpus: number[];
  runs: number;
  /** The metric that measures the time of each run (smaller is faster). */
  metric: string;
}

/**
 * A scenario's `[compare]`: the same scenario with some fields changed (its baseline, say),
 * run beside it, so one run measures an improvement against what it replaces. For each listed
 * metric the report gets `compare.<metric>` (the variant's value) and `ratio.<metric>`
 * (this run's value over the variant's). A scenario may instead name several variants as
 * `[[compare]]`; their metrics are then `compare.<name>.<metric>` and `ratio.<name>.<metric>`.
 */
export interface CompareConfig {
  name: string;
  /** The `path=value` changes that make the variant, as `--set` takes them. */
  set: string[];
  metrics: string[];
  /** What follows `compare.` and `ratio.` before the metric: '' for `[compare]`, `<name>.` in `[[compare]]`. */
  prefix: string;
  /** The variant, validated. */
  config: RunConfig;
}

/** `[clock]`: the calibration the BSP runs at boot (kernel/clock/); absent: none, as before. */
export interface ClockConfig {
  calibration: TscCalibration;
}

/** `[cpufreq]`: the P-state table (hardware) and the governor with its tunables (kernel). */
export interface CpufreqConfig {
  governor: GovernorName;
  /** Core clocks, highest first; the first is `machine.cpu_mhz`, the clock the TSC counts at. */
  pstatesMhz: number[];
  /** Active power per state, mW (an estimate: hw/pstate.ts). */
  powerMw: number[];
  idleMw: number;
  transitionLatencyUs: number;
  transitionDelayUs: number;
  upThreshold: number;
  samplingDownFactor: number;
}

export interface RunConfig {
  name: string;
  seed: number;
  /** Metrics that sum the scenario up (`headline`), tabulated per policy by `smpsim policies`. */
  headline: string[];
  machine: { topology: TopologyConfig; tick: TickConfig; cpuMhz: number };
  kernel: KernelConfig;
  libc: LibcConfig;
  clock: ClockConfig | null;
  cpufreq: CpufreqConfig | null;
  firmware: FirmwareConfig;
  boot: BootConfig;
  /** Cost-model overrides by parameter name (see `hw/cost-model.ts`). */
  costs: Record<string, number>;
  workloads: WorkloadConfig[];
  limits: LimitsConfig;
  /** How the run is declared to end; any other ending fails it. */
  outcome: OutcomeConfig;
  expect: Expectation[];
  sweep: SweepConfig | null;
  /** The variants run beside this one; empty for none. */
  compare: CompareConfig[];
  /** `[[device]]` with the IRQ routing and IOMMU (issue 18); absent: a machine without devices. */
  devices?: DeviceSetupConfig;
  /** `[[file]]`: files put in the machine's file: filesystem before boot (scenario/files.ts). */
  files?: FileSeed[];
  /** `[[step]]`: timed actions beside the workloads (scenario/steps.ts); absent: none. */
  steps?: ScenarioStep[];
}

/** What a `[[step]]` does (issue 18): a CPU offline or online, as the sysfs `online` write. */
export const STEP_ACTIONS = ['cpu_offline', 'cpu_online'] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];

/** One `[[step]]`: `action` on `cpu` at `atUs` after the workloads start. */
export interface ScenarioStep {
  atUs: number;
  action: StepAction;
  cpu: number;
}

/** One `[[file]]` of a scenario. */
export interface FileSeed {
  path: string;
  text: string;
}
