/**
 * Two rows of issue 14's table that `smpsim bench` measures from outside a run:
 *
 * - Multi-run speed-up: the same scaling study (`smpsim scale`'s runs) in this thread, then over
 *   the worker pool with every core (worker-pool.ts), in turn, the best wall time of each,
 *   start-up of the worker threads included since a user pays it; the reports must be
 *   identical (goal >= 1.8x on 2 cores).
 * - Start-up: the CLI as a user starts it (`bin/smpsim.js`, which runs the compiled bundle when
 *   it is current), running a seed scenario that stops after its first simulated event (goal
 *   < 0.3 s); the best of a few child processes.
 *
 * Wall-clock reads are the report layer timing whole runs and processes from outside, as in
 * bench.ts; nothing inside a simulation reads a clock.
 * @module
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { dirname, relative } from 'node:path';
import { serialRunner } from './runner.ts';
import { runScaleStudy, type ScaleStudy } from './scale.ts';
import { defaultJobs, withRunner } from './worker-pool.ts';

export interface BenchMultiRun {
  /** What was run: the `smpsim scale` study's flags. */
  command: string;
  runs: number;
  /** Worker threads of the parallel run (every core). */
  jobs: number;
  /** Serial and parallel runs of the study, in turn; the best of each is kept. */
  rounds?: number;
  serial_wall_ms: number;
  parallel_wall_ms: number;
  /** serial ÷ parallel wall time. */
  speedup: number;
}

export interface BenchStartup {
  /** The command line timed, after `node`. */
  command: string;
  /** Wall time of the fastest of the child processes, start to exit. */
  wall_ms: number;
  repetitions: number;
  /**
   * The fastest bare `node -e 0`, started in turn with them: Node's own start on this host at
   * that time, which the CLI cannot go below (older results lack it).
   */
  node_wall_ms?: number;
}

/** Turns of serial, then parallel (runBenchMultiRun). */
const MULTI_RUN_ROUNDS = 3;

function multiRunStudy(quick: boolean): ScaleStudy {
  return {
    policies: ['dwrr', 'fair'],
    cpus: [1, 2, 4],
    workers: 4,
    mode: 'process',
    partition: 'interleaved',
    runs: quick ? 1 : 4,
    seed: 1,
    range: quick ? [2, 300_000] : [2, 2_000_000],
  };
}

/**
 * Serial and parallel in turn, MULTI_RUN_ROUNDS times, and the best of each: this VM's speed
 * moves by a factor of two within minutes, and measured once each the speed-up ranged
 * 1.52-2.17x over one build's bench runs (bench/results/spread/2026-12-03-o/). Every parallel
 * run starts a pool of its own, so each pays the worker's start-up a user pays.
 */
export async function runBenchMultiRun(quick: boolean, jobs: number = defaultJobs()): Promise<BenchMultiRun> {
  const study = multiRunStudy(quick);
  let serialMs = Number.POSITIVE_INFINITY;
  let parallelMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < MULTI_RUN_ROUNDS; round++) {
    const serialStart = performance.now();
    const serial = await runScaleStudy(study, serialRunner);
    serialMs = Math.min(serialMs, performance.now() - serialStart);
    const parallelStart = performance.now();
    const parallel = await withRunner(jobs, (runner) => runScaleStudy(study, runner));
    parallelMs = Math.min(parallelMs, performance.now() - parallelStart);
    if (JSON.stringify(parallel) !== JSON.stringify(serial)) {
      throw new Error('bench: the scaling study on worker threads differs from the serial one');
    }
  }
  return {
    command: `scale --cpus ${study.cpus.join(',')} --runs ${study.runs} --range ${study.range.join(',')}`,
    runs: study.policies.length * study.cpus.length * study.runs,
    jobs,
    rounds: MULTI_RUN_ROUNDS,
    serial_wall_ms: round1(serialMs),
    parallel_wall_ms: round1(parallelMs),
    speedup: Math.round((serialMs / parallelMs) * 1000) / 1000,
  };
}

/** Wall ms of one child process of `node args`, and the child. */
function timedChild(args: string[]): [number, SpawnSyncReturns<string>] {
  const start = performance.now();
  const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return [performance.now() - start, child];
}

/** The CLI's start and a bare Node's, in turn (the host's speed moves within seconds here). */
export function runBenchStartup(binPath: string, scenario: string, repetitions = 3): BenchStartup {
  const args = [binPath, 'run', scenario, '--set', 'limits.events_max=1'];
  let best = Number.POSITIVE_INFINITY;
  let bestNode = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repetitions; i++) {
    const [wallMs, child] = timedChild(args);
    if (child.status !== 1 || !child.stderr.includes('event limit hit')) {
      throw new Error(`bench: start-up run ended otherwise than at its first event: ${child.stderr.trim()}`);
    }
    best = Math.min(best, wallMs);
    bestNode = Math.min(bestNode, timedChild(['-e', '0'])[0]);
  }
  // Named from the package root (bin/'s parent), so a recorded result holds no host's paths.
  const root = dirname(dirname(binPath));
  const shown = [relative(root, binPath), 'run', relative(root, scenario), ...args.slice(3)];
  return { command: shown.join(' '), wall_ms: round1(best), repetitions, node_wall_ms: round1(bestNode) };
}

/** The lines `smpsim bench` prints for these measures. */
export function formatBenchMultiRun(m: BenchMultiRun | undefined, s: BenchStartup | undefined): string[] {
  const lines: string[] = [];
  if (m !== undefined) {
    lines.push(
      `multi-run: ${m.runs} runs of smpsim ${m.command}: ${(m.serial_wall_ms / 1000).toFixed(2)} s in one thread, ` +
        `${(m.parallel_wall_ms / 1000).toFixed(2)} s on ${m.jobs} worker threads = ${m.speedup.toFixed(2)}x (goal 1.80 on 2 cores)`,
    );
  }
  if (s !== undefined) {
    lines.push(
      `start-up to the first simulated event: ${s.wall_ms.toFixed(0)} ms (best of ${s.repetitions}; goal < 300)` +
        (s.node_wall_ms === undefined ? '' : `; a bare node -e 0: ${s.node_wall_ms.toFixed(0)} ms`),
    );
  }
  return lines;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
