/**
 * The simulated board: the engine's CPU handlers, the CPUs with their clocks and LAPICs, the APIC
 * bus between them, physical memory, page tables and TLBs, the timers and the devices registered with it (device-bus.ts).
 * Built by the machine layer; the kernel then installs its hooks on every CPU.
 */
import { ChoiceKind, type Decider } from '../engine/decider.ts';
import { Engine } from '../engine/engine.ts';
import { TraceHash } from '../engine/trace-hash.ts';
import type { CostModel } from './cost-model.ts';
import { Cpu, type CpuBus } from './cpu.ts';
import { DeviceBus } from './device-bus.ts';
import { ApicBus } from './lapic.ts';
import { PhysicalMemory } from './memory.ts';
import { PageTableStore } from './page-table.ts';
import { Tlb } from './tlb.ts';
import { Topology, type TopologySpec } from './topology.ts';
import { LapicCounter } from './lapic-count.ts';
import { TscBank } from './tsc.ts';

export interface BoardSpec {
  topology: TopologySpec;
  cpuMhz: number;
  memoryBytes: number;
  costs: CostModel;
  decider: Decider;
}

export class Board implements CpuBus {
  readonly engine: Engine;
  readonly costs: CostModel;
  readonly topology: Topology;
  readonly trace: TraceHash;
  readonly cpus: Cpu[] = [];
  readonly memory: PhysicalMemory;
  /** Every address space's page-table pages (the walk reads them) and each CPU's TLB. */
  readonly pageTables = new PageTableStore();
  readonly tlbs: Tlb[] = [];
  readonly apic: ApicBus;
  readonly devices: DeviceBus;
  readonly kindResume: number;
  /** Every CPU's TSC at its true rate (tsc.ts); the core clocks may change, the TSCs do not. */
  readonly tsc: TscBank;
  /** The LAPIC timers' count registers, as calibration reads them (lapic-count.ts). */
  readonly lapicCounter: LapicCounter;

  constructor(spec: BoardSpec) {
    this.engine = new Engine(spec.decider);
    this.trace = new TraceHash(this.engine); // every record carries the engine's time
    this.costs = spec.costs;
    this.topology = new Topology(spec.topology);
    const topology = this.topology;
    this.memory = new PhysicalMemory(spec.memoryBytes, topology.nodeCount, (a, b) =>
      topology.nodeDistance(a, b),
    );
    const cpus = this.cpus;
    this.kindResume = this.engine.register('cpu-resume', (cpuId, gen) => cpus[cpuId]!.onResume(gen), true);
    this.apic = new ApicBus(this.engine, topology, this.costs, this.trace);
    this.devices = new DeviceBus(this.engine);
    const skewPpm = spec.costs.cpuSkewPpm;
    for (let id = 0; id < this.topology.count; id++) {
      // Each CPU's effective speed differs slightly run to run (turbo, thermal, cache state).
      const skew = skewPpm > 0 ? spec.decider.choose(ChoiceKind.Boot, 2 * skewPpm + 1, null) - skewPpm : 0;
      cpus.push(new Cpu(id, this, (spec.cpuMhz / 1000) * (1 + skew / 1_000_000)));
      this.tlbs.push(new Tlb(spec.topology.tlb));
    }
    this.tsc = new TscBank(
      cpus.map((c) => c.cyclesPerNs),
      spec.cpuMhz / 1000,
    );
    this.lapicCounter = new LapicCounter(this.tsc);
  }
}
