/**
 * `NO_DEADLINE`: the one spelling of "no deadline" for an absolute time in ns (a blocked
 * thread's wake time, an hrtimer queue's next expiry, a policy's next tick, a timer device's
 * armed deadline). It is +Infinity, not -1 or null, because it then compares after every real
 * time: `Math.min` over deadlines, `nowNs >= deadlineNs` and "earliest first" orderings need no
 * special case, and a forgotten check can never fire a timer (-1 would read as "already past",
 * null as 0). Times are integer ns well below 2^53, so no real deadline equals it; a guest time
 * too large for a safe integer is converted to it ("never", kernel/timespec.ts nsToNumber).
 */
export const NO_DEADLINE = Number.POSITIVE_INFINITY;
