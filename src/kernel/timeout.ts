/**
 * A timed block's expiry, as every kernel wait takes it (futex, nanosleep, clock_nanosleep,
 * sigtimedwait): the absolute CLOCK_MONOTONIC time it ends, the exact CLOCK_REALTIME time too
 * when it was given on that clock (so a clock step moves it: Linux keeps such timers on the
 * realtime hrtimer base, and clock_was_set retriggers them), and its timer slack.
 *
 * Timer slack (kernel/time/hrtimer.c hrtimer_set_expires_range_ns): the timer may fire anywhere
 * from its expiry (the soft expiry) to expiry + slack (the hard one), so nearby timers share one
 * interrupt. A thread's slack is Linux's default 50 us (init_task.timer_slack_ns = 50000) under
 * SCHED_OTHER, BATCH and IDLE and 0 under an RT or deadline policy (kernel/sched/syscalls.c
 * __setscheduler_params: rt_or_dl_task_policy -> timer_slack_ns = 0). The waits that use
 * current->timer_slack_ns get it (hrtimer_nanosleep, futex_wait, futex_wait_requeue_pi,
 * do_sigtimedwait); FUTEX_LOCK_PI sets up its timer with no range (futex_lock_pi:
 * futex_setup_timer(..., 0)). Slack only exists with hrtimers: the tick-driven baseline expires
 * a timeout at the first tick or switch after it, whatever the slack.
 */
import { isRtPolicy, SCHED_DEADLINE } from '../abi/sched.ts';
import { NO_DEADLINE } from '../engine/deadline.ts';
import type { Kernel } from './kernel.ts';
import type { Thread } from './thread.ts';
import { nsToNumber } from './timespec.ts';

/** Linux's default timer slack for normal tasks (init/init_task.c: .timer_slack_ns = 50000). */
export const DEFAULT_TIMER_SLACK_NS = 50_000;

export interface Timeout {
  /** The absolute CLOCK_MONOTONIC expiry in ns; may be in the past (then it expires at once). */
  monotonicNs: number;
  /** The exact absolute CLOCK_REALTIME expiry of a wait given on that clock, else null. */
  realtimeNs: bigint | null;
  /** How much later than its expiry the timer may fire (hrtimers only). */
  slackNs: number;
}

/**
 * A wait without a timeout. Its expiry is NO_DEADLINE (engine/deadline.ts), so a comparison of
 * the clock with it is simply never true; the waits that must tell "no timeout given" from a
 * given one that is merely far away (futex_wait's restart rule) test `hasTimeout`, which asks
 * for this object itself.
 */
export const NO_TIMEOUT: Timeout = Object.freeze({ monotonicNs: NO_DEADLINE, realtimeNs: null, slackNs: 0 });

/** Was a timeout given? */
export function hasTimeout(timeout: Timeout): boolean {
  return timeout !== NO_TIMEOUT;
}

/** current->timer_slack_ns for `t` under the running kernel's timers (0 without hrtimers). */
export function timerSlackNs(k: Kernel, t: Thread): number {
  if (k.hrtimers === null) return 0;
  return isRtPolicy(t.policy) || t.policy === SCHED_DEADLINE ? 0 : DEFAULT_TIMER_SLACK_NS;
}

/** A relative timeout from now on CLOCK_MONOTONIC (FUTEX_WAIT, nanosleep, sigtimedwait). */
export function afterNs(k: Kernel, t: Thread, relativeNs: bigint, slack = true): Timeout {
  return {
    monotonicNs: k.nowNs + nsToNumber(relativeNs),
    realtimeNs: null,
    slackNs: slack ? timerSlackNs(k, t) : 0,
  };
}

/** An absolute deadline on CLOCK_MONOTONIC. */
export function atMonotonic(k: Kernel, t: Thread, absoluteNs: bigint, slack = true): Timeout {
  return { monotonicNs: nsToNumber(absoluteNs), realtimeNs: null, slackNs: slack ? timerSlackNs(k, t) : 0 };
}

/** An absolute deadline on CLOCK_REALTIME: its monotonic time follows every clock step. */
export function atRealtime(k: Kernel, t: Thread, realtimeNs: bigint, slack = true): Timeout {
  return {
    monotonicNs: nsToNumber(realtimeNs - k.realtimeOffsetNs),
    realtimeNs,
    slackNs: slack ? timerSlackNs(k, t) : 0,
  };
}
