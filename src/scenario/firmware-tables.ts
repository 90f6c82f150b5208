/**
 * `[firmware] tables = "DIR"` (issue 16, HW-14): the board ships a real machine's table files
 * (scenario/table-files.ts reads them) instead of building its own, and the machine's CPUs and
 * nodes come from those tables. The hardened parser reads them; the machine is the smallest
 * topology (1 or 2 threads per core, packages a multiple of the nodes) whose APIC ids are exactly
 * the MADT's enabled ones, on the SRAT's nodes: the hardware then has one CPU per enabled entry,
 * with that entry's APIC id, so the bring-up's SIPIs reach it. Hot-plug slots (online-capable,
 * not enabled) have no CPU, as on the real machine at boot. `[machine]` keys that fix the
 * topology (cpus, smt, packages, numa_nodes) may be given only with the tables' values: a
 * contradiction is refused with the one-line error, as are tables no topology matches.
 */
import { Topology } from '../hw/topology.ts';
import { parseFirmware } from '../kernel/acpi/parse.ts';
import type { TopologyConfig } from '../machine/config.ts';
import { fail, isTable, own, type ReadContext } from './fields.ts';
import { readTableFiles } from './table-files.ts';

export interface TablesMachine {
  cpus: number;
  smt: number;
  packages: number;
  numaNodes: number;
  numaRemoteDistance: number;
}

/** The sorted APIC ids with their nodes, as `id:node` strings, for comparing a topology to tables. */
const placed = (cpus: readonly { apicId: number; node: number }[]) =>
  cpus.map((c) => `${c.apicId}:${c.node}`).sort();

/** The machine the tables describe, or why no machine smpsim builds is that one. */
export function machineFromTables(tables: readonly Uint8Array[]): TablesMachine | string {
  const t = parseFirmware({ kind: 'tables', tables }, 'hardened');
  const enabled = t.cpus.filter((c) => c.enabled);
  const ids = new Set(enabled.map((c) => c.apicId));
  if (enabled.length === 0) return 'its MADT lists no enabled CPU';
  if (ids.size !== enabled.length)
    return 'its MADT lists an APIC id twice (a firmware bug: no hardware has that)';
  if (enabled.length > 256) return `its MADT lists ${enabled.length} enabled CPUs, more than 256`;
  const nodes = Math.max(1, t.numa.domains.length);
  const bare = t.numa.domains.findIndex((_, node) => !enabled.some((c) => c.node === node));
  if (nodes > 1 && bare >= 0)
    return `its SRAT's node ${bare} has no enabled CPU (its CPUs are hot-plug slots, or it is memory-only), and every node of an smpsim machine has CPUs`;
  const want = placed(enabled.map((c) => ({ apicId: c.apicId, node: nodes > 1 ? (c.node ?? -1) : 0 })));
  const cpus = enabled.length;
  const remote = t.numa.distances[0]?.[1] ?? 20;
  for (const smt of [1, 2]) {
    for (let packages = nodes; packages <= cpus; packages += nodes) {
      if (cpus % (smt * packages) !== 0) continue;
      const topo = new Topology({ cpus, smt, packages, numaNodes: nodes, numaRemoteDistance: remote });
      const got = placed(topo.cpus.map((c) => ({ apicId: c.apicId, node: c.nodeId })));
      if (got.join() === want.join())
        return { cpus, smt, packages, numaNodes: nodes, numaRemoteDistance: remote };
    }
  }
  return `its MADT's ${cpus} enabled APIC ids on ${nodes} node(s) are no topology of ${cpus} CPUs with 1 or 2 threads per core`;
}

const MACHINE_FIELDS: readonly (readonly [key: string, field: keyof TablesMachine])[] = [
  ['cpus', 'cpus'],
  ['smt', 'smt'],
  ['packages', 'packages'],
  ['numa_nodes', 'numaNodes'],
];

/**
 * Reads `[firmware] tables` (a path relative to the scenario file) and sets `topology` from the
 * tables; returns the directory and the bytes, or null without the key.
 */
export function readFirmwareTables(
  ctx: ReadContext,
  firmware: unknown,
  machine: unknown,
  topology: TopologyConfig,
  resolvePath: (dir: string) => string,
): { dir: string; bytes: Uint8Array[] } | null {
  const dir = isTable(firmware) ? own(firmware, 'tables') : undefined;
  if (dir === undefined) return null;
  if (typeof dir !== 'string' || dir === '')
    fail(ctx, 'firmware.tables', 'expected a directory or file path');
  const got = readTableFiles(resolvePath(dir));
  if (!Array.isArray(got)) fail(ctx, 'firmware.tables', got.problem, got.allowed);
  const m = machineFromTables(got.map((f) => f.bytes));
  if (typeof m === 'string') fail(ctx, 'firmware.tables', `${dir}: ${m}`);
  for (const [key, field] of MACHINE_FIELDS) {
    const given = isTable(machine) ? own(machine, key) : undefined;
    if (given !== undefined && given !== m[field]) {
      fail(
        ctx,
        'firmware.tables',
        `${dir} gives ${key} = ${m[field]}, machine.${key} = ${String(given)}`,
        `leave machine.${key} out, or set it to ${m[field]}`,
      );
    }
  }
  Object.assign(topology, m);
  return { dir, bytes: got.map((f) => f.bytes) };
}
