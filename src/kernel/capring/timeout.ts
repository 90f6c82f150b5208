/**
 * Timeouts as ring operations (issue 20, RING-2): the Timeout SQE of the timer capability, Linux
 * io_uring's IORING_OP_TIMEOUT (io_uring/timeout.c). io_timeout_prep refuses flags other than
 * IORING_TIMEOUT_ABS (-EINVAL) and reads the completion count from `off`; io_timeout arms an
 * hrtimer on CLOCK_MONOTONIC, relative or absolute; when it fires, io_timeout_fn takes the request
 * off the ring's timeout list and posts its CQE with -ETIME. A count (complete early after that
 * many other CQEs) is not modelled: a non-zero count answers -EINVAL rather than pretend.
 *
 * Where the kernel's timer is. The model's timers end thread waits (kernel.ts blockCurrent), not
 * free-standing callbacks, so a ring's pending timeouts are kept here, ordered by expiry, and
 * fired by whoever is in the kernel for that ring when they are due: the thread blocked in
 * cap_enter on it arms its own wait's timer for the ring's earliest timeout (enter.ts), every
 * cap_enter fires what is due before it looks at the CQ, and so does an SQ poller's pass. A user
 * who polls the CQ without ever entering sees an expired timeout only at its next cap_enter —
 * the one place this differs from io_uring, whose hrtimer fires on its own.
 *
 * A timeout added while a thread waits on the ring with a later (or no) timer wakes that waiter,
 * which goes back to the user and enters again with the earlier timer (a woken waiter always
 * returns to the user, enter.ts).
 */
import { CAP_TIMEOUT_ABS } from '../../abi/capring.ts';
import { EINVAL, ETIME } from '../../abi/errno.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import { NO_DEADLINE } from '../../engine/deadline.ts';
import type { Kernel } from '../kernel.ts';
import { complete } from './complete.ts';
import type { CapProcess, CapRing, CapringKernel, PendingOp } from './state.ts';

/** One armed ring timeout (io_uring's io_timeout on ctx->timeout_list). */
export interface RingTimeout {
  deadlineNs: number;
  op: PendingOp;
  /** The submitter's tid (the trace record). */
  tid: number;
}

/** The Timeout SQE's arguments: ns as two words (low, high), the count, the flags. */
export type TimeoutArgs = readonly [lo: number, hi: number, count: number, flags: number];

/** Timeout: arms a ring timeout, or completes at once with -EINVAL (bad flags or a count). */
export function* ringTimeoutSubmit(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  ring: CapRing,
  op: PendingOp & { tid: number },
  args: TimeoutArgs,
): KernelGen<void> {
  const [lo, hi, count, flags] = args;
  if ((flags & ~CAP_TIMEOUT_ABS) !== 0 || count !== 0) return yield* complete(k, cpu, cs, cp, op, -EINVAL);
  const ns = (lo >>> 0) + (hi >>> 0) * 2 ** 32;
  const deadlineNs = (flags & CAP_TIMEOUT_ABS) !== 0 ? ns : k.nowNs + ns;
  const list = ring.timeouts;
  let i = list.length;
  while (i > 0 && list[i - 1]!.deadlineNs > deadlineNs) i--; // FIFO among equal expiries
  list.splice(i, 0, { deadlineNs, op, tid: op.tid });
  cs.counts.timeoutsArmed++;
  if (deadlineNs <= k.nowNs) {
    yield* fireDueTimeouts(k, cpu, cs, cp, ring);
    return;
  }
  // A waiter whose timer is later than this timeout must re-arm: wake it.
  const waiter = ring.waiter;
  if (waiter !== null && i === 0 && waiter.id !== op.tid && ring.waiterTimerNs > deadlineNs) {
    yield* k.wakeThread(cpu, waiter);
  }
}

/** The ring's earliest timeout, or NO_DEADLINE. */
export function nextTimeoutNs(ring: CapRing): number {
  return ring.timeouts[0]?.deadlineNs ?? NO_DEADLINE;
}

/** io_timeout_fn for every timeout of `ring` that is due: each posts -ETIME. Returns how many. */
export function* fireDueTimeouts(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  ring: CapRing,
): KernelGen<number> {
  let fired = 0;
  while (ring.timeouts.length > 0 && ring.timeouts[0]!.deadlineNs <= k.nowNs) {
    const due = ring.timeouts.shift()!;
    fired++;
    cs.counts.timeoutsFired++;
    k.traceDecision(TraceKind.CapTimeout, due.tid, Math.floor(due.deadlineNs / 1e6));
    yield* complete(k, cpu, cs, cp, due.op, -ETIME);
  }
  return fired;
}

/** A ring that goes with its thread (thread mode): its timeouts are completed, rejected as stale. */
export function* dropTimeouts(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  ring: CapRing,
): KernelGen<void> {
  for (const gone of ring.timeouts.splice(0)) yield* complete(k, cpu, cs, cp, gone.op, -ETIME);
}
