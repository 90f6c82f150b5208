/**
 * What a migration costs the context that moves (SCHED-5, SCHED-6): the time its working set
 * takes to warm the caches of the CPU it lands on. Another core of the package refills its
 * private caches from the shared L3; another package refills from DRAM; another NUMA node
 * refills from memory that is now remote, so that part scales by the SLIT distance (d / 10,
 * models.md §7, "follow the SLIT ratio"). The figures are cost-model parameters, each the
 * refill of a full private-cache working set; a context whose footprint is smaller pays less.
 * Its footprint is bounded by its last stint on a CPU: refetching can take no longer than
 * fetching did (a ping-pong thread that runs 3 µs at a time refills 3 µs of lines at most).
 */
import type { CostModel } from './cost-model.ts';
import { MigrationLevel, type TopologyView } from './topology.ts';

/**
 * The warm-up of a move from `fromCpu` to `toCpu` for a context whose cache footprint takes at
 * most `footprintNs` to fetch. With `slit` false a cross-node move is priced as any
 * cross-package one: what a scheduler that ignores NUMA distances believes it costs.
 */
export function migrationWarmNs(
  topology: TopologyView,
  costs: CostModel,
  fromCpu: number,
  toCpu: number,
  slit = true,
  footprintNs = Number.POSITIVE_INFINITY,
): number {
  return Math.min(levelWarmNs(topology, costs, fromCpu, toCpu, slit), Math.round(footprintNs));
}

function levelWarmNs(
  topology: TopologyView,
  costs: CostModel,
  fromCpu: number,
  toCpu: number,
  slit: boolean,
): number {
  switch (topology.migrationLevel(fromCpu, toCpu)) {
    case MigrationLevel.None:
      return 0;
    case MigrationLevel.Smt:
      return costs.migrateSmtWarmNs;
    case MigrationLevel.Core:
      return costs.migrateCoreWarmNs;
    case MigrationLevel.Package:
      if (!slit) return costs.migratePackageWarmNs;
      return Math.round((costs.migratePackageWarmNs * topology.cpuDistance(fromCpu, toCpu)) / 10);
  }
}
