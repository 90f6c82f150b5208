/**
 * The scaling study (SCHED-13, RING-6): the same primes workload under each CPU count and policy,
 * repeated with several seeds; raw per-run times kept, the median of the accepted runs reported,
 * and a run rejected when its checksum is wrong or its timed section was serialised.
 */
import type { KernelAbi, RingMode } from '../abi/capring.ts';
import type { RunConfig, SchedPolicyName } from '../machine/config.ts';
import { defaultRunConfig, primesWorkload } from '../machine/defaults.ts';
import { runConfig } from './run.ts';
import { type Runner, serialRunner } from './runner.ts';
import type { RunReport } from './types.ts';
import { median, ratio3 } from './stats.ts';
import type { WallBudget } from './wall-budget.ts';

export interface ScaleStudy {
  policies: SchedPolicyName[];
  cpus: number[];
  workers: number;
  mode: 'process' | 'thread';
  partition: 'interleaved' | 'contiguous';
  runs: number;
  seed: number;
  range: [number, number];
  /** The kernel personality (issue 20); absent: redox. */
  abi?: KernelAbi;
  /** capring only: one ring per process or per thread. */
  rings?: RingMode;
  /** capring only: each worker's ring sleep after every segment, ns (issue 20, RING-2). */
  sleepNs?: number;
  /** `--policy-module` (issue 22): your own policy, studied after the built-in ones, on its preset. */
  module?: ModulePolicyColumn;
}

/** A policy module as one more policy of a table: its label, its module's path, the preset it runs on. */
export interface ModulePolicyColumn {
  label: string;
  path: string;
  preset: SchedPolicyName;
}

export interface ScaleRun {
  seed: number;
  /** Simulated time of the timed section: first spawn to last reap. */
  elapsed_ns: number;
  /** Simulated time of the whole run, boot to the root's exit. */
  sim_ns: number;
  trace_hash: string;
  checksum_ok: boolean;
  serialised: boolean;
  /** Why the run is not counted, or null. */
  rejected: string | null;
}

export interface ScalePoint {
  cpus: number;
  runs: ScaleRun[];
  /** Simulated times of the accepted runs, ns. */
  times_ns: number[];
  /** Median of the accepted runs, or null when every run was rejected. */
  median_ns: number | null;
}

export interface PolicyScale {
  /** A built-in policy's name, or a policy module's label. */
  policy: string;
  points: ScalePoint[];
  /** Keyed by CPU count: median at the first count ÷ median at this count. */
  speedup: Record<string, number | null>;
}

export interface ScaleReport {
  schema: 'smpsim.scale/1';
  workload: 'primes';
  mode: 'process' | 'thread';
  partition: 'interleaved' | 'contiguous';
  workers: number;
  range: [number, number];
  runs_per_point: number;
  /** Present on the capring personality (issue 20): its ring mode. */
  abi?: KernelAbi;
  rings?: RingMode;
  /** capring: the workers' ring sleep after every segment, when one was asked for. */
  sleep_ns?: number;
  results: PolicyScale[];
  /** With one policy: its speedup map, for `jq .speedup`. */
  speedup?: Record<string, number | null>;
  /** False when some point has no accepted run. */
  complete: boolean;
}

/**
 * Runs the study: every (policy, CPU count, seed) run is one job of one batch, so `runner` (the
 * worker pool, or this thread by default) may run them all at once; the report is assembled from
 * the reports in the batch's order, whoever ran them.
 */
export async function runScaleStudy(study: ScaleStudy, runner: Runner = serialRunner): Promise<ScaleReport> {
  const policies: string[] = [...study.policies, ...(study.module === undefined ? [] : [study.module.label])];
  const plan = policies.flatMap((policy) =>
    study.cpus.map((cpus) => {
      const configs = scaleRunConfigs(pointConfig(study, policy), cpus, study.runs);
      return { policy, cpus, configs, seeds: configs.map((c) => c.seed) };
    }),
  );
  const reports = await runner(
    plan.flatMap((p) => p.configs.map((config) => ({ config, skipNameChecks: true }))),
  );
  let taken = 0;
  const results = policies.map((policy) => {
    const points = plan
      .filter((p) => p.policy === policy)
      .map((p) => {
        const mine = reports.slice(taken, (taken += p.configs.length));
        return scalePointOf(p.cpus, p.seeds, mine, 'workload.primes.elapsed_ns');
      });
    return policyScale(policy, points);
  });
  const report: ScaleReport = {
    schema: 'smpsim.scale/1',
    workload: 'primes',
    mode: study.mode,
    partition: study.partition,
    workers: study.workers,
    range: study.range,
    runs_per_point: study.runs,
    ...(study.abi === 'capring' ? { abi: study.abi, rings: study.rings ?? 'process' } : {}),
    ...(study.sleepNs === undefined ? {} : { sleep_ns: study.sleepNs }),
    results,
    complete: results.every((r) => r.points.every((p) => p.median_ns !== null)),
  };
  if (results.length === 1) report.speedup = results[0]!.speedup;
  return report;
}

function policyScale(policy: string, points: ScalePoint[]): PolicyScale {
  const base = points[0]?.median_ns ?? null;
  const speedup: Record<string, number | null> = {};
  for (const p of points) {
    speedup[String(p.cpus)] = base === null || p.median_ns === null ? null : ratio3(base, p.median_ns);
  }
  return { policy, points, speedup };
}

