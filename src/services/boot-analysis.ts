/**
 * What a boot's unit records say (SVC-2, SVC-8): the critical chain to a unit, as
 * `systemd-analyze critical-chain` prints it (each unit's activation time `@` and start duration
 * `+`, then the dependency it waited for longest), and, when boot did not finish, the wait-for
 * graph between units with the cycle that deadlocks it (U1).
 */
import type { InitCore, UnitRecord } from './init-core.ts';
import { dependenciesOf } from './unit.ts';

export interface ChainLink {
  unit: string;
  /** When it became active (ready, exited for a oneshot, or settled for a target). */
  atNs: number;
  /** From its (last) spawn to then; 0 for a target. */
  startNs: number;
}

/** The chain of units that `name` waited on, latest-settled dependency first at each step. */
export function criticalChain(core: InitCore, name: string): ChainLink[] {
  const chain: ChainLink[] = [];
  const seen = new Set<string>();
  let r: UnitRecord | undefined = core.records.get(name);
  while (r !== undefined && r.settledNs !== null && !seen.has(r.unit.name)) {
    seen.add(r.unit.name);
    const atNs = r.firstReadyNs ?? r.settledNs;
    chain.push({ unit: r.unit.name, atNs, startNs: r.firstSpawnNs === null ? 0 : atNs - r.firstSpawnNs });
    let next: UnitRecord | undefined;
    for (const d of dependenciesOf(r.unit)) {
      const dr = core.records.get(d);
      if (dr?.settledNs != null && (next === undefined || dr.settledNs > next.settledNs!)) next = dr;
    }
    r = next;
  }
  return chain;
}

/** `login.service @4.512s +0.100s` lines, indented one step per link as systemd-analyze does. */
export function showChain(chain: readonly ChainLink[]): string[] {
  return chain.map((l, i) => {
    const plus = l.startNs > 0 ? ` +${(l.startNs / 1e9).toFixed(3)}s` : '';
    return `${'  '.repeat(i)}${l.unit} @${(l.atNs / 1e9).toFixed(3)}s${plus}`;
  });
}

/**
 * The wait-for graph between units that never settled: a queued unit waits for its pending
 * dependencies; init waits for the unit it is starting; `extra` adds what running services are
 * blocked on (e.g. the driver manager waiting for the unit that serves a scheme). Edges as
 * `[waiter, awaited]`, sorted.
 */
export function waitForEdges(core: InitCore, extra: readonly [string, string][] = []): [string, string][] {
  const edges: [string, string][] = [];
  for (const r of core.records.values()) {
    if (r.settled) continue;
    if (r.state === 'queued') for (const d of core.pendingDeps(r)) edges.push([r.unit.name, d]);
    if (r.state === 'starting') edges.push(['init', r.unit.name]);
  }
  for (const [a, b] of extra) if (core.records.get(b)?.settled === false) edges.push([a, b]);
  return edges.sort(([a, b], [c, d]) => (a < c ? -1 : a > c ? 1 : b < d ? -1 : b > d ? 1 : 0));
}

/** A cycle in the wait-for edges (`a -> b -> a`), or null: the deadlock, if there is one. */
export function waitForCycle(edges: readonly [string, string][]): string[] | null {
  const out = new Map<string, string[]>();
  for (const [a, b] of edges) out.set(a, [...(out.get(a) ?? []), b]);
  const colour = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    colour.set(n, 1);
    stack.push(n);
    for (const m of out.get(n) ?? []) {
      if (colour.get(m) === 1) return [...stack.slice(stack.indexOf(m)), m];
      if (colour.get(m) === undefined) {
        const found = visit(m);
        if (found !== null) return found;
      }
    }
    stack.pop();
    colour.set(n, 2);
    return null;
  };
  for (const n of [...out.keys()].sort())
    if (colour.get(n) === undefined) {
      const found = visit(n);
      if (found !== null) return found;
    }
  return null;
}
