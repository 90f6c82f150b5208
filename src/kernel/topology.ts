/**
 * The machine as the kernel knows it (HW-14): the CPUs, NUMA nodes and distances it learnt by
 * parsing the firmware tables (kernel/acpi/), with each APIC id split into package, core and SMT
 * thread by CPUID leaf 0xB's shift widths read on the boot CPU (Linux
 * arch/x86/kernel/cpu/topology_ext.c and topology.c do the same). Every kernel consumer —
 * schedulers, first-touch NUMA placement, getcpu — reads this, never the hardware's Topology.
 *
 * A CPU's id is the index of the LAPIC that answers to its APIC id (the board wires LAPICs in the
 * order its firmware lists them, so on the machines the board builds that is MADT order, BSP
 * first, as Linux numbers logical CPUs). A table entry no LAPIC answers to, an x2APIC id with no
 * x2APIC, or a second entry for one CPU gives no CPU, with a finding.
 */
import type { CpuidInfo } from '../hw/cpuid.ts';
import { MigrationLevel, type TopologyView } from '../hw/topology.ts';
import { type FirmwareCpu, type FirmwareTopology, report } from './acpi/types.ts';

/** xAPIC ids end below 255 (0xFF is broadcast); above, a CPU needs x2APIC mode (HW-6). */
const XAPIC_ID_LIMIT = 255;

export interface KernelCpu {
  cpuId: number;
  apicId: number;
  packageId: number;
  /** The core's id: the APIC id above the SMT field (unique on the machine). */
  coreId: number;
  nodeId: number;
  /**
   * False for a hole: a CPU id below a listed one whose CPU the tables do not name (its entry
   * lost to a duplicate APIC id, say). Per-CPU state is indexed by CPU id, so the hole keeps its
   * place; the CPU is never started and is in no thread's mask (not in cpu_possible, HW-2).
   */
  present: boolean;
}

export class KernelTopology implements TopologyView {
  readonly cpus: readonly KernelCpu[];
  readonly nodeCount: number;
  /** distances[i][j] between nodes, from the SLIT (or the parser's defaults). */
  readonly #distances: readonly (readonly number[])[];
  /** Nodes the SRAT gives memory to; a CPU on a memoryless node allocates on node 0. */
  readonly #memoryNodes: ReadonlySet<number>;

  constructor(cpus: KernelCpu[], distances: number[][], memoryNodes: ReadonlySet<number>) {
    this.cpus = cpus;
    this.nodeCount = Math.max(1, distances.length);
    this.#distances = distances;
    this.#memoryNodes = memoryNodes;
  }

  get count(): number {
    return this.cpus.length;
  }

  /** 1 for each CPU the tables name, by CPU id, or null when they name every one. */
  get presentMask(): Uint8Array | null {
    return this.cpus.every((c) => c.present) ? null : Uint8Array.from(this.cpus, (c) => (c.present ? 1 : 0));
  }

  nodeOf(cpuId: number): number {
    return this.cpus[cpuId]!.nodeId;
  }

  /** The node to allocate a CPU's first-touch memory on: its own, if the SRAT gives it memory. */
  memoryNodeOf(cpuId: number): number {
    const node = this.cpus[cpuId]!.nodeId;
    return this.#memoryNodes.has(node) || this.#memoryNodes.size === 0 ? node : 0;
  }

  nodeDistance(fromNode: number, toNode: number): number {
    return this.#distances[fromNode]?.[toNode] ?? (fromNode === toNode ? 10 : 20);
  }

  cpuDistance(a: number, b: number): number {
    return this.nodeDistance(this.nodeOf(a), this.nodeOf(b));
  }

  samePackage(a: number, b: number): boolean {
    return this.cpus[a]!.packageId === this.cpus[b]!.packageId;
  }

  sameCore(a: number, b: number): boolean {
    return this.cpus[a]!.coreId === this.cpus[b]!.coreId;
  }

  migrationLevel(from: number, to: number): MigrationLevel {
    if (from === to) return MigrationLevel.None;
    if (this.sameCore(from, to)) return MigrationLevel.Smt;
    if (this.samePackage(from, to)) return MigrationLevel.Core;
    return MigrationLevel.Package;
  }
}

