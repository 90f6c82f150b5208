/**
 * The improved init's restart policy (SVC-5): `on-failure | always | never`, a backoff of 1, 2,
 * 4, 8 … seconds capped at 30 s, and giving up after 5 consecutive failures. Redox's init has no
 * restart at all (U4; models-2.md §10.1). systemd's figures differ (RestartSec 100 ms, at most
 * 5 starts in 10 s, then "start-limit-hit": systemd.service(5), models-2.md §10.3); the plans'
 * doubling backoff is systemd's newer RestartSteps=/RestartMaxDelaySec= shape.
 *
 * A run of failures ends when the service has stayed up for `stableNs` after it became ready
 * (systemd's StartLimitIntervalSec= default, 10 s, plays that role there).
 */
import type { RestartPolicy } from './unit.ts';

export interface RestartConfig {
  /** First delay (SVC-5: 1 s). */
  baseDelayNs: number;
  /** Largest delay (SVC-5: 30 s). */
  maxDelayNs: number;
  /** The failure that makes init give up (SVC-5: the 5th consecutive one). */
  giveUpAfter: number;
  /** Up this long after readiness ends a run of failures (10 s, as systemd's start-limit interval). */
  stableNs: number;
}

export const DEFAULT_RESTART: RestartConfig = {
  baseDelayNs: 1_000_000_000,
  maxDelayNs: 30_000_000_000,
  giveUpAfter: 5,
  stableNs: 10_000_000_000,
};

/** The delay before the restart that follows the `failures`-th consecutive failure (1-based). */
export function backoffNs(failures: number, cfg: RestartConfig = DEFAULT_RESTART): number {
  if (!Number.isInteger(failures) || failures < 1) throw new Error(`backoffNs: failures ${failures} < 1`);
  // 2^(failures-1) overflows nothing that matters: the cap is reached by the 6th failure.
  const doubled = cfg.baseDelayNs * 2 ** Math.min(failures - 1, 40);
  return Math.min(doubled, cfg.maxDelayNs);
}

export type RestartDecision =
  | { action: 'restart'; delayNs: number; failures: number }
  | { action: 'give-up'; failures: number }
  | { action: 'stay-down' };

/** One service's run of failures. */
export class RestartTracker {
  #failures = 0;
  #readyAtNs: number | null = null;
  readonly #policy: RestartPolicy;
  readonly #cfg: RestartConfig;

  constructor(policy: RestartPolicy, cfg: RestartConfig = DEFAULT_RESTART) {
    this.#policy = policy;
    this.#cfg = cfg;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** The service signalled readiness at `nowNs`. */
  ready(nowNs: number): void {
    this.#readyAtNs = nowNs;
  }

  /**
   * The service stopped at `nowNs`: `failed` is a nonzero exit, a signal, a start timeout or a
   * failed health check; false is a clean exit. Returns what init does next.
   */
  stopped(nowNs: number, failed: boolean): RestartDecision {
    if (this.#readyAtNs !== null && nowNs - this.#readyAtNs >= this.#cfg.stableNs) this.#failures = 0;
    this.#readyAtNs = null;
    const restarts = this.#policy === 'always' || (this.#policy === 'on-failure' && failed);
    if (!restarts) return { action: 'stay-down' };
    this.#failures++;
    if (this.#failures >= this.#cfg.giveUpAfter) return { action: 'give-up', failures: this.#failures };
    return { action: 'restart', delayNs: backoffNs(this.#failures, this.#cfg), failures: this.#failures };
  }
}
