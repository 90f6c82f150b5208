/** Renders a RunConfig back to scenario TOML, every field explicit, so a configuration can be saved and rerun. */
import { renderKernelLocks } from './locks.ts';
import { stringify } from 'smol-toml';
import { renderDevices } from './devices.ts';
import type { CpufreqConfig, RunConfig, WorkloadConfig } from '../machine/config.ts';

/**
 * The scenario text that `parseScenario` turns back into `config` (the inverse of loading, with all
 * defaults written out). Used to record the exact configuration of generated runs.
 */
export function renderScenario(config: RunConfig): string {
  const { topology, tick, cpuMhz } = config.machine;
  const doc = {
    name: config.name,
    seed: config.seed,
    ...(config.headline.length === 0 ? {} : { headline: [...config.headline] }),
    machine: {
      cpus: topology.cpus,
      smt: topology.smt,
      packages: topology.packages,
      numa_nodes: topology.numaNodes,
      numa_remote_distance: topology.numaRemoteDistance,
      cpu_mhz: cpuMhz,
      tick: { source: tick.source, hz: tick.hz },
      ...(config.devices === undefined ? {} : { iommu: config.devices.iommu }),
      ...(topology.tlb === undefined
        ? {}
        : {
            tlb: {
              l1: topology.tlb.l1Entries,
              l1_ways: topology.tlb.l1Ways,
              l2: topology.tlb.l2Entries,
              l2_ways: topology.tlb.l2Ways,
            },
          }),
    },
    kernel: renderKernel(config),
    faults: {
      tlb_drop_ipi: [...config.kernel.tlb.dropIpi],
      tlb_skip_flush: [...config.kernel.tlb.skipFlush],
      ...(config.kernel.switchFaults === undefined ? {} : { switch: [...config.kernel.switchFaults] }),
    },
    libc: { variant: config.libc.variant },
    ...(config.clock === null ? {} : { clock: { calibration: config.clock.calibration } }),
    ...(config.cpufreq === null ? {} : { cpufreq: renderCpufreq(config.cpufreq) }),
    ...renderBringUp(config),
    costs: nullProtoCopy(config.costs),
    limits: {
      sim_ns_max: config.limits.simNsMax,
      events_max: config.limits.eventsMax,
      threads_max: config.limits.threadsMax,
      wall_s_max: config.limits.wallSMax,
      runs_max: config.limits.runsMax,
      ...(config.limits.memoryMib === undefined ? {} : { memory_mib: config.limits.memoryMib }),
    },
    outcome: { ends: config.outcome.ends, killed: config.outcome.killed },
    workload: config.workloads.map(renderWorkload),
    ...(config.devices === undefined ? {} : { device: renderDevices(config.devices.devices) }),
    expect: config.expect.map((e) => ({ ...e })),
    ...(config.sweep === null ? {} : { sweep: { ...config.sweep, cpus: [...config.sweep.cpus] } }),
    ...compareTables(config),
    ...(config.files === undefined
      ? {}
      : { file: config.files.map((f) => ({ path: f.path, text: f.text })) }),
    // devices (issue 18): [[step]] (scenario/steps.ts)
    ...(config.steps === undefined
      ? {}
      : { step: config.steps.map((st) => ({ at_us: st.atUs, action: st.action, cpu: st.cpu })) }),
  };
  return stringify(doc);
}

/** `[kernel]`: the scheduler, futexes, TLB protocol and each subsystem's keys, when set. */
function renderKernel(config: RunConfig): Record<string, unknown> {
  return {
    scheduler: config.kernel.scheduler,
    futex: { ...config.kernel.futex },
    numa: config.kernel.numa,
    tlb: config.kernel.tlb.protocol,
    pcid: config.kernel.tlb.pcid,
    tlb_timeout_us: config.kernel.tlb.timeoutNs / 1000,
    ...(config.kernel.fd === undefined ? {} : { fd: renderFd(config.kernel.fd) }),
    ...renderProc(config),
    ...(config.devices === undefined ? {} : { irq_routing: config.devices.irqRouting }),
    ...(config.kernel.abi === undefined ? {} : { abi: config.kernel.abi }),
    ...(config.kernel.rings === undefined ? {} : { rings: config.kernel.rings }),
    ...(config.kernel.schedOwner === undefined ? {} : { sched_owner: config.kernel.schedOwner }),
    ...(config.kernel.orphans === undefined ? {} : { orphans: config.kernel.orphans }),
    ...renderKernelLocks(config.kernel),
    ...(config.kernel.mm === undefined
      ? {}
      : { paging: config.kernel.mm.paging, fork: config.kernel.mm.fork }),
  };
}

