/**
 * The wall-clock budget of one invocation (`limits.wall_s_max`, `--timeout`): every run it makes
 * (the sweep's and the variants' included) checks it between slices of events. It reads the
 * host's clock only to abort; nothing it reads reaches the simulation, so a run that finishes
 * within it is the same run as without it.
 */
import { performance } from 'node:perf_hooks';

/** Thrown when the budget is spent: the invocation ends with exit status 1 and this message. */
export class WallClockLimitError extends Error {
  override readonly name = 'WallClockLimitError';
}

export class WallBudget {
  readonly limitS: number;
  /** What set the limit, for the message: `--timeout` or `limits.wall_s_max`. */
  readonly source: string;
  readonly #deadlineMs: number;
  readonly #now: () => number;

  constructor(limitS: number, source: string, now: () => number = () => performance.now()) {
    this.limitS = limitS;
    this.source = source;
    this.#now = now;
    this.#deadlineMs = now() + limitS * 1000;
  }

  /** Throws WallClockLimitError once the deadline has passed. */
  check(): void {
    if (this.#now() <= this.#deadlineMs) return;
    throw new WallClockLimitError(
      `wall-clock limit hit: the invocation ran past ${this.limitS} s (${this.source})`,
    );
  }
}
