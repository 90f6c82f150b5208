// Machines for the ACPI tests: a topology, its firmware spec and tables, and the tables in memory.
import { installFirmware, type RsdpPlacement } from '../../src/hw/acpi/image.ts';
import { type SpecOptions, specFromTopology } from '../../src/hw/acpi/spec.ts';
import { buildTables, type TableSet } from '../../src/hw/acpi/tables.ts';
import { PhysicalMemory } from '../../src/hw/memory.ts';
import { Topology } from '../../src/hw/topology.ts';

export interface MachineShape {
  nodes: number;
  packagesPerNode: number;
  coresPerPackage: number;
  smt: 1 | 2;
  remoteDistance?: number;
}

export function topologyOf(shape: MachineShape): Topology {
  const packages = shape.nodes * shape.packagesPerNode;
  return new Topology({
    cpus: packages * shape.coresPerPackage * shape.smt,
    smt: shape.smt,
    packages,
    numaNodes: shape.nodes,
    numaRemoteDistance: shape.remoteDistance ?? 21,
  });
}

/** Enough memory for every node and for the firmware's first MiB on node 0. */
export function memoryBytesFor(nodes: number): number {
  return nodes * (4 << 20);
}

export function tablesOf(shape: MachineShape, options: Partial<SpecOptions> = {}): TableSet {
  const topology = topologyOf(shape);
  return buildTables(specFromTopology(topology, { memoryBytes: memoryBytesFor(shape.nodes), ...options }));
}

export function inMemory(tables: TableSet, nodes: number, rsdp: RsdpPlacement) {
  const memory = new PhysicalMemory(memoryBytesFor(nodes), nodes);
  return { memory, image: installFirmware(memory, tables, { rsdp }) };
}

export const tableBytes = (tables: TableSet) => ({
  kind: 'tables' as const,
  tables: tables.map((t) => t.bytes),
});
