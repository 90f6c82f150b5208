/**
 * `smpsim bench`: the simulator's own speed. Fixed, deterministic workloads (seed 1) run to
 * completion; each is warmed up once, timed three times, and the best repetition reported as
 * effects and engine events per wall-clock second. The compute workload is set next to the
 * reference loop (`bench-reference.ts`), and their ratio says what share of a bare heap +
 * generator loop's speed the simulator keeps (issue 14's goals: compute 0.5, futex ping-pong
 * 0.25). Then the scale measures (bench-scale.ts), a multi-run command serial against the worker
 * pool, and the CLI's start-up (bench-multirun.ts): every row of issue 14's table.
 *
 * Why it is near 400 lines, the house bound: the report type every measure adds a field to,
 * the workloads, their timing and the table are one contract (bench/results files are read back
 * by the README test); the scale, multi-run, services, trace-off and reference measures live in
 * their own bench-*.ts files, and the text table in bench-format.ts.
 *
 * Wall-clock reads are allowed here and only here: this is the report layer timing whole runs
 * from outside, never code inside a simulation (DESIGN.md, "Determinism").
 * @module
 */
import { type BenchServices, runBenchServices, type ServicesSeeds } from './bench-services.ts';
import { cpus as osCpus } from 'node:os';
import { buildMachine } from '../machine/build.ts';
import type { RunConfig, SchedPolicyName, WorkloadConfig } from '../machine/config.ts';
import { defaultRunConfig } from '../machine/defaults.ts';
import { type ReferenceResult, referenceLoop } from './bench-reference.ts';
import { formatBench } from './bench-format.ts';
import {
  BENCH_PINGPONG_RATIO_TARGET,
  BENCH_RATIO_TARGET,
  BENCH_REPETITIONS,
  BENCH_RESULTS_DIR,
  BENCH_SCHEMA,
  compareWithPrevious,
  round4,
} from './bench-results.ts';
import {
  type BenchMultiRun,
  type BenchStartup,
  runBenchMultiRun,
  runBenchStartup,
} from './bench-multirun.ts';
import { type BenchScale, runBenchScale } from './bench-scale.ts';
import { type BenchTraceOff, runBenchTraceOff } from './bench-trace-off.ts';

// The recorded results (bench/results/) live in bench-results.ts; re-exported for callers.
export {
  BENCH_RESULTS_DIR,
  BENCH_SCHEMA,
  compareWithPrevious,
  latestBenchResult,
  writeBenchResult,
} from './bench-results.ts';

/** Cycles per compute effect in the compute workloads: 10 µs at 3 GHz. */
const COMPUTE_CYCLES = 30_000;
const COMPUTE_THREADS = 4;
/** Warm-up runs are this fraction of the timed run (but never empty). */
const WARMUP_FRACTION = 0.1;

export interface BenchReferenceResult {
  effects_per_s: number;
  wall_ms: number;
}

export interface BenchWorkloadResult {
  name: string;
  /** What the workload measures, one line. */
  description: string;
  /** Wall time of the best repetition of `engine.run` (building the machine is not timed). */
  wall_ms: number;
  /** Effects interpreted by all CPUs (guest and kernel), the sum of `cpu.effects`. */
  effects: number;
  /** Engine events dispatched. */
  events: number;
  effects_per_s: number;
  events_per_s: number;
  /** Simulated time at the end of the run. */
  sim_ns: number;
  sim_ns_per_wall_s: number;
  repetitions: number;
  /** Which timed repetition (1-based) was the fastest and is reported. */
  best_repetition: number;
  /** The reference loop over the same number of effects and generators (compute only). */
  reference?: BenchReferenceResult;
  /** effects_per_s ÷ reference.effects_per_s (compute only). */
  ratio?: number;
}

// Kept here for the importers written before they moved (bench-results.ts, bench-format.ts).
export { BENCH_PINGPONG_RATIO_TARGET, BENCH_RATIO_TARGET, BENCH_REPETITIONS, formatBench };

