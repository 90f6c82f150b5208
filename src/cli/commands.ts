/** The typed options of the `scale`, `bench` and `demo` commands, and the implementations `main` calls. */
import type { PrimesMode, PrimesPartition, SchedPolicyName } from '../machine/config.ts';

/** A command's body: takes its parsed options, returns the exit status (0 ok, 1 an expectation failed). */
export type CommandImpl<Options = Record<string, unknown>> = (options: Options) => Promise<number> | number;

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
  /** Repeated runs per (policy, cpus) point, seeds `seed`, `seed + 1`, ... */
  runs: number;
  /** First seed. */
  seed: number;
  /** Half-open range of integers to test. */
  range: [number, number];
  json: boolean;
}

/** `smpsim bench`: the simulator's own speed. */
export interface BenchOptions {
  json: boolean;
  /** A shorter run for CI and smoke tests. */
  quick: boolean;
}

/** `smpsim demo`: the default job, a scaling demo plus a few seed scenarios. */
export interface DemoOptions {
  json: boolean;
}

/** Placeholder for `smpsim scale`. */
export const scaleImpl: CommandImpl<ScaleOptions> = () => {
  throw new Error('scale: not built yet');
};

/** Placeholder for `smpsim bench`. */
export const benchImpl: CommandImpl<BenchOptions> = () => {
  throw new Error('bench: not built yet');
};

/** Placeholder for `smpsim demo`. */
export const demoImpl: CommandImpl<DemoOptions> = () => {
  throw new Error('demo: not built yet');
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