/** The study's run for `policy`, before the CPU count and seed of each point's runs are set. */
function pointConfig(study: ScaleStudy, policy: string): RunConfig {
  const module = study.module?.label === policy ? study.module : undefined;
  const config = defaultRunConfig(module?.preset ?? (policy as SchedPolicyName), 1);
  if (module !== undefined) config.kernel.policyModule = module.path;
  config.name = `scale-${policy}`;
  config.seed = study.seed;
  if (study.abi === 'capring')
    config.kernel = { ...config.kernel, abi: 'capring', rings: study.rings ?? 'process' };
  config.workloads = [
    primesWorkload({
      mode: study.mode,
      workers: study.workers,
      range: study.range,
      partition: study.partition,
      ...(study.sleepNs === undefined ? {} : { sleepNs: study.sleepNs }),
    }),
  ];
  return config;
}

/**
 * The runs of one point: `config` on `cpus` CPUs with seeds seed .. seed+runs-1, without its
 * expectations, sweep or variants. The tick and everything else stay as configured.
 */
export function scaleRunConfigs(config: RunConfig, cpus: number, runs: number): RunConfig[] {
  return Array.from({ length: runs }, (_, k) => ({
    ...config,
    seed: config.seed + k,
    machine: { ...config.machine, topology: { ...config.machine.topology, cpus } },
    expect: [],
    sweep: null,
    compare: [],
  }));
}

/** Runs one point's runs here, in order (a scenario's `[sweep]`), and takes their median. */
export function runScaleRuns(
  config: RunConfig,
  cpus: number,
  runs: number,
  metric: string,
  wall?: WallBudget,
  idleFold?: boolean,
): ScalePoint {
  const configs = scaleRunConfigs(config, cpus, runs);
  const seeds = configs.map((c) => c.seed);
  const reports = configs.map((run) => runConfig(run, { wall, skipNameChecks: true, idleFold }));
  return scalePointOf(cpus, seeds, reports, metric);
}

/**
 * One point from its runs' reports: the median of `metric` over the accepted runs. A run is
 * rejected when it failed, lacks the metric, has a wrong primes checksum, or (RING-6) ran its
 * timed section serially on several CPUs.
 */
export function scalePointOf(
  cpus: number,
  seeds: readonly number[],
  reports: readonly RunReport[],
  metric: string,
): ScalePoint {
  const results: ScaleRun[] = reports.map((report, k) => {
    const m = report.metrics;
    const hasPrimes = m['workload.primes.checksum_ok'] !== undefined;
    const checksumOk = !hasPrimes || m['workload.primes.checksum_ok'] === 1;
    // RING-6: with several CPUs and workers, workers that never overlapped mean the section ran serially;
    // on process-wide capability rings, a wait queued behind the process's one cap_enter waiter means
    // the ring owner serialised some of it (RING-2).
    const overlapSerialised = cpus > 1 && m['workload.primes.serialised'] === 1;
    const ownerQueued = cpus > 1 ? (m['capring.owner_queued'] ?? 0) : 0;
    const serialisedRun = overlapSerialised || ownerQueued > 0;
    const time = m[metric];
    const rejected =
      report.failure !== null
        ? `run failure: ${report.failure}`
        : time === undefined
          ? `no metric ${metric}`
          : !checksumOk
            ? 'checksum mismatch'
            : overlapSerialised
              ? 'timed section serialised'
              : ownerQueued > 0
                ? `ring owner: ${ownerQueued} cap_enter waits queued behind the process's one waiter (RING-2)`
                : null;
    return {
      seed: seeds[k]!,
      elapsed_ns: time ?? 0,
      sim_ns: report.sim_ns,
      trace_hash: report.trace_hash,
      checksum_ok: checksumOk,
      serialised: serialisedRun,
      rejected,
    };
  });
  const times = results.filter((r) => r.rejected === null).map((r) => r.elapsed_ns);
  return { cpus, runs: results, times_ns: times, median_ns: times.length === 0 ? null : median(times) };
}

/** The study as a readable table, one block per policy. */
export function formatScale(report: ScaleReport): string {
  const sleep = report.sleep_ns === undefined ? '' : `a ${report.sleep_ns} ns ring sleep per segment, `;
  const personality = report.abi === 'capring' ? `capring ${report.rings} rings, ${sleep}` : '';
  const lines = [
    `primes ${personality}${report.mode} mode, ${report.workers} workers, range [${report.range[0]}, ${report.range[1]}), ` +
      `${report.partition} segments, ${report.runs_per_point} runs per point (timed section, simulated ms)`,
  ];
  for (const r of report.results) {
    lines.push('', `  ${r.policy}`, '    cpus  median ms  speedup  runs (ms)');
    for (const p of r.points) {
      const runs = p.runs.map((run) =>
        run.rejected === null ? ms(run.elapsed_ns) : `REJECTED(${run.rejected})`,
      );
      const medianText = p.median_ns === null ? '-' : ms(p.median_ns);
      const speedup = r.speedup[String(p.cpus)];
      const speedupText = speedup === null || speedup === undefined ? '-' : `${speedup.toFixed(2)}x`;
      lines.push(
        `    ${pad(String(p.cpus), 4)}  ${pad(medianText, 9)}  ${pad(speedupText, 7)}  ${runs.join(' ')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

function ms(ns: number): string {
  return (ns / 1e6).toFixed(2);
}

function pad(text: string, width: number): string {
  return text.padStart(width);
}
