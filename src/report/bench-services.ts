/**
 * `smpsim bench`'s time-compression measure for a booted system (issue 19, SVC-9): simulated
 * seconds per wall second and per CPU second of the host, for
 * - idle: the `boot-to-login` seed's machine after login (init, the driver manager polling every
 *   2 s, a dozen daemons asleep, drivers bound), its window stretched;
 * - busy: the `stress-72h` seed (two workers computing every second, faults every 10 minutes,
 *   health checks every 5 s, a census every period).
 * CPU time (process.cpuUsage) is reported beside wall time because on a shared host the wall
 * clock measures the other tenants as much as the simulator; the 72-hour estimate uses CPU time.
 */
import { join } from 'node:path';
import { runConfig } from './run.ts';
import type { RunConfig } from '../machine/config.ts';

/** The seeds' reader, given by the caller (report/ sits above scenario/ in DESIGN.md's layers). */
export type SeedLoader = (file: string, set: string[]) => RunConfig;

/** Where the services measure finds its seeds, and how it reads them. */
export interface ServicesSeeds {
  root: string;
  load: SeedLoader;
}

export interface ServicesPoint {
  machine: 'idle' | 'busy';
  scenario: string;
  sim_s: number;
  wall_ms: number;
  cpu_ms: number;
  sim_s_per_wall_s: number;
  sim_s_per_cpu_s: number;
  /** CPU minutes 72 simulated hours would take at this rate (SVC-9's goal: < 10 on a quiet 2-core host). */
  cpu_min_for_72h: number;
}

export interface BenchServices {
  points: ServicesPoint[];
}

const HOURS_72_S = 72 * 3600;

function point(seeds: ServicesSeeds, machine: 'idle' | 'busy', seed: string, simS: number): ServicesPoint {
  const file = join(seeds.root, 'scenarios', 'seeds', seed);
  const set = [`workload.0.stop_after_ms=${simS * 1000}`, `limits.sim_ns_max=${(simS + 60) * 1e9}`];
  const loaded = seeds.load(file, set);
  // Only the run's speed is measured: no variant, no expectation (their counts are per window).
  const config = { ...loaded, compare: [], expect: [] };
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const report = runConfig(config, { skipNameChecks: true });
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const sim = (report.metrics.sim_ns ?? 0) / 1e9;
  return {
    machine,
    scenario: seed,
    sim_s: Math.round(sim),
    wall_ms: Math.round(wallMs),
    cpu_ms: Math.round(cpuMs),
    sim_s_per_wall_s: Math.round(sim / (wallMs / 1000)),
    sim_s_per_cpu_s: Math.round(sim / (cpuMs / 1000)),
    cpu_min_for_72h: Math.round((HOURS_72_S / (sim / (cpuMs / 1000)) / 60) * 100) / 100,
  };
}

/** Both points; quick: 2 simulated minutes each, else 20 (a warm-up of the same shape first). */
export function runBenchServices(seeds: ServicesSeeds, quick: boolean): BenchServices {
  const simS = quick ? 120 : 1200;
  point(seeds, 'idle', 'boot-to-login.toml', 30);
  return {
    points: [point(seeds, 'idle', 'boot-to-login.toml', simS), point(seeds, 'busy', 'stress-72h.toml', simS)],
  };
}

export function formatBenchServices(s: BenchServices): string[] {
  return s.points.map(
    (p) =>
      `booted ${p.machine.padEnd(4)} (${p.scenario}): ${p.sim_s_per_cpu_s} simulated s per CPU s, ${p.sim_s_per_wall_s} per wall s; 72 simulated hours in ${p.cpu_min_for_72h} CPU min (goal < 10)`,
  );
}