/** Why an enabled table CPU gives no kernel CPU, or null when it does. */
function refusal(
  c: FirmwareCpu,
  slot: number,
  bsp: CpuidInfo,
  taken: ReadonlySet<number>,
): { claim: string; message: string } | null {
  if (c.apicId >= XAPIC_ID_LIMIT && !bsp.x2apic) {
    return {
      claim: 'HW-6',
      message: `APIC id ${c.apicId} needs x2APIC, which CPUID lacks: left out (xAPIC mode)`,
    };
  }
  if (slot < 0) return { claim: 'HW-2', message: `no LAPIC answers to APIC id ${c.apicId}: left out` };
  if (taken.has(slot))
    return { claim: 'HW-7', message: `APIC id ${c.apicId} listed again: the CPU is counted once` };
  return null;
}

/** The boot CPU, which runs the kernel whatever the tables say (Linux: "BIOS bug" if absent). */
function bspEntry(bsp: CpuidInfo): KernelCpu {
  return {
    cpuId: 0,
    apicId: bsp.apicId,
    packageId: bsp.apicId >>> bsp.packageShift,
    coreId: bsp.apicId >>> bsp.smtShift,
    nodeId: 0,
    present: true,
  };
}

/** The modelled kernel stops at boot: its table parser would panic or hang (the finding says why). */
export class FirmwareBootStop extends Error {
  override readonly name = 'FirmwareBootStop';
}

/**
 * The kernel's CPUs from a parse: the enabled table CPUs, each at the index of the LAPIC that
 * answers to its APIC id (`slotOf`), sorted by it. Refusals become findings on `firmware`.
 */
export function kernelTopology(
  firmware: FirmwareTopology,
  bsp: CpuidInfo,
  slotOf: (apicId: number) => number,
): KernelTopology {
  // Redox's MAX_CPU_COUNT panic comes when the 129th CPU starts: the kernel has its 128 by then,
  // and stops there saying what it dropped (HW-6). Any other stop is at parse time.
  const stops = firmware.findings.filter((f) => f.severity === 'fatal');
  const onlyCpuLimit = stops.length > 0 && stops.every((f) => f.code === 'max-cpu-count');
  if (firmware.outcome !== 'ok' && !onlyCpuLimit) {
    const why = firmware.findings.find((f) => f.severity === 'fatal') ?? firmware.findings.at(-1);
    throw new FirmwareBootStop(
      `boot: the ${firmware.parser} table parser would ${firmware.outcome} here: ${why?.message ?? 'no finding'} (try [firmware] parser = "hardened")`,
    );
  }
  const cpus: KernelCpu[] = [];
  const taken = new Set<number>();
  for (const c of firmware.cpus) {
    if (!c.enabled) continue;
    const slot = slotOf(c.apicId);
    const why = refusal(c, slot, bsp, taken);
    if (why !== null) {
      report(firmware, { ...why, code: 'cpu-left-out', severity: 'warning', table: 'APIC' });
      continue;
    }
    taken.add(slot);
    cpus.push({
      cpuId: slot,
      apicId: c.apicId,
      packageId: c.apicId >>> bsp.packageShift,
      coreId: c.apicId >>> bsp.smtShift,
      nodeId: c.node ?? 0,
      present: true,
    });
  }
  if (!taken.has(0)) cpus.push(bspEntry(bsp));
  cpus.sort((a, b) => a.cpuId - b.cpuId);
  const all: KernelCpu[] = [];
  for (const c of cpus) {
    while (all.length < c.cpuId) {
      const hole = all.length;
      report(firmware, {
        claim: 'HW-2',
        code: 'cpu-not-listed',
        severity: 'warning',
        table: 'APIC',
        message: `CPU ${hole} is in no usable table entry while CPU ${c.cpuId} is: never started`,
      });
      all.push({ cpuId: hole, apicId: -1, packageId: -1, coreId: -1, nodeId: 0, present: false });
    }
    all.push(c);
  }
  const memoryNodes = new Set(firmware.numa.memory.map((m) => m.node));
  return new KernelTopology(all, firmware.numa.distances, memoryNodes);
}
