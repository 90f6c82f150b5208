/**
 * What init publishes (SVC-2, SVC-8): numbers the report turns into `workload.svc-init.*`
 * metrics — boot time to the login service's readiness, each unit's time to ready, failures,
 * restarts, timeouts, cycles, the U3 livelock and the U1 deadlock — and, as text, its log, the
 * critical chain to login and the wait-for graph between units when boot did not finish.
 */
import type { Guest } from '../abi/guest.ts';
import { criticalChain, showChain, waitForCycle, waitForEdges } from './boot-analysis.ts';
import type { CensusTracker } from './census.ts';
import type { InitCore } from './init-core.ts';
import { parseServiceArgs } from './service-program.ts';

export const INIT_OUTPUT = 'svc-init';

/** A unit name as an output key part: `10_netd.service` -> `10_netd_service`. */
export function unitKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** The unit whose cmd is `login`: its readiness ends boot. */
export function loginUnit(core: InitCore): string | null {
  for (const r of core.records.values()) if (r.unit.service?.cmd === 'login') return r.unit.name;
  return null;
}

/**
 * What running services wait on, from their declared arguments: a unit with `wait_scheme=S`
 * waits for the unit whose `type = { scheme = "S" }` registers it (the scheme it needs, U1), and
 * one with `wait_file=P` for the unit whose `touch=P` creates it.
 */
export function declaredWaits(core: InitCore): [string, string][] {
  const touches = new Map<string, string>();
  const schemes = new Map<string, string>();
  const waits: [string, string][] = [];
  for (const r of core.records.values()) {
    const opts = parseServiceArgs(r.unit.service?.args ?? []);
    if (opts.touch !== undefined) touches.set(opts.touch, r.unit.name);
    const type = r.unit.service?.type;
    if (type?.kind === 'scheme') schemes.set(type.scheme, r.unit.name);
  }
  for (const r of core.records.values()) {
    if (r.state !== 'starting') continue;
    const opts = parseServiceArgs(r.unit.service?.args ?? []);
    const byFile = opts.wait_file === undefined ? undefined : touches.get(opts.wait_file);
    const byScheme = opts.wait_scheme === undefined ? undefined : schemes.get(opts.wait_scheme);
    for (const owner of [byScheme, byFile]) if (owner !== undefined) waits.push([r.unit.name, owner]);
  }
  return waits;
}

export interface InitSummary {
  numbers: Record<string, number>;
  log: string[];
  criticalChain: string[];
  waitFor: string[];
  deadlock: string[] | null;
}

export function summarise(core: InitCore): InitSummary {
  const login = loginUnit(core);
  const loginRec = login === null ? undefined : core.records.get(login);
  const booted = loginRec?.firstReadyNs != null;
  const n: Record<string, number> = {
    booted: booted ? 1 : 0,
    boot_ms: booted ? loginRec!.firstReadyNs! / 1e6 : -1,
    units: core.records.size,
    livelock: core.livelock === null ? 0 : 1,
  };
  const count = (pred: (s: string) => boolean) =>
    [...core.records.values()].filter((r) => pred(r.state)).length;
  n.units_up = count((s) => s === 'up' || s === 'done');
  n.units_failed = count((s) => s === 'failed');
  n.units_skipped = count((s) => s === 'skipped');
  n.restarts = [...core.records.values()].reduce((a, r) => a + r.restarts, 0);
  n.timeouts = core.log.filter((l) => l.endsWith('start timed out')).length;
  n.cycles_reported = core.log.filter(
    (l) => l.startsWith('ordering cycle') || l.startsWith('cycle detected'),
  ).length;
  n.parse_errors = core.log.filter((l) => l.includes(': field ') || l.includes(': file')).length;
  n.gave_up = core.log.filter((l) => l.includes('gave up after')).length;
  for (const r of core.records.values()) {
    const k = unitKey(r.unit.name);
    if (r.firstReadyNs !== null) n[`ready_ms_${k}`] = r.firstReadyNs / 1e6;
    if (r.restarts > 0) n[`restarts_${k}`] = r.restarts;
    if (r.restarts > 0 && r.lastReadyNs !== null) n[`last_ready_ms_${k}`] = r.lastReadyNs / 1e6;
  }
  const edges = booted ? [] : waitForEdges(core, declaredWaits(core));
  const deadlock = booted ? null : waitForCycle(edges);
  n.boot_deadlock = deadlock === null ? 0 : 1;
  return {
    numbers: n,
    log: [...core.log],
    criticalChain: login === null ? [] : showChain(criticalChain(core, login)),
    waitFor: edges.map(([a, b]) => `${a} -> ${b}`),
    deadlock,
  };
}

/** Per unit, restarts per hour of the window so far: the stress run's fault rate (SVC-9). */
function perHour(core: InitCore, nowNs: number): Record<string, number> {
  const hours = nowNs / 3.6e12;
  const n: Record<string, number> = {};
  if (hours <= 0) return n;
  for (const r of core.records.values())
    if (r.unit.service !== undefined) n[`restarts_per_hour_${unitKey(r.unit.name)}`] = r.restarts / hours;
  return n;
}

/** Publishes the summary where the report reads workload output; with a census, its numbers too. */
export function publishInit(
  t: Guest,
  core: InitCore,
  nowNs: number,
  census: CensusTracker | null = null,
  extra: Record<string, number> = {},
): void {
  const s = summarise(core);
  if (census !== null) Object.assign(s.numbers, census.numbers(), perHour(core, nowNs));
  Object.assign(s.numbers, extra);
  const output = (t.data.output ??= {}) as Record<string, unknown>;
  const text = {
    log: s.log,
    critical_chain: s.criticalChain,
    wait_for: s.waitFor,
    deadlock: s.deadlock === null ? [] : [s.deadlock.join(' -> ')],
  };
  output[INIT_OUTPUT] = { ...s.numbers, uptime_ms: nowNs / 1e6, text };
}
