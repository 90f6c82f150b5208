/**
 * The recorded results of `smpsim bench` under bench/results/: writing one, finding the newest
 * (by its YYYY-MM-DD name), and comparing a new run with it as new ÷ old effects per second.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BenchComparison, BenchReport } from './bench.ts';

/** Timed repetitions per measurement; the fastest is reported (the least disturbed by the host). */
export const BENCH_REPETITIONS = 3;
/** Where recorded results live, one `YYYY-MM-DD-<what>.json` per recording. */
/** Issue 14's goal for the compute workload: simulator rate ÷ reference rate. */
export const BENCH_RATIO_TARGET = 0.5;
/** Issue 14's goal for futex ping-pong against the same reference loop. */
export const BENCH_PINGPONG_RATIO_TARGET = 0.25;

export const BENCH_SCHEMA = 'smpsim.bench/1';
/** Where recorded results live, relative to the package root. */
export const BENCH_RESULTS_DIR = 'bench/results';

/** Rounded to 4 decimals, as every ratio in a bench report is. */
export function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Writes `report` as pretty JSON (creating the directory), as `smpsim bench --json` prints it. */
export function writeBenchResult(report: BenchReport, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

/**
 * The newest recorded result in `dir`: the lexicographically greatest `*.json` name, which for
 * `YYYY-MM-DD-<what>.json` names is the newest date. Empty files are skipped (a shell redirect
 * `> bench/results/new.json` creates the file before the bench that fills it runs). Null when
 * the directory is missing or holds no result.
 */
export function latestBenchResult(
  dir: string = BENCH_RESULTS_DIR,
): { file: string; report: BenchReport } | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const candidates = names.filter((n) => n.endsWith('.json')).sort();
  for (let i = candidates.length - 1; i >= 0; i--) {
    const file = join(dir, candidates[i]!);
    if (!statSync(file).isFile() || statSync(file).size === 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`bench: ${file}: not valid JSON (${(error as Error).message})`);
    }
    if (!isBenchReport(parsed)) throw new Error(`bench: ${file}: schema is not ${BENCH_SCHEMA}`);
    return { file, report: parsed };
  }
  return null;
}

function isBenchReport(value: unknown): value is BenchReport {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<BenchReport>;
  return v.schema === BENCH_SCHEMA && Array.isArray(v.workloads);
}

/** Compares `report` with the newest recorded result in `dir`; null when there is none. */
export function compareWithPrevious(
  report: BenchReport,
  dir: string = BENCH_RESULTS_DIR,
): BenchComparison | null {
  const previous = latestBenchResult(dir);
  if (previous === null) return null;
  const old = previous.report;
  const effectsRatio: Record<string, number> = {};
  for (const w of report.workloads) {
    const o = old.workloads.find((x) => x.name === w.name);
    if (o === undefined || !(o.effects_per_s > 0)) continue;
    effectsRatio[w.name] = round4(w.effects_per_s / o.effects_per_s);
  }
  return {
    file: previous.file,
    quick: old.quick === true,
    effects_per_s_ratio: effectsRatio,
    ratio_compute_ratio: old.ratio_compute > 0 ? round4(report.ratio_compute / old.ratio_compute) : 0,
  };
}