export interface BenchReport {
  schema: typeof BENCH_SCHEMA;
  node_version: string;
  cpu_model: string;
  quick: boolean;
  workloads: BenchWorkloadResult[];
  /** The compute workload's ratio to the reference loop. */
  ratio_compute: number;
  /** Futex ping-pong's ratio to the reference loop (absent in results before issue 14's table). */
  ratio_pingpong?: number;
  /** A multi-run command serial against the worker pool (bench-multirun.ts). */
  multi_run?: BenchMultiRun;
  /** CLI start-up to the first simulated event (bench-multirun.ts). */
  startup?: BenchStartup;
  /** Scaling with CPUs and threads, memory per thread, idle time per tick source (bench-scale.ts). */
  scale?: BenchScale;
  /** Time compression of a booted system, idle and busy (bench-services.ts, issue 19). */
  services?: BenchServices;
  /** What the trace recorder's sites cost with no trace asked for (bench-trace-off.ts). */
  trace_off?: BenchTraceOff;
}

/** A new report against the newest recorded one: new ÷ old effects per second, per workload. */
export interface BenchComparison {
  /** The recorded result compared against. */
  file: string;
  /** Whether that result was a `--quick` run (quick rates are a little lower: less JIT warm-up). */
  quick: boolean;
  /** Keyed by workload name; workloads missing from either report are left out. */
  effects_per_s_ratio: Record<string, number>;
  /** new ratio_compute ÷ old ratio_compute. */
  ratio_compute_ratio: number;
}

/** One fixed workload of the benchmark. */
export interface BenchWorkload {
  name: string;
  description: string;
  /** The timed configuration. */
  config: RunConfig;
  /** A short run of the same shape, run once before timing. */
  warmup: RunConfig;
  /** Generators the reference loop should use, or null when this workload has no reference. */
  referenceGenerators: number | null;
  /** The goal for the ratio to the reference, when it has one. */
  ratioTarget?: number;
}

function benchConfig(name: string, policy: SchedPolicyName, workload: WorkloadConfig): RunConfig {
  const config = defaultRunConfig(policy, 4);
  config.name = `bench-${name}`;
  config.seed = 1;
  config.workloads = [workload];
  return config;
}

function spin(iterations: number): WorkloadConfig {
  return { kind: 'spin', threads: COMPUTE_THREADS, iterations, cycles: COMPUTE_CYCLES };
}

/** Two ping-pong pairs: four threads. */
const PINGPONG_THREADS = 4;

function pingpong(rounds: number): WorkloadConfig {
  return { kind: 'pingpong', pairs: PINGPONG_THREADS / 2, rounds };
}

function primes(hi: number): WorkloadConfig {
  return {
    kind: 'primes',
    mode: 'process',
    workers: 4,
    range: [2, hi],
    segment: 10_000,
    partition: 'interleaved',
  };
}

function warmupCount(n: number): number {
  return Math.max(1, Math.round(n * WARMUP_FRACTION));
}

/**
 * The benchmark's workloads. Sizes are chosen so that a normal run takes about 1–2 s of wall
 * time per timed repetition on a 2020s x86 core (quick: about 0.2 s).
 */
export function benchWorkloads(quick: boolean): BenchWorkload[] {
  const spinIterations = quick ? 250_000 : 1_500_000;
  const rounds = quick ? 15_000 : 70_000;
  const primesHi = quick ? 500_000 : 2_000_000;
  return [
    {
      name: 'compute',
      description: `spin: ${COMPUTE_THREADS} threads of compute effects (${COMPUTE_CYCLES} cycles), 4 CPUs, fair`,
      config: benchConfig('compute', 'fair', spin(spinIterations)),
      warmup: benchConfig('compute', 'fair', spin(warmupCount(spinIterations))),
      referenceGenerators: COMPUTE_THREADS,
      ratioTarget: BENCH_RATIO_TARGET,
    },
    {
      name: 'compute-dwrr',
      description: `the compute workload on the baseline dwrr scheduler (PIT tick relayed by IPI)`,
      config: benchConfig('compute-dwrr', 'dwrr', spin(spinIterations)),
      warmup: benchConfig('compute-dwrr', 'dwrr', spin(warmupCount(spinIterations))),
      referenceGenerators: null,
    },
    {
      name: 'futex-pingpong',
      description: 'pingpong: 2 pairs handing a token through FUTEX_WAIT/FUTEX_WAKE, 4 CPUs, fair',
      config: benchConfig('futex-pingpong', 'fair', pingpong(rounds)),
      warmup: benchConfig('futex-pingpong', 'fair', pingpong(warmupCount(rounds))),
      // Its four threads against four generators: what the futex path costs over a bare loop.
      referenceGenerators: PINGPONG_THREADS,
      ratioTarget: BENCH_PINGPONG_RATIO_TARGET,
    },
    {
      name: 'primes',
      description: `primes: 4 worker processes over [2, ${primesHi}), 4 CPUs, fair (real sieve work per effect)`,
      config: benchConfig('primes', 'fair', primes(primesHi)),
      warmup: benchConfig('primes', 'fair', primes(Math.max(20_000, warmupCount(primesHi)))),
      referenceGenerators: null,
    },
  ];
}

