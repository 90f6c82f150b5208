/**
 * Putting the SRAT and SLIT together with the MADT's CPUs (HW-14): proximity domains become
 * nodes in first-seen order, CPU entries before memory ones (Linux `acpi_numa_init` parses the
 * processor types, then memory), every CPU gets its node, and the SLIT, indexed by domain, gives
 * the node distances. Where the tables disagree (HW-7) the finding says so and the safe reading
 * is kept: an SRAT CPU the MADT lacks is ignored; a domain the SLIT has no row for gets the
 * default distances (10 local, 20 remote, Linux's `__node_distance` without a SLIT).
 */
import { DEFAULT_REMOTE_DISTANCE, SLIT_LOCAL_DISTANCE } from '../../hw/acpi/layout.ts';
import type { Slit, Srat } from './hardened-srat.ts';
import { idList } from './read.ts';
import { type FirmwareTopology, report } from './types.ts';

/** Linux x86-64's default MAX_NUMNODES (CONFIG_NODES_SHIFT = 6). */
export const HARDENED_MAX_NODES = 64;

function warn(t: FirmwareTopology, code: string, table: string, message: string): void {
  report(t, { claim: 'HW-7', code, severity: 'warning', table, message });
}

function defaultDistances(nodes: number): number[][] {
  return Array.from({ length: nodes }, (_, i) =>
    Array.from({ length: nodes }, (_, j) => (i === j ? SLIT_LOCAL_DISTANCE : DEFAULT_REMOTE_DISTANCE)),
  );
}

/** Node of `domain`, numbering new domains as they appear; null past the node limit. */
function nodeFor(domains: number[], domain: number, t: FirmwareTopology): number | null {
  const known = domains.indexOf(domain);
  if (known >= 0) return known;
  if (domains.length >= HARDENED_MAX_NODES) {
    report(t, {
      claim: 'HW-14',
      code: 'max-nodes',
      severity: 'error',
      table: 'SRAT',
      message: `domain ${domain} beyond ${HARDENED_MAX_NODES} nodes ignored`,
    });
    return null;
  }
  domains.push(domain);
  return domains.length - 1;
}

function placeCpus(t: FirmwareTopology, srat: Srat, domains: number[]): void {
  const madtIds = new Set(t.cpus.map((c) => c.apicId));
  for (const s of srat.cpus) {
    if (!madtIds.has(s.apicId)) {
      warn(
        t,
        'srat-cpu-not-in-madt',
        'SRAT',
        `SRAT places APIC id ${s.apicId} in domain ${s.domain}, but the MADT has no such CPU: ignored`,
      );
      continue;
    }
    const node = nodeFor(domains, s.domain, t);
    for (const c of t.cpus) {
      if (c.apicId === s.apicId) {
        c.domain = s.domain;
        c.node = node;
      }
    }
  }
  const unplaced = t.cpus.filter((c) => c.enabled && c.node === null);
  if (srat.cpus.length > 0 && unplaced.length > 0) {
    warn(
      t,
      'cpu-without-affinity',
      'SRAT',
      `enabled CPUs with no SRAT affinity (APIC ids ${idList(unplaced.map((c) => c.apicId))}): node unknown`,
    );
  }
}

function slitDistances(t: FirmwareTopology, slit: Slit, domains: number[]): number[][] {
  const missing = domains.filter((d) => d >= slit.localities);
  if (missing.length > 0) {
    warn(
      t,
      'slit-srat-disagree',
      'SLIT',
      `SRAT domains ${idList(missing)} have no SLIT row (${slit.localities} localities): default distances for them`,
    );
  }
  if (slit.localities > domains.length) {
    warn(
      t,
      'slit-srat-disagree',
      'SLIT',
      `SLIT has ${slit.localities} localities, the SRAT names ${domains.length} domains`,
    );
  }
  return domains.map((di, i) =>
    domains.map((dj, j) => {
      if (di >= slit.localities || dj >= slit.localities)
        return i === j ? SLIT_LOCAL_DISTANCE : DEFAULT_REMOTE_DISTANCE;
      return slit.matrix[di]![dj]!;
    }),
  );
}

/** Fills `t.numa` and each CPU's node from the decoded SRAT and SLIT (either may be absent). */
export function applyNuma(
  t: FirmwareTopology,
  srat: Srat | null,
  slit: Slit | null,
  slitPresent: boolean,
): void {
  const domains: number[] = [];
  if (srat !== null) {
    placeCpus(t, srat, domains);
    for (const m of srat.memory) {
      const node = nodeFor(domains, m.domain, t);
      if (node !== null) t.numa.memory.push({ ...m, node });
    }
    const withMemory = new Set(t.numa.memory.map((m) => m.node));
    domains.forEach((d, node) => {
      if (!withMemory.has(node))
        report(t, {
          claim: 'HW-14',
          code: 'memoryless-node',
          severity: 'info',
          table: 'SRAT',
          message: `domain ${d} (node ${node}) has CPUs but no memory`,
        });
    });
  } else {
    // No SRAT: one node holds everything (Linux's dummy_numa_init).
    for (const c of t.cpus) c.node = 0;
    if (slitPresent) warn(t, 'slit-without-srat', 'SLIT', 'a SLIT without an SRAT names no nodes: ignored');
  }
  if (domains.length === 0) domains.push(0);
  t.numa.domains = domains;
  const useSlit = slit !== null && srat !== null;
  t.numa.distances = useSlit ? slitDistances(t, slit, domains) : defaultDistances(domains.length);
  t.numa.distanceSource = useSlit ? 'slit' : 'default';
}
