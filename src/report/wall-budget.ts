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

/** A budget as `WallBudget.shared()` sends it. */
export interface SharedWallBudget {
  limitS: number;
  source: string;
  deadlineEpochMs: number;
}

export class WallBudget {
  readonly limitS: number;
  /** What set the limit, for the message: `--timeout` or `limits.wall_s_max`. */
  readonly source: string;
  readonly #deadlineMs: number;
  readonly #now: () => number;

  /** `deadlineMs` (on `now`'s scale) continues a budget begun elsewhere; by default it begins now. */
  constructor(
    limitS: number,
    source: string,
    now: () => number = () => performance.now(),
    deadlineMs: number = now() + limitS * 1000,
  ) {
    this.limitS = limitS;
    this.source = source;
    this.#now = now;
    this.#deadlineMs = deadlineMs;
  }

  /**
   * The budget as plain data another thread can continue (a worker of the run pool): its deadline
   * on the wall clock's epoch scale, which every thread shares (performance.timeOrigin differs).
   */
  shared(): SharedWallBudget {
    return {
      limitS: this.limitS,
      source: this.source,
      deadlineEpochMs: performance.timeOrigin + this.#deadlineMs,
    };
  }

  /** The budget `shared()` describes, in this thread. */
  static fromShared(s: SharedWallBudget): WallBudget {
    return new WallBudget(s.limitS, s.source, undefined, s.deadlineEpochMs - performance.timeOrigin);
  }

  /** Throws WallClockLimitError once the deadline has passed. */
  check(): void {
    if (this.#now() <= this.#deadlineMs) return;
    throw new WallClockLimitError(
      `wall-clock limit hit: the invocation ran past ${this.limitS} s (${this.source})`,
    );
  }
}