export interface Measurement {
  wallMs: number;
  effects: number;
  events: number;
  simNs: number;
}

/** Builds the machine (untimed), then times `engine.run` to completion (also scripts/instructions/driver.ts). */
export function measureOnce(config: RunConfig): Measurement {
  const machine = buildMachine(config);
  const engine = machine.board.engine;
  const start = performance.now();
  const reason = engine.run(config.limits);
  const wallMs = performance.now() - start;
  if (!machine.kernel.finished) {
    throw new Error(`bench: ${config.name} did not finish (${machine.kernel.stopReason ?? reason})`);
  }
  let effects = 0;
  for (const cpu of machine.board.cpus) effects += cpu.effects;
  return { wallMs, effects, events: engine.events, simNs: engine.nowNs };
}

function perSecond(count: number, wallMs: number): number {
  return wallMs > 0 ? (count * 1000) / wallMs : 0;
}

/**
 * The workload's repetitions, and with a reference loop the loop's, in turn (workload, loop,
 * workload, loop …, after a warm-up of each): the host's speed, which moves by a factor of two
 * within minutes on a shared VM, then moves both alike, and their ratio holds. Measured one
 * after the other, the reference loop alone ranged 7.9–17.8 M effects/s over six bench runs
 * (bench/results/spread/2026-12-03-o/one-after-the-other/).
 */
function measureWorkload(w: BenchWorkload): { runs: Measurement[]; ref: ReferenceResult | null } {
  const runs: Measurement[] = [];
  const generators = w.referenceGenerators;
  measureOnce(w.warmup);
  let ref: ReferenceResult | null = null;
  for (let i = 0; i < BENCH_REPETITIONS; i++) {
    runs.push(measureOnce(w.config));
    if (generators === null) continue;
    const effects = runs[0]!.effects;
    if (i === 0) referenceLoop(warmupCount(effects), generators, COMPUTE_CYCLES);
    const r = referenceLoop(effects, generators, COMPUTE_CYCLES);
    if (ref === null || r.wallMs < ref.wallMs) ref = r;
  }
  return { runs, ref };
}

