/** The typed options of the `scale`, `bench` and `demo` commands, and the implementations `main` calls. */
import type { KernelAbi, RingMode } from '../abi/capring.ts';
import { join } from 'node:path';
import type { PrimesMode, PrimesPartition, SchedPolicyName } from '../machine/config.ts';
import { type BenchReport, benchCommand } from '../report/bench.ts';
import { describePlot, plotTo } from './plot.ts';
import { formatBenchFutex, runBenchFutex } from '../report/bench-futex.ts';
import { formatDemo, runDemo } from './demo.ts';
import { formatScale, type ModulePolicyColumn, runScaleStudy } from '../report/scale.ts';
import { packageRoot } from './package-root.ts';
import { withRunner } from '../report/worker-pool.ts';
import { progressRunner, withProgress } from './progress.ts';
import { loadScenarioFile } from '../scenario/load.ts';

/** Where a command writes its output. */
export interface CommandIo {
  out: (text: string) => void;
}

/** A command's body: takes its parsed options, returns the exit status (0 ok, 1 an expectation failed). */
export type CommandImpl<Options = Record<string, unknown>> = (
  options: Options,
  io: CommandIo,
) => Promise<number> | number;

/** `smpsim scale`: a scaling study of the primes workload over CPU counts and policies (SCHED-13, RING-6). */
export interface ScaleOptions {
  /** Policies to compare, in order; `--policy both` gives `['dwrr', 'fair']`. */
  policies: SchedPolicyName[];
  /** CPU counts to run, in the order given; no duplicates. */
  cpus: number[];
  /** The workload to scale; only primes is partitioned for scaling today. */
  workload: 'primes';
  mode: PrimesMode;
  partition: PrimesPartition;
  /** Workers (processes or threads) in every run; the same workload at every CPU count. */
  workers: number;
  /** Repeated runs per (policy, cpus) point, seeds `seed`, `seed + 1`, ... */
  runs: number;
  /** First seed. */
  seed: number;
  /** Half-open range of integers to test. */
  range: [number, number];
  /** The kernel personality (`--abi`, issue 20); absent: redox. */
  abi?: KernelAbi;
  /** capring only: the ring mode (`--rings`). */
  rings?: RingMode;
  /** capring only: each worker's ring sleep after every segment (`--sleep-ns`, RING-2). */
  sleepNs?: number;
  /** `--policy-module` (issue 22): your own policy, one more row of the study. */
  module?: ModulePolicyColumn;
  json: boolean;
  /** Worker threads running the study's runs (`--jobs`; 1: all in this thread). */
  jobs: number;
  /** `--plot FILE`: the speedup curves as SVG or PNG (issue 21). */
  plot?: string;
}

/** `smpsim bench`: the simulator's own speed. */
export interface BenchOptions {
  json: boolean;
  /** A shorter run for CI and smoke tests. */
  quick: boolean;
  /** `speed` (the simulator's own speed, the default) or `futex` (the futex table, simulated). */
  suite?: 'speed' | 'futex';
  /** Worker threads for `bench futex`'s runs and the speed suite's multi-run measure (`--jobs`). */
  jobs?: number;
  /** `--plot FILE`: each measure against issue 14's goal, as SVG or PNG (issue 21). */
  plot?: string;
}

/** `smpsim demo`: the default job, a scaling demo plus a few seed scenarios. */
export interface DemoOptions {
  json: boolean;
  /** Worker threads running the demo's runs (`--jobs`). */
  jobs: number;
}

/** `smpsim scale`: exit 1 when some point has no accepted run. */
export const scaleImpl: CommandImpl<ScaleOptions> = async (options, io) => {
  const report = await withProgress('scale', (p) =>
    withRunner(options.jobs, (runner) => runScaleStudy(options, progressRunner(runner, p, options.jobs > 1))),
  );
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatScale(report));
  if (options.plot !== undefined) {
    const drawn = await plotTo('speedup', [{ type: 'scale', label: 'scale', report }], options.plot, null);
    if (!options.json) io.out(describePlot(drawn));
  }
  return report.complete ? 0 : 1;
};

/** `smpsim bench`: the simulator's own speed, compared with the previous recorded result. */
export const benchImpl: CommandImpl<BenchOptions> = async (options, io) => {
  if (options.suite !== 'futex') {
    // Start-up is timed as a user starts the CLI, on a small seed scenario.
    const startup = {
      bin: join(PACKAGE_ROOT, 'bin', 'smpsim.js'),
      scenario: join(PACKAGE_ROOT, 'scenarios', 'seeds', 'futex-robust.toml'),
    };
    const plot = options.plot;
    const onReport =
      plot === undefined
        ? undefined
        : async (report: BenchReport) => {
            const drawn = await plotTo('bench', [{ type: 'bench', label: 'bench', report }], plot, null);
            if (!options.json) io.out(describePlot(drawn));
          };
    return withProgress('bench', (p) =>
      benchCommand(
        {
          ...options,
          startup,
          onReport,
          services: { root: PACKAGE_ROOT, load: (file, set) => loadScenarioFile(file, { set }) },
          onStage: p === null ? undefined : (done, total, name) => p.stage(done, total, name),
        },
        io,
      ),
    );
  }
  const jobs = options.jobs ?? 1;
  const report = await withProgress('bench futex', (p) =>
    withRunner(jobs, (runner) =>
      runBenchFutex({ quick: options.quick }, progressRunner(runner, p, jobs > 1)),
    ),
  );
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatBenchFutex(report));
  return 0;
};

const PACKAGE_ROOT = packageRoot();

/** `smpsim demo`: exit 1 when a seed scenario or a scaling point failed. */
export const demoImpl: CommandImpl<DemoOptions> = async (options, io) => {
  const report = await withProgress('demo', (p) =>
    withRunner(options.jobs, (runner) =>
      runDemo(PACKAGE_ROOT, undefined, progressRunner(runner, p, options.jobs > 1)),
    ),
  );
  io.out(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDemo(report));
  return report.passed ? 0 : 1;
};

/**
 * The command bodies `main` calls, looked up at call time so tests can substitute them. They are
 * placeholders until `report/` provides them; the placeholders throw, so a command that is not built
 * yet fails loudly (exit 70) instead of printing nothing.
 */
export const commandImpls: {
  scale: CommandImpl<ScaleOptions>;
  bench: CommandImpl<BenchOptions>;
  demo: CommandImpl<DemoOptions>;
} = { scale: scaleImpl, bench: benchImpl, demo: demoImpl };
