/**
 * The simulated board: the engine's CPU handlers, the CPUs with their clocks and LAPICs, the APIC
 * bus between them, physical memory, page tables and TLBs, the timers and the devices registered with it (device-bus.ts).
 * Built by the machine layer; the kernel then installs its hooks on every CPU.
 *
 * The board carries its firmware: ACPI tables built from the topology (or given as bytes, a real
 * machine's dump), with any injected firmware bugs, placed in reserved memory with the RSDP's
 * address for the bootloader to hand over (HW-7, HW-14). The kernel learns the machine from them.
 */
import { ChoiceKind, type Decider } from '../engine/decider.ts';
import { Engine } from '../engine/engine.ts';
import { TraceHash } from '../engine/trace-hash.ts';
import type { CostModel } from './cost-model.ts';
import { Cpu, type CpuBus } from './cpu.ts';
import { cpuTimeTable } from './cpu-times.ts';
import { DeviceBus } from './device-bus.ts';
import { ApicBus } from './lapic.ts';
import { PhysicalMemory } from './memory.ts';
import { PageTableStore } from './page-table.ts';
import { Tlb } from './tlb.ts';
import { Topology, type TopologySpec } from './topology.ts';
import { LapicCounter } from './lapic-count.ts';
import { TscBank } from './tsc.ts';
import { type FirmwareBug, injectFirmwareBugs } from './acpi/bugs.ts';
import { type FirmwareImage, installFirmware } from './acpi/image.ts';
import { specFromTopology } from './acpi/spec.ts';
import { buildTables, type TableSet, tableSignature } from './acpi/tables.ts';
import { StartupController } from './ap-startup.ts';
import { cpuidOf } from './cpuid.ts';
import { PAGE_SIZE } from './memory.ts';

const NUMA_TABLES = new Set(['SRAT', 'SLIT']);

export interface FirmwareSpec {
  /** Table bytes to ship instead of the ones built from the topology (a real machine's). */
  tables?: readonly Uint8Array[];
  /** Firmware bugs injected into the tables (hw/acpi/bugs.ts). */
  bugs?: readonly FirmwareBug[];
}

export interface BoardSpec {
  topology: TopologySpec;
  cpuMhz: number;
  memoryBytes: number;
  costs: CostModel;
  decider: Decider;
  firmware?: FirmwareSpec;
  /** CPUID's x2APIC feature bit (HW-6); on unless a scenario takes it away. */
  x2apic?: boolean;
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
  readonly kindResume: number = 0;
  /** The CPUs' time rows (cpu-times.ts): one table, a 64-byte row a CPU. */
  readonly cpuTimes: Float64Array;
  /** Every CPU's TSC at its true rate (tsc.ts); the core clocks may change, the TSCs do not. */
  readonly tsc: TscBank;
  /** The LAPIC timers' count registers, as calibration reads them (lapic-count.ts). */
  readonly lapicCounter: LapicCounter;
  /** The ACPI tables in memory and the RSDP address the bootloader hands the kernel. */
  readonly firmware: FirmwareImage;
  /** INIT and SIPI delivery, each CPU's wait-for-SIPI state, and AP faults (ap-startup.ts). */
  readonly startup: StartupController;

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
    this.kindResume = this.engine.registerTargets('cpu-resume', cpus, true);
    this.apic = new ApicBus(this.engine, topology, this.costs, this.trace);
    this.devices = new DeviceBus(this.engine);
    const skewPpm = spec.costs.cpuSkewPpm;
    this.cpuTimes = cpuTimeTable(this.topology.count);
    for (let id = 0; id < this.topology.count; id++) {
      // Each CPU's effective speed differs slightly run to run (turbo, thermal, cache state).
      const skew = skewPpm > 0 ? spec.decider.choose(ChoiceKind.Boot, 2 * skewPpm + 1, null) - skewPpm : 0;
      const cpuid = cpuidOf(topology, id, spec.x2apic ?? true, spec.cpuMhz * 1000);
      cpus.push(new Cpu(id, this, (spec.cpuMhz / 1000) * (1 + skew / 1_000_000), cpuid));
      this.tlbs.push(new Tlb(spec.topology.tlb));
    }
    this.tsc = new TscBank(
      cpus.map((c) => c.cyclesPerNs),
      spec.cpuMhz / 1000,
    );
    this.lapicCounter = new LapicCounter(this.tsc);
    this.startup = new StartupController(this.engine, cpus, this.apic, this.costs, this.trace);
    this.firmware = installFirmware(
      this.memory,
      boardTables(topology, this.memory.frameCount, spec.firmware),
      {
        rsdp: 'reserved',
      },
    );
  }
}

/**
 * The tables the board's firmware ships: its own description, or the given bytes, with bugs. A
 * one-node machine ships no SRAT or SLIT, as QEMU without `-numa` and most single-socket firmware
 * do (Linux then puts everything on node 0, and so does each parser).
 */
function boardTables(topology: Topology, frames: number, firmware: FirmwareSpec = {}): TableSet {
  const numa = (t: { bytes: Uint8Array }) => topology.nodeCount > 1 || !NUMA_TABLES.has(tableSignature(t));
  const built =
    firmware.tables !== undefined
      ? firmware.tables.map((bytes) => ({ bytes }))
      : buildTables(specFromTopology(topology, { memoryBytes: frames * PAGE_SIZE })).filter(numa);
  return firmware.bugs === undefined || firmware.bugs.length === 0
    ? built
    : injectFirmwareBugs(built, firmware.bugs);
}
