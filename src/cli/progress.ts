/**
 * Progress on stderr for long commands (issue 21): `scale`, `policies`, `demo`, `bench`,
 * `explore` and `run` draw one line — a bar, runs done of runs queued, the simulated time a run
 * here has reached and its rate (simulated seconds per wall second), the elapsed time and an
 * estimate of what is left — redrawn in place at most every REDRAW_MS and erased at the end.
 * Only on a terminal: when stderr is not a TTY (a pipe, a file, CI) nothing is written, so
 * `--json` output and logs stay clean. SMPSIM_PROGRESS=0 turns it off on a terminal too.
 *
 * The wall clock is read here, in the command layer, never inside a simulation.
 */
import type { Runner } from '../report/runner.ts';
import { formatNs } from '../report/format-ns.ts';

/** What progress needs of a stream: process.stderr, or a fake one in the tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const REDRAW_MS = 100;
const BAR_CELLS = 24;
/** A simulated-time limit this large is no limit: the bar follows the runs, or shows no fraction. */
const SIM_LIMIT_SHOWN_MAX_NS = 1e15;

/** Seconds as the line prints them: `4.2 s`, `3 min 05 s`. */
export function formatWallS(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.floor(s - m * 60)).padStart(2, '0')} s`;
}

export interface ProgressState {
  runs: [done: number, total: number] | null;
  /** The simulated time a run here reached, its limit, and the wall seconds it took to get there. */
  sim: [ns: number, maxNs: number, atS: number] | null;
  /** A stage's name (bench): shown after the counts. */
  stage: string | null;
  /** A wall-clock limit (explore --time), when it ends the work before the count does. */
  limitS: number | null;
}

/**
 * The fraction done: of the wall-clock limit if there is one, else of the runs when there are
 * some (a count past Number.MAX_SAFE_INTEGER / 2 is no bound), else of the simulated-time limit;
 * or null when nothing bounds the work.
 */
export function fractionDone(s: ProgressState, elapsedS = 0): number | null {
  if (s.limitS !== null && s.limitS > 0) return Math.min(1, elapsedS / s.limitS);
  if (s.runs !== null && s.runs[1] > 0 && s.runs[1] < Number.MAX_SAFE_INTEGER / 2)
    return s.runs[0] / s.runs[1];
  if (s.sim !== null && s.sim[1] > 0 && s.sim[1] <= SIM_LIMIT_SHOWN_MAX_NS)
    return Math.min(1, s.sim[0] / s.sim[1]);
  return null;
}

/** The progress line (no newline), cut to `columns`. */
export function progressLine(label: string, s: ProgressState, elapsedS: number, columns: number): string {
  const parts = [label];
  const f = fractionDone(s, elapsedS);
  if (f !== null) {
    const full = Math.round(f * BAR_CELLS);
    parts.push(`[${'#'.repeat(full)}${'.'.repeat(BAR_CELLS - full)}] ${Math.floor(f * 100)}%`);
  }
  if (s.runs !== null) {
    const bounded = s.runs[1] < Number.MAX_SAFE_INTEGER / 2;
    parts.push(`${s.runs[0]}${bounded ? `/${s.runs[1]}` : ''} ${s.stage === null ? 'runs' : 'stages'}`);
  }
  if (s.stage !== null) parts.push(s.stage);
  let time = `${formatWallS(elapsedS)} elapsed`;
  if (f !== null && f > 0 && f < 1) time += `, ~${formatWallS((elapsedS * (1 - f)) / f)} left`;
  parts.push(time);
  if (s.sim !== null) {
    // The rate up to the last sample: it does not fall while the variants run after the run.
    const rate = s.sim[2] > 0 ? s.sim[0] / 1e9 / s.sim[2] : 0;
    parts.push(`sim ${formatNs(s.sim[0])} (${rate.toPrecision(3)} sim-s per s)`);
  }
  const line = parts.join('  ');
  return line.length <= columns - 1 ? line : line.slice(0, Math.max(0, columns - 1));
}

export class Progress {
  readonly #stream: ProgressStream;
  readonly #label: string;
  readonly #clock: () => number;
  readonly #startMs: number;
  #lastMs = Number.NEGATIVE_INFINITY;
  #drawn = false;
  readonly state: ProgressState = { runs: null, sim: null, stage: null, limitS: null };

  constructor(stream: ProgressStream, label: string, clock: () => number = () => performance.now()) {
    this.#stream = stream;
    this.#label = label;
    this.#clock = clock;
    this.#startMs = clock();
  }

  /** A progress line on `stream` if it is a terminal (and not turned off), else null: nothing drawn. */
  static on(label: string, stream: ProgressStream = process.stderr): Progress | null {
    if (stream.isTTY !== true || process.env.SMPSIM_PROGRESS === '0') return null;
    return new Progress(stream, label);
  }

  runs(done: number, total: number): void {
    this.state.runs = [done, total];
    this.#draw(done === total);
  }

  sim(ns: number, maxNs: number): void {
    this.state.sim = [ns, maxNs, (this.#clock() - this.#startMs) / 1000];
    this.#draw(false);
  }

  /** A stage begins (bench); the last (done === total) erases the line before the output. */
  stage(done: number, total: number, name: string): void {
    this.state.stage = name;
    if (done === total) this.end();
    else this.runs(done, total);
  }

  /** The work ends at `limitS` wall seconds at the latest (explore --time). */
  limit(limitS: number): this {
    this.state.limitS = limitS > 0 ? limitS : null;
    return this;
  }

  /** Erases the line (the command's own output follows). */
  end(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }

  #draw(force: boolean): void {
    const now = this.#clock();
    if (!force && now - this.#lastMs < REDRAW_MS) return;
    this.#lastMs = now;
    const line = progressLine(
      this.#label,
      this.state,
      (now - this.#startMs) / 1000,
      this.#stream.columns || 80,
    );
    this.#stream.write(`\r\x1b[2K${line}`);
    this.#drawn = true;
  }
}

/**
 * `inner`, counting its jobs into `progress`: each job is handed over on its own so each one's
 * end is seen (a pool runs them as it would the batch; the serial runner one after another,
 * with a redraw between). A failure still rejects with the earliest failing job's error.
 */
export function progressRunner(inner: Runner, progress: Progress | null, parallel: boolean): Runner {
  if (progress === null) return inner;
  let total = 0;
  let done = 0;
  const one = async (job: Parameters<Runner>[0][number]) => {
    const [report] = await inner([job]);
    progress.runs(++done, total);
    return report!;
  };
  const run: Runner = async (jobs) => {
    total += jobs.length;
    progress.runs(done, total);
    if (!parallel) {
      const out = [];
      for (const job of jobs) out.push(await one(job));
      return out;
    }
    const settled = await Promise.allSettled(jobs.map(one));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof one>>>).value);
  };
  if (inner.busyHere !== undefined) run.busyHere = inner.busyHere;
  return run;
}

/** Runs `body` with a progress line for `label` (or none off a terminal), erased at the end. */
export async function withProgress<T>(label: string, body: (p: Progress | null) => Promise<T>): Promise<T> {
  const progress = Progress.on(label);
  try {
    return await body(progress);
  } finally {
    progress?.end();
  }
}
