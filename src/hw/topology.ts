/**
 * CPU topology: packages, cores, SMT siblings and NUMA nodes with a SLIT-style distance matrix
 * (local = 10, ACPI 6.5 §5.2.17). This is the hardware's truth: the board's costs read it, the
 * firmware tables are built from it, and the kernel never sees it (HW-14: it parses the tables
 * and decodes APIC ids with CPUID's shift widths, kernel/topology.ts).
 *
 * APIC ids are packed as x86 CPUs report them: SMT, core-in-package and package fields, each a
 * power of two wide (CPUID leaf 0xB; Linux arch/x86/kernel/cpu/topology.c decodes them so). On
 * the machines whose cores per package are a power of two, they equal the CPU ids.
 */
import { assert } from '../engine/assert.ts';
import type { TlbSpec } from './tlb.ts';

export interface CpuPlace {
  cpuId: number;
  apicId: number;
  packageId: number;
  coreId: number;
  smtIndex: number;
  nodeId: number;
}

/** CPUID leaf 0xB's shift widths: APIC id >> smtShift is the core, >> packageShift the package. */
export interface ApicShifts {
  smtShift: number;
  packageShift: number;
}

/** What a migration cost needs of a topology: the hardware's (this file) or the kernel's view. */
export interface TopologyView {
  migrationLevel(from: number, to: number): MigrationLevel;
  cpuDistance(a: number, b: number): number;
}

/** Bits to hold `count` distinct values (CPUID leaf 0xB shift widths). */
export function bitsFor(count: number): number {
  return count <= 1 ? 0 : Math.ceil(Math.log2(count));
}

export interface TopologySpec {
  cpus: number;
  smt: number;
  packages: number;
  numaNodes: number;
  numaRemoteDistance: number;
  /** Each CPU's TLB sizes (hw/tlb.ts; Skylake's when absent). */
  tlb?: TlbSpec;
}

export class Topology implements TopologyView {
  readonly cpus: readonly CpuPlace[];
  readonly shifts: ApicShifts;
  readonly nodeCount: number;
  /** distance[i * nodeCount + j], SLIT convention. */
  readonly #distance: Uint8Array;

  constructor(spec: TopologySpec) {
    assert(spec.cpus >= 1 && spec.cpus <= 256, 'topology: cpus out of range');
    assert(spec.cpus % (spec.smt * spec.packages) === 0, 'topology: cpus not divisible by smt*packages');
    assert(spec.packages % spec.numaNodes === 0, 'topology: packages not divisible by nodes');
    const perPackage = spec.cpus / spec.packages;
    const packagesPerNode = spec.packages / spec.numaNodes;
    const smtShift = bitsFor(spec.smt);
    const packageShift = smtShift + bitsFor(perPackage / spec.smt);
    this.shifts = { smtShift, packageShift };
    const cpus: CpuPlace[] = [];
    for (let cpuId = 0; cpuId < spec.cpus; cpuId++) {
      const packageId = Math.floor(cpuId / perPackage);
      const inPackage = cpuId % perPackage;
      const coreInPackage = Math.floor(inPackage / spec.smt);
      const smtIndex = inPackage % spec.smt;
      cpus.push({
        cpuId,
        apicId: ((packageId << packageShift) | (coreInPackage << smtShift) | smtIndex) >>> 0,
        packageId,
        coreId: packageId * (perPackage / spec.smt) + coreInPackage,
        smtIndex,
        nodeId: Math.floor(packageId / packagesPerNode),
      });
    }
    this.cpus = cpus;
    this.nodeCount = spec.numaNodes;
    this.#distance = new Uint8Array(spec.numaNodes * spec.numaNodes);
    for (let i = 0; i < spec.numaNodes; i++) {
      for (let j = 0; j < spec.numaNodes; j++) {
        this.#distance[i * spec.numaNodes + j] = i === j ? 10 : spec.numaRemoteDistance;
      }
    }
  }

  get count(): number {
    return this.cpus.length;
  }

  nodeDistance(fromNode: number, toNode: number): number {
    return this.#distance[fromNode * this.nodeCount + toNode]!;
  }

  samePackage(a: number, b: number): boolean {
    return this.cpus[a]!.packageId === this.cpus[b]!.packageId;
  }

  sameCore(a: number, b: number): boolean {
    return this.cpus[a]!.coreId === this.cpus[b]!.coreId;
  }

  nodeOf(cpuId: number): number {
    return this.cpus[cpuId]!.nodeId;
  }

  /** SLIT distance between the nodes of two CPUs (10 on the same node). */
  cpuDistance(a: number, b: number): number {
    return this.nodeDistance(this.cpus[a]!.nodeId, this.cpus[b]!.nodeId);
  }

  /**
   * How far a context moves from CPU `from` to CPU `to`, as the cache levels it leaves behind:
   * the same CPU, its SMT sibling (same core), another core of the package, another package.
   */
  migrationLevel(from: number, to: number): MigrationLevel {
    if (from === to) return MigrationLevel.None;
    if (this.sameCore(from, to)) return MigrationLevel.Smt;
    if (this.samePackage(from, to)) return MigrationLevel.Core;
    return MigrationLevel.Package;
  }
}

export enum MigrationLevel {
  None = 0,
  Smt = 1,
  Core = 2,
  Package = 3,
}