function runWorkload(w: BenchWorkload): BenchWorkloadResult {
  const { runs, ref } = measureWorkload(w);
  let bestIndex = 0;
  for (const [i, m] of runs.entries()) if (m.wallMs < runs[bestIndex]!.wallMs) bestIndex = i;
  const best = runs[bestIndex]!;
  // The simulator is deterministic: every repetition must do exactly the same work.
  for (const m of runs) {
    if (m.effects !== best.effects || m.events !== best.events || m.simNs !== best.simNs) {
      throw new Error(`bench: ${w.name} repetitions differ (determinism broken)`);
    }
  }
  const result: BenchWorkloadResult = {
    name: w.name,
    description: w.description,
    wall_ms: round3(best.wallMs),
    effects: best.effects,
    events: best.events,
    effects_per_s: Math.round(perSecond(best.effects, best.wallMs)),
    events_per_s: Math.round(perSecond(best.events, best.wallMs)),
    sim_ns: best.simNs,
    sim_ns_per_wall_s: Math.round(perSecond(best.simNs, best.wallMs)),
    repetitions: BENCH_REPETITIONS,
    best_repetition: bestIndex + 1,
  };
  if (ref !== null) {
    const refRate = perSecond(ref.effects, ref.wallMs);
    result.reference = { effects_per_s: Math.round(refRate), wall_ms: round3(ref.wallMs) };
    result.ratio = round4(refRate > 0 ? perSecond(best.effects, best.wallMs) / refRate : 0);
  }
  return result;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export interface BenchRunOptions {
  quick: boolean;
  /** The CLI and a seed scenario for the start-up measure; without it, start-up is not measured. */
  startup?: { bin: string; scenario: string };
  /** Worker threads of the multi-run measure (default: every core). */
  jobs?: number;
  /** The seeds the services measure runs, and their reader; without them, not measured. */
  services?: ServicesSeeds;
  /** Told as each measure starts: how many came before, of how many, its name (issue 21's progress). */
  onStage?: (done: number, total: number, name: string) => void;
}

export async function runBench(options: BenchRunOptions): Promise<BenchReport> {
  const defs = benchWorkloads(options.quick);
  const total =
    defs.length + 3 + (options.startup === undefined ? 0 : 1) + (options.services === undefined ? 0 : 1);
  let done = 0;
  const stage = <T>(name: string, measure: () => T): T => {
    options.onStage?.(done++, total, name);
    return measure();
  };
  const workloads = defs.map((w) => stage(w.name, () => runWorkload(w)));
  const ratioOf = (name: string) => workloads.find((w) => w.name === name)?.ratio ?? 0;
  const report: BenchReport = {
    schema: BENCH_SCHEMA,
    node_version: process.version,
    cpu_model: osCpus()[0]?.model.trim() ?? 'unknown',
    quick: options.quick,
    workloads,
    ratio_compute: ratioOf('compute'),
    ratio_pingpong: ratioOf('futex-pingpong'),
    scale: stage('scale', () => runBenchScale(options.quick)),
    multi_run: await stage('multi-run', () => runBenchMultiRun(options.quick, options.jobs)),
    trace_off: stage('trace-off', () =>
      runBenchTraceOff(
        benchConfig('trace-off', 'fair', pingpong(options.quick ? 2_000 : 15_000)),
        benchConfig('trace-off', 'fair', pingpong(options.quick ? 500 : 2_000)),
      ),
    ),
  };
  const startup = options.startup;
  if (startup !== undefined)
    report.startup = stage('start-up', () => runBenchStartup(startup.bin, startup.scenario));
  // Services (issue 19): a booted system's simulated seconds per host second, idle and busy.
  const services = options.services;
  if (services !== undefined)
    report.services = stage('services', () => runBenchServices(services, options.quick));
  options.onStage?.(total, total, 'done');
  return report;
}

/**
 * The body of `smpsim bench [--json] [--quick]`: runs the benchmark and prints it, as one JSON
 * object (with a `previous` comparison when a result is recorded under bench/results) or as a
 * table. Returns the exit status. `deps` lets tests point at another results directory or reuse
 * a report instead of running the benchmark again.
 */
export async function benchCommand(
  options: { json: boolean } & Pick<
    BenchRunOptions,
    'quick' | 'jobs' | 'startup' | 'services' | 'onStage'
  > & {
      /** Given the report after it is printed (`bench --plot`). */
      onReport?: (report: BenchReport) => Promise<void>;
    },
  io: { out(s: string): void },
  deps: { resultsDir?: string; run?: (options: BenchRunOptions) => BenchReport | Promise<BenchReport> } = {},
): Promise<number> {
  const report = await (deps.run ?? runBench)({
    quick: options.quick,
    jobs: options.jobs,
    startup: options.startup,
    services: options.services,
    onStage: options.onStage,
  });
  const previous = compareWithPrevious(report, deps.resultsDir ?? BENCH_RESULTS_DIR);
  if (options.json) {
    const out = previous === null ? report : { ...report, previous };
    io.out(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.out(formatBench(report, previous));
  }
  await options.onReport?.(report);
  return 0;
}
