/** Renders a RunConfig back to scenario TOML, every field explicit, so a configuration can be saved and rerun. */
import { stringify } from 'smol-toml';
import type { RunConfig, WorkloadConfig } from '../machine/config.ts';

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
    },
    kernel: {
      scheduler: config.kernel.scheduler,
      futex: { ...config.kernel.futex },
      numa: config.kernel.numa,
    },
    libc: { variant: config.libc.variant },
    boot: {
      simulate: config.boot.simulate,
      protocol: config.boot.protocol,
      legacy_delays: config.boot.legacyDelays,
      k1_counter_race: config.boot.races.counter,
      k2_dual_ready: config.boot.races.dualReady,
      k8_node_late: config.boot.races.nodeLate,
      faults: config.boot.faults.map((f) => `${f.cpu}:${f.fault}`),
    },
    firmware: {
      parser: config.firmware.parser,
      bugs: [...config.firmware.bugs],
      x2apic: config.firmware.x2apic,
    },
    costs: nullProtoCopy(config.costs),
    limits: {
      sim_ns_max: config.limits.simNsMax,
      events_max: config.limits.eventsMax,
      threads_max: config.limits.threadsMax,
      wall_s_max: config.limits.wallSMax,
      runs_max: config.limits.runsMax,
    },
    outcome: { ends: config.outcome.ends, killed: config.outcome.killed },
    workload: config.workloads.map(renderWorkload),
    expect: config.expect.map((e) => ({ ...e })),
    ...(config.sweep === null ? {} : { sweep: { ...config.sweep, cpus: [...config.sweep.cpus] } }),
    ...compareTables(config),
  };
  return stringify(doc);
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
  // Spread keeps the TOML key order equal to the config's; only primes has a non-scalar field.
  return w.kind === 'primes' ? { ...w, range: [...w.range] } : { ...w };
}

/** A copy whose keys cannot collide with Object.prototype (a cost called `__proto__` stays a key). */
function nullProtoCopy(record: Record<string, number>): Record<string, number> {
  const copy: Record<string, number> = Object.create(null);
  for (const [key, value] of Object.entries(record)) copy[key] = value;
  return copy;
}
