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
import { TLB_OPTIONS_DEFAULT } from '../kernel/tlb/state.ts';

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
/**
 * The most simulated memory a run may ask for (`limits.memory_mib`): 256 GiB, past the 69 GiB a
 * million-thread limit sizes by default. Untouched frames cost the host nothing, but the
 * allocator's state grows by a word per 4 KiB frame the run does touch.
 */
export const MEMORY_MIB_MAX = 256 * 1024;
/** The least: 16 MiB holds the kernel's own frames and a few threads. */
export const MEMORY_MIB_MIN = 16;

/** A run's simulated memory in bytes: `limits.memory_mib` when set, else sized for its thread limit. */
export function memoryBytesOf(limits: { threadsMax: number; memoryMib?: number }): number {
  return limits.memoryMib === undefined
    ? defaultMemoryBytes(limits.threadsMax)
    : limits.memoryMib * 1024 * 1024;
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
 * What a scheduler policy brings with it when a scenario does not say: one row per policy the
 * registry knows (config.ts SCHED_POLICIES; the mapped type refuses a policy without a row at
 * compile time, `policyPreset` at run time), every field stated. Each row is the kernel that
 * policy belongs to, as its code has it:
 * - dwrr, the Redox baseline: the PIT relayed by IPI (divisor 4847, about 246 Hz; HW-12,
 *   models.md §1.2), the single global futex lock (FUTEX-1, FUTEX-2), relibc, and timeouts
 *   expired at ticks and switches (no hrtimers);
 * - redbear, the Red Bear patches: the same PIT, 64 page-keyed futex shards, relibc, no hrtimers;
 * - fair, the improved kernel: a per-CPU LAPIC timer at 1000 Hz, Linux futex semantics over 64
 *   shards, the improved libc, and high-resolution timers (kernel/hrtimer.ts);
 * - gedf, exact global EDF (issue 23): the improved kernel, tickless (TSC-deadline), so that no
 *   periodic tick stands between a release and the switch it causes.
 * The README shows the table (scripts/update-readme.mjs writes it; test/machine/presets.test.ts checks).
 */
export interface PolicyPreset {
  /** Which kernel the policy's defaults model. */
  readonly kernel: 'baseline' | 'red bear' | 'improved';
  readonly tick: Readonly<TickConfig>;
  readonly futex: Readonly<KernelConfig['futex']>;
  /** The libc the futex mode speaks (presetLibc gives the same for any scenario's mode). */
  readonly libc: LibcConfig['variant'];
  /** High-resolution timers: timed waits end at their expiry, not at the next tick or switch. */
  readonly hrtimers: boolean;
}

export const POLICY_PRESETS: { readonly [P in SchedPolicyName]: PolicyPreset } = {
  dwrr: {
    kernel: 'baseline',
    tick: { source: 'pit', hz: 246 },
    futex: { mode: 'redox', shards: 1 },
    libc: 'relibc',
    hrtimers: false,
  },
  redbear: {
    kernel: 'red bear',
    tick: { source: 'pit', hz: 246 },
    futex: { mode: 'redbear', shards: 64 },
    libc: 'relibc',
    hrtimers: false,
  },
  fair: {
    kernel: 'improved',
    tick: { source: 'lapic', hz: 1000 },
    futex: { mode: 'linux', shards: 64 },
    libc: 'improved',
    hrtimers: true,
  },
  gedf: {
    kernel: 'improved',
    tick: { source: 'tsc-deadline', hz: 1000 },
    futex: { mode: 'linux', shards: 64 },
    libc: 'improved',
    hrtimers: true,
  },
};

/** The preset row of `policy`; a policy the table has no row for is refused, never defaulted. */
export function policyPreset(policy: SchedPolicyName): PolicyPreset {
  if (!Object.hasOwn(POLICY_PRESETS, policy)) {
    const rows = Object.keys(POLICY_PRESETS).join(', ');
    throw new Error(`machine: scheduler policy '${policy}' has no row in POLICY_PRESETS (rows: ${rows})`);
  }
  return POLICY_PRESETS[policy];
}

/** The tick the policy's preset uses (a fresh copy: configurations are edited by `--set`). */
export function presetTick(policy: SchedPolicyName): TickConfig {
  return { ...policyPreset(policy).tick };
}

/** The futex table the policy's preset uses (a fresh copy). */
export function presetFutex(policy: SchedPolicyName): KernelConfig['futex'] {
  return { ...policyPreset(policy).futex };
}

/**
 * The libc each futex ABI gets by default: relibc on Redox's (the baseline preset, dwrr), the
 * improved libc on Linux's (the improved preset, fair).
 */
export function presetLibc(mode: FutexMode): LibcConfig {
  return { variant: mode === 'linux' ? 'improved' : 'relibc' };
}

/** The policy presets as a markdown table, for the README. */
export function policyPresetsMarkdown(): string[] {
  const rows = Object.entries(POLICY_PRESETS).map(([name, p]) => {
    const tick = p.tick.source === 'pit' ? 'pit (divisor 4847, ~246 Hz)' : `${p.tick.source} ${p.tick.hz} Hz`;
    const futex = `${p.futex.mode}, ${p.futex.shards} shard${p.futex.shards === 1 ? '' : 's'}`;
    return `| \`${name}\` | ${p.kernel} | ${tick} | ${futex} | ${p.libc} | ${p.hrtimers ? 'on' : 'off'} |`;
  });
  return [
    '| policy | kernel | tick | futex | libc | hrtimers |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

/**
 * The firmware parser each preset uses: Redox's own code for the baseline (dwrr) and the Red Bear
 * overlay, which leaves `src/acpi` as it is, and the hardened parser for the improved kernel.
 */
export function presetFirmware(policy: SchedPolicyName): FirmwareConfig {
  return {
    parser: policyPreset(policy).kernel === 'improved' ? 'hardened' : 'redox',
    bugs: [],
    x2apic: true,
  };
}

/** The bring-up each preset runs when asked to simulate one: Redox's for the baseline, Linux's serial one for the improved kernel. */
export function presetBoot(policy: SchedPolicyName): BootConfig {
  const protocol = policyPreset(policy).kernel === 'improved' ? 'linux' : 'redox';
  return { simulate: false, protocol, races: presetRaces(protocol), legacyDelays: false, faults: [] };
}

export function defaultRunConfig(policy: SchedPolicyName = 'fair', cpus = 4): RunConfig {
  return {
    name: 'unnamed',
    seed: 1,
    headline: [],
    machine: { topology: defaultTopology(cpus), tick: presetTick(policy), cpuMhz: 3000 },
    kernel: { scheduler: policy, futex: presetFutex(policy), numa: true, tlb: TLB_OPTIONS_DEFAULT },
    libc: { variant: policyPreset(policy).libc },
    clock: null,
    cpufreq: null,
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
