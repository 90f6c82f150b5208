/**
 * `smpsim bench futex`: the futex table under `perf bench futex`-shaped loads (FUTEX-2..6),
 * measured in simulated time: each shape on 4, 16 and 64 CPUs, with one global table lock
 * (linux semantics over 1 shard) and with 64 key-hashed shards. Reports operations per
 * simulated second and CPU time spent spinning on locks, and the shards' gain. Everything here
 * is simulated and deterministic: the same command prints the same figures on any host.
 * @module
 */
import type { RunConfig, WorkloadConfig } from '../machine/config.ts';
import { defaultRunConfig } from '../machine/defaults.ts';
import { type Runner, serialRunner } from './runner.ts';
import { ratio3 } from './stats.ts';

export const BENCH_FUTEX_SCHEMA = 'smpsim.bench-futex/1';
export const BENCH_FUTEX_RESULTS_DIR = 'bench/results/futex';
export const BENCH_FUTEX_SHAPES = ['hash', 'wake', 'wake-parallel', 'requeue', 'lock-pi'] as const;
export type BenchFutexShape = (typeof BENCH_FUTEX_SHAPES)[number];
export const BENCH_FUTEX_CPUS = [4, 16, 64] as const;
export const BENCH_FUTEX_TABLES = [
  { name: 'global', shards: 1 },
  { name: '64-shards', shards: 64 },
] as const;

export interface BenchFutexRow {
  shape: BenchFutexShape;
  cpus: number;
  table: string;
  ops: number;
  ops_per_sim_s: number;
  spin_ns: number;
  trace_hash: string;
}

export interface BenchFutexReport {
  schema: typeof BENCH_FUTEX_SCHEMA;
  quick: boolean;
  rows: BenchFutexRow[];
  /** 64 shards over the global lock, ops per simulated second, by `<shape>@<cpus>`. */
  shard_gain: Record<string, number>;
}

/** One shape's workload, sized to the CPU count (threads = CPUs, as perf's default). */
function workload(shape: BenchFutexShape, cpus: number, quick: boolean): WorkloadConfig {
  const threads = cpus;
  if (shape === 'hash') return { kind: 'futexhash', threads, futexes: 64, ops: quick ? 100 : 2000 };
  const rounds = shape === 'lock-pi' ? (quick ? 20 : 100) : quick ? 2 : 5;
  return { kind: 'program', program: 'futex-bench', params: { bench: shape, threads, rounds } };
}

function config(shape: BenchFutexShape, cpus: number, shards: number, quick: boolean): RunConfig {
  const c = defaultRunConfig('fair', cpus);
  c.name = `bench-futex-${shape}-${cpus}-${shards}`;
  c.kernel.futex = { mode: 'linux', shards };
  c.workloads = [workload(shape, cpus, quick)];
  return c;
}

/**
 * Runs every shape on every CPU count under both tables, as one batch for `runner` (the worker
 * pool, or this thread by default); rows in the order shape, CPU count, table.
 */
export async function runBenchFutex(
  options: { quick: boolean; cpus?: readonly number[] },
  runner: Runner = serialRunner,
): Promise<BenchFutexReport> {
  const plan = BENCH_FUTEX_SHAPES.flatMap((shape) =>
    (options.cpus ?? BENCH_FUTEX_CPUS).flatMap((cpus) =>
      BENCH_FUTEX_TABLES.map((table) => ({ shape, cpus, table: table.name, shards: table.shards })),
    ),
  );
  const reports = await runner(
    plan.map((p) => ({ config: config(p.shape, p.cpus, p.shards, options.quick) })),
  );
  const rows: BenchFutexRow[] = plan.map((p, i) => {
    const report = reports[i]!;
    if (report.error !== undefined)
      throw new Error(`bench futex: ${p.shape} on ${p.cpus} CPUs: ${report.error}`);
    const m = report.metrics;
    const key = p.shape === 'hash' ? 'futexhash' : 'futex-bench';
    return {
      shape: p.shape,
      cpus: p.cpus,
      table: p.table,
      ops: m[`workload.${key}.ops`] ?? 0,
      ops_per_sim_s: m[`workload.${key}.ops_per_sec`] ?? 0,
      spin_ns: m['cpu.spin_ns'] ?? 0,
      trace_hash: report.trace_hash,
    };
  });
  const shardGain: Record<string, number> = {};
  for (let i = 0; i < rows.length; i += BENCH_FUTEX_TABLES.length) {
    const [global, sharded] = [rows[i]!, rows[i + 1]!];
    if (global.ops_per_sim_s > 0) {
      shardGain[`${global.shape}@${global.cpus}`] = ratio3(sharded.ops_per_sim_s, global.ops_per_sim_s);
    }
  }
  return { schema: BENCH_FUTEX_SCHEMA, quick: options.quick, rows, shard_gain: shardGain };
}

export function formatBenchFutex(report: BenchFutexReport): string {
  const lines = [
    'futex benchmarks (simulated time; linux semantics, one global table lock vs 64 shards)',
    '  shape           cpus  global ops/s   64-shard ops/s   gain   global spin ms  shard spin ms',
  ];
  for (const shape of BENCH_FUTEX_SHAPES) {
    const cpusSeen = [...new Set(report.rows.filter((r) => r.shape === shape).map((r) => r.cpus))];
    for (const cpus of cpusSeen) {
      const g = report.rows.find((r) => r.shape === shape && r.cpus === cpus && r.table === 'global')!;
      const s = report.rows.find((r) => r.shape === shape && r.cpus === cpus && r.table === '64-shards')!;
      const gain = report.shard_gain[`${shape}@${cpus}`] ?? 0;
      lines.push(
        `  ${shape.padEnd(14)} ${String(cpus).padStart(5)}  ${fmt(g.ops_per_sim_s).padStart(12)}  ${fmt(s.ops_per_sim_s).padStart(15)}  ${`${gain.toFixed(2)}x`.padStart(6)}  ${(g.spin_ns / 1e6).toFixed(3).padStart(15)}  ${(s.spin_ns / 1e6).toFixed(3).padStart(13)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function fmt(opsPerSec: number): string {
  return opsPerSec >= 1e6 ? `${(opsPerSec / 1e6).toFixed(2)}M` : `${(opsPerSec / 1e3).toFixed(1)}k`;
}

/** The README's table of a report: one Markdown row per shape and CPU count. */
export function benchFutexMarkdown(report: BenchFutexReport): string[] {
  const rows = [
    '| shape | CPUs | global lock ops/s | 64 shards ops/s | gain | spin on the global lock |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const ops = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${Math.round(x / 1e3)} k`);
  const spin = (ns: number) => `${(ns / 1e6).toFixed(ns >= 1e8 ? 0 : ns >= 1e6 ? 1 : 2)} ms`;
  for (const g of report.rows.filter((r) => r.table === 'global')) {
    const s = report.rows.find((r) => r.shape === g.shape && r.cpus === g.cpus && r.table === '64-shards')!;
    const gain = report.shard_gain[`${g.shape}@${g.cpus}`] ?? 0;
    rows.push(
      `| ${g.shape} | ${g.cpus} | ${ops(g.ops_per_sim_s)} | ${ops(s.ops_per_sim_s)} | ${gain.toFixed(2)}× | ${spin(g.spin_ns)} |`,
    );
  }
  return rows;
}
