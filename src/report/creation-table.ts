/**
 * The README's thread- and process-creation tables (issue 24, SCHED-12): the
 * thread-create-cost and spawn-cost seeds run with their `[[compare]]` variants, each step's
 * figures side by side. Produced by the model (scripts/update-readme.mjs writes them;
 * test/readme.test.ts checks them), never typed in.
 * @module
 */
import type { RunConfig } from '../machine/config.ts';
import { runConfig } from './run.ts';

export const THREAD_CREATE_SCENARIO = 'thread-create-cost.toml';
export const SPAWN_SCENARIO = 'spawn-cost.toml';

/** The thread-create-cost variants in table order: [variant ('' = the scenario itself), label, round trips]. */
const THREAD_ROWS: readonly [string, string, number][] = [
  ['', 'redox: new-thread, regs, start', 3],
  ['batched', 'batched: new-thread+regs, start', 2],
  ['batched-pool', 'batched, shared page, context pool 16', 2],
  ['redox-4cpu', 'redox: new-thread, regs, start', 3],
  ['batched-4cpu', 'batched: new-thread+regs, start', 2],
  ['batched-pool-4cpu', 'batched, shared page, context pool 16', 2],
];

const SPAWN_SIZES: readonly [number, string, string][] = [
  [1, '', 'posix-spawn-1m'],
  [64, 'fork-exec-64m', 'posix-spawn-64m'],
  [1024, 'fork-exec-1024m', 'posix-spawn-1024m'],
];

function metricsOf(config: RunConfig): Record<string, number> {
  config.expect = [];
  const report = runConfig(config, { skipNameChecks: true });
  if (report.error !== undefined) throw new Error(`creation table: ${config.name} stopped: ${report.error}`);
  return report.metrics;
}

const of = (m: Record<string, number>, variant: string, metric: string): number => {
  const value = m[variant === '' ? metric : `compare.${variant}.${metric}`];
  if (value === undefined) throw new Error(`creation table: no ${variant || 'base'} ${metric}`);
  return value;
};

/** The thread-creation table's Markdown lines; `load(file)` gives a seed's config. */
export function threadCreateMarkdown(load: (file: string) => RunConfig): string[] {
  const config = load(THREAD_CREATE_SCENARIO);
  const m = metricsOf(config);
  const created = m['workload.thread-create.created']!;
  const lines = [
    '| CPUs | creation | round trips | proc scheme ns/thread | create p50 ns | create p99 ns | threads/s |',
    '|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const [variant, label, trips] of THREAD_ROWS) {
    const cpus = variant.endsWith('-4cpu') ? 4 : config.machine.topology.cpus;
    const perThread = Math.round(of(m, variant, 'kernel.proc_scheme_ns') / created);
    const w = (k: string) => of(m, variant, `workload.thread-create.${k}`);
    lines.push(
      `| ${cpus} | ${label} | ${trips} | ${perThread} | ${w('create_p50_ns')} | ${w('create_p99_ns')} | ${w('threads_per_s')} |`,
    );
  }
  return lines;
}

/** The spawn table's Markdown lines. */
export function spawnMarkdown(load: (file: string) => RunConfig): string[] {
  const m = metricsOf(load(SPAWN_SCENARIO));
  const lines = [
    '| parent mapped | fork + exec: parent call ns | posix_spawn (vfork-style) ns | fork + exec / posix_spawn |',
    '|---:|---:|---:|---:|',
  ];
  for (const [mib, fork, spawn] of SPAWN_SIZES) {
    const forkNs = of(m, fork, 'workload.spawn.spawn_p50_ns');
    const spawnNs = of(m, spawn, 'workload.spawn.spawn_p50_ns');
    lines.push(`| ${mib} MiB | ${forkNs} | ${spawnNs} | ${(forkNs / spawnNs).toFixed(1)}x |`);
  }
  return lines;
}
