/**
 * Defaults for every field of a run's configuration, and the two presets: the baseline kernel
 * as its code behaves and the improved kernel its plans describe.
 * @module
 */
import { presetRaces } from '../kernel/boot/plan.ts';
import type {
  BootConfig,
  FirmwareConfig,
  FutexMode,
  KernelConfig,
  LibcConfig,
  PrimesWorkload,
  RunConfig,
  SchedPolicyName,
  TickConfig,
  TopologyConfig,
} from './config.ts';

/** Limits of the simulated machine (like xv6's param.h). */
export const CPUS_MAX = 256;
/** The default thread limit (`limits.threads_max`): what every run gets unless it asks for more. */
export const THREADS_MAX = 4096;
/**
 * The most threads a run may ask for. The machine honours it (frames are cheap until written,
 * and memory is sized for the count, below); 100,000 threads run in `smpsim bench` (issue 14).
 */
export const THREADS_LIMIT_MAX = 1_000_000;
/** Simulated physical memory for a run allowed the default thread count. */
export const MEMORY_BYTES_DEFAULT = 1 << 30;
/**
 * Memory each thread past the default count adds: a default stack (64 KiB) and its guard page,
 * and a page of descriptor, scratch and kernel-side data. Simulated memory costs the host only
 * what guests write (hw/memory.ts), so sizing it generously costs nothing.
 */
export const MEMORY_BYTES_PER_THREAD = 72 * 1024;

/**
 * Simulated memory for a run allowed `threadsMax` threads: 1 GiB, and 72 KiB more per thread past
 * the default 4096, so that a run asking for 100,000 threads does not run out of frames at 15,000.
 */
export function defaultMemoryBytes(threadsMax: number): number {
  return MEMORY_BYTES_DEFAULT + Math.max(0, threadsMax - THREADS_MAX) * MEMORY_BYTES_PER_THREAD;
}
export const SIM_NS_MAX_DEFAULT = 600_000_000_000; // 10 simulated minutes
export const EVENTS_MAX_DEFAULT = 200_000_000;
/** Wall-clock seconds per invocation: the longest seed scenario takes a few seconds. */
export const WALL_S_MAX_DEFAULT = 300;
export const WALL_S_MAX = 86_400;
/** Runs per invocation: the widest seed scenario makes 7 (a run and six [[compare]] variants). */
export const RUNS_MAX_DEFAULT = 64;
export const RUNS_MAX = 1000;

export function defaultTopology(cpus: number): TopologyConfig {
  return { cpus, smt: 1, packages: 1, numaNodes: 1, numaRemoteDistance: 20 };
}

/**
 * The tick each preset uses: the baseline's PIT relayed by IPI (HW-12, models.md §1.2), which
 * the Red Bear patches keep, and the improved kernel's per-CPU LAPIC timer at 1000 Hz.
 */
export function presetTick(policy: SchedPolicyName): TickConfig {
  return policy === 'fair' ? { source: 'lapic', hz: 1000 } : { source: 'pit', hz: 246 };
}

/**
 * The futex table each preset uses: the baseline's single global lock as Redox's code has it
 * (FUTEX-1, FUTEX-2), the Red Bear patches' 64 page-keyed shards, and the improved kernel's
 * Linux semantics over 64 shards.
 */
export function presetFutex(policy: SchedPolicyName): KernelConfig['futex'] {
  if (policy === 'dwrr') return { mode: 'redox', shards: 1 };
  if (policy === 'redbear') return { mode: 'redbear', shards: 64 };
  return { mode: 'linux', shards: 64 };
}

/**
 * The libc each futex ABI gets by default: relibc on Redox's (the baseline preset, dwrr), the
 * improved libc on Linux's (the improved preset, fair).
 */
export function presetLibc(mode: FutexMode): LibcConfig {
  return { variant: mode === 'linux' ? 'improved' : 'relibc' };
}

/**
 * The firmware parser each preset uses: Redox's own code for the baseline (dwrr) and the Red Bear
 * overlay, which leaves `src/acpi` as it is, and the hardened parser for the improved kernel.
 */
export function presetFirmware(policy: SchedPolicyName): FirmwareConfig {
  return { parser: policy === 'fair' ? 'hardened' : 'redox', bugs: [], x2apic: true };
}

/** The bring-up each preset runs when asked to simulate one: Redox's for the baseline, Linux's serial one for the improved kernel. */
export function presetBoot(policy: SchedPolicyName): BootConfig {
  const protocol = policy === 'fair' ? 'linux' : 'redox';
  return { simulate: false, protocol, races: presetRaces(protocol), legacyDelays: false, faults: [] };
}

export function defaultRunConfig(policy: SchedPolicyName = 'fair', cpus = 4): RunConfig {
  return {
    name: 'unnamed',
    seed: 1,
    headline: [],
    machine: { topology: defaultTopology(cpus), tick: presetTick(policy), cpuMhz: 3000 },
    kernel: { scheduler: policy, futex: presetFutex(policy), numa: true },
    libc: presetLibc(presetFutex(policy).mode),
    firmware: presetFirmware(policy),
    boot: presetBoot(policy),
    costs: {},
    workloads: [],
    limits: {
      simNsMax: SIM_NS_MAX_DEFAULT,
      eventsMax: EVENTS_MAX_DEFAULT,
      threadsMax: THREADS_MAX,
      wallSMax: WALL_S_MAX_DEFAULT,
      runsMax: RUNS_MAX_DEFAULT,
    },
    outcome: { ends: 'exit', killed: 0 },
    expect: [],
    sweep: null,
    compare: [],
  };
}

/** The primes workload's defaults (SCHED-13, RING-6): π(2,000,000) = 148933. */
export const PRIMES_DEFAULT = {
  range: [2, 2_000_000] as [number, number],
  segment: 10_000,
  partition: 'interleaved' as const,
  mode: 'process' as const,
};
export const PRIMES_COUNT_2M = 148933;

/** A primes workload with the defaults above; `fields` overrides any of them. */
export function primesWorkload(fields: Partial<Omit<PrimesWorkload, 'kind'>> = {}): PrimesWorkload {
  return {
    kind: 'primes',
    mode: PRIMES_DEFAULT.mode,
    workers: 4,
    range: PRIMES_DEFAULT.range,
    segment: PRIMES_DEFAULT.segment,
    partition: PRIMES_DEFAULT.partition,
    ...fields,
  };
}