function renderFd(fd: NonNullable<RunConfig['kernel']['fd']>): Record<string, unknown> {
  return {
    mode: fd.mode,
    ...(fd.schemeQueueMax === undefined ? {} : { scheme_queue_max: fd.schemeQueueMax }),
  };
}

/** `[boot]` and `[firmware]`: the bring-up and the firmware the kernel parses (issue 16). */
function renderBringUp(config: RunConfig): Record<string, unknown> {
  const { boot, firmware } = config;
  return {
    boot: {
      simulate: boot.simulate,
      protocol: boot.protocol,
      legacy_delays: boot.legacyDelays,
      k1_counter_race: boot.races.counter,
      k2_dual_ready: boot.races.dualReady,
      k8_node_late: boot.races.nodeLate,
      faults: boot.faults.map((f) => `${f.cpu}:${f.fault}`),
    },
    firmware: {
      parser: firmware.parser,
      bugs: [...firmware.bugs],
      x2apic: firmware.x2apic,
      ...(firmware.tables === undefined ? {} : { tables: firmware.tables.dir }),
    },
  };
}

/** `[compare]` as one table, `[[compare]]` as an array: what the scenario itself wrote. */
function compareTables(config: RunConfig): Record<string, unknown> {
  const tables = config.compare.map((c) => ({ name: c.name, set: [...c.set], metrics: [...c.metrics] }));
  if (tables.length === 0) return {};
  return { compare: config.compare.length === 1 && config.compare[0]!.prefix === '' ? tables[0] : tables };
}

function renderWorkload(w: WorkloadConfig): Record<string, unknown> {
  // A program's parameters sit beside `program` in the file, as the loader reads them.
  if (w.kind === 'program') {
    const params = Object.entries(w.params).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]);
    return { kind: w.kind, program: w.program, ...Object.fromEntries(params) };
  }
  if (w.kind === 'rtapp') return { kind: w.kind, file: w.file };
  // Spread keeps the TOML key order equal to the config's; only primes has a non-scalar field.
  if (w.kind !== 'primes') return { ...w };
  // The one camel-case field: the file's key is `sleep_ns` (scenario/workload.ts).
  const { sleepNs, ...rest } = w;
  return { ...rest, range: [...w.range], ...(sleepNs === undefined ? {} : { sleep_ns: sleepNs }) };
}

/** A copy whose keys cannot collide with Object.prototype (a cost called `__proto__` stays a key). */
function nullProtoCopy(record: Record<string, number>): Record<string, number> {
  const copy: Record<string, number> = Object.create(null);
  for (const [key, value] of Object.entries(record)) copy[key] = value;
  return copy;
}

function renderCpufreq(c: CpufreqConfig): Record<string, unknown> {
  return {
    governor: c.governor,
    pstates_mhz: [...c.pstatesMhz],
    power_mw: [...c.powerMw],
    idle_mw: c.idleMw,
    transition_latency_us: c.transitionLatencyUs,
    transition_delay_us: c.transitionDelayUs,
    up_threshold: c.upThreshold,
    sampling_down_factor: c.samplingDownFactor,
  };
}

/** The `[kernel]` keys of thread and process creation (scenario/proc.ts), when the scenario has them. */
function renderProc(config: RunConfig): Record<string, unknown> {
  const proc = config.kernel.proc;
  if (proc === undefined) return {};
  return {
    thread_create: proc.threadCreate ?? 'redox',
    context_pool: proc.contextPool ?? 0,
    proc_shm: proc.shm === true,
    spawn: proc.vforkSpawn === true ? 'vfork' : 'fork-exec',
  };
}
