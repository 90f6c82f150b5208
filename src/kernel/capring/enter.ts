/**
 * cap_enter(min_complete, timeout_ns, since_tail): the capring personality's only trap (RING-1,
 * capOS's cap_enter, models-2.md §11.6; io_uring_enter with GETEVENTS, §11.2). It consumes the
 * caller's ring from sq_head to sq_tail, dispatching each SQE (ops.ts); flushes the overflow list;
 * then returns the CQEs ready if there are at least `min_complete` (or, given `since_tail`, that
 * many posted since cq_tail was that), or waits for them until the timeout (-ETIME), reporting a
 * dropped CQE once (-EBADR). A woken waiter returns to the user even with none ready. The first cap_enter of a process maps
 * its ring at RING_VADDR and makes the caller its slot-0 thread.
 *
 * Waiting, process mode (RING-2): one thread at a time may block on the process's ring, and every
 * CQE posted wakes it (the kernel cannot tell whose a CQE is: it is the user's user_data). A
 * thread that needs to wait while another is blocked there waits behind it; when the blocked one
 * leaves, all behind it are let go and return the CQEs ready, possibly 0: the one that left may
 * have reaped their completions into the user runtime's demux, so each looks there first and
 * enters again if it must, the first to block becoming the next waiter.
 * Thread mode (RING-3): every thread blocks on its own ring.
 */
import { CAP_ENTER_SIGMASK, CAP_ENTER_SQ_WAKEUP, RING_VADDR } from '../../abi/capring.ts';
import { EBADR, EFAULT, EINTR, EINVAL, ENOMEM, ETIME } from '../../abi/errno.ts';
import { UNBLOCKABLE } from '../../abi/signal.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import { restoreSavedSigmask, signalPending } from '../signal.ts';
import type { Thread } from '../thread.ts';
import { NO_TIMEOUT, type Timeout } from '../timeout.ts';
import { getUser32, wordOk } from '../uaccess.ts';
import { dispatch, registerThread } from './ops.ts';
import { sqpollWake } from './sqpoll.ts';
import { fireDueTimeouts, nextTimeoutNs } from './timeout.ts';
import { CapProcess, type CapRing, type CapringKernel, type CapThread, capringOf, mapRing } from './state.ts';

export function* sysCapEnter(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  minComplete: number,
  timeoutNs: number,
  sinceTail = -1,
  flags = 0,
  maskAddr = 0,
): KernelGen<number> {
  if ((flags & ~(CAP_ENTER_SQ_WAKEUP | CAP_ENTER_SIGMASK)) !== 0) return -EINVAL;
  const mask = (flags & CAP_ENTER_SIGMASK) === 0 ? null : readWaitMask(t, maskAddr);
  if (mask === -EFAULT) return -EFAULT;
  const cs = capringOf(k);
  const me = threadOf(k, cs, cpu, t);
  if (me === null) return -ENOMEM;
  const cp = cs.processes.get(t.process.pid)!;
  cs.counts.enters++;
  const ring = me.ring;
  const c = { k, cpu, cs, cp, me };
  let consumed = 0;
  if ((flags & CAP_ENTER_SQ_WAKEUP) !== 0) yield* sqpollWake(k, cpu, cs, ring);
  // Under SQPOLL the ring's poller consumes the SQ; cap_enter only wakes it and waits.
  for (let sqe = ring.sqpoll === null ? ring.core.takeSqe() : null; sqe !== null; sqe = ring.core.takeSqe()) {
    consumed++;
    yield* dispatch(c, sqe);
  }
  k.traceDecision(TraceKind.CapEnter, t.id, consumed);
  yield* fireDueTimeouts(k, cpu, cs, cp, ring);
  const wait = { minComplete, timeoutNs, sinceTail, mask };
  return yield* waitRing(k, cpu, cs, t, ring, wait);
}

/** What the caller waits for: `mask` is the wait's signal mask (CAP_ENTER_SIGMASK), else null. */
interface WaitArgs {
  minComplete: number;
  timeoutNs: number;
  sinceTail: number;
  mask: number | null;
}

/** The caller's capring thread: made (with its process's ring) on the process's first entry. */
function threadOf(k: Kernel, cs: CapringKernel, cpu: Cpu, t: Thread): CapThread | null {
  let cp = cs.processes.get(t.process.pid);
  const node = k.topology.memoryNodeOf(cpu.id);
  if (cp === undefined) {
    const ring = mapRing(t.process, RING_VADDR, cs.options.overflowCapacity, node);
    if (ring === null) return null;
    cp = new CapProcess(t.process, ring);
    cs.processes.set(t.process.pid, cp);
    // The model's grant at spawn: a process may call its ancestors' endpoints (endpoint.ts).
    for (let up = t.process.parent; up !== null; up = up.parent) {
      for (const id of cs.processes.get(up.pid)?.endpoints ?? []) cp.endpoints.add(id);
    }
  }
  return cp.byTid.get(t.id) ?? registerThread(cs, cp, t, node);
}

/**
 * The wait half: see the header for the two modes' rules. With a signal mask, io_cqring_wait's
 * order (io_uring/io_uring.c): CQEs already there return at once and the mask is never set;
 * otherwise it is set for the wait (set_user_sigmask), and put back on the way out unless the
 * wait ends with -EINTR (restore_saved_sigmask_unless(ret == -EINTR)): then it stays until the
 * signal that ended the wait is delivered, and the handler's frame restores the caller's own.
 */
function* waitRing(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  t: Thread,
  ring: CapRing,
  wait: WaitArgs,
): KernelGen<number> {
  const deadlineNs = wait.timeoutNs >= 0 ? k.nowNs + wait.timeoutNs : -1;
  ring.core.flush();
  if (wait.minComplete <= 0 || satisfied(ring, wait.minComplete, wait.sinceTail)) return ring.core.cqReady();
  if (ring.core.droppedPending) {
    ring.core.droppedPending = false;
    return -EBADR;
  }
  if (wait.mask !== null) {
    t.savedSigMask = t.sigMask;
    t.sigMask = (wait.mask & ~UNBLOCKABLE) >>> 0;
  }
  const r = yield* blockOnRing(k, cpu, cs, t, ring, wait, deadlineNs);
  if (wait.mask !== null && r !== -EINTR) restoreSavedSigmask(t);
  return r;
}

/** The wait's signal mask, a 32-bit word at `addr` (rt_sigprocmask's set), or -EFAULT. */
function readWaitMask(t: Thread, addr: number): number {
  if (addr === 0 || !wordOk(t, addr, false)) return -EFAULT;
  return getUser32(t, addr) >>> 0;
}

function* blockOnRing(
  k: Kernel,
  cpuAtEntry: Cpu,
  cs: CapringKernel,
  t: Thread,
  ring: CapRing,
  wait: WaitArgs,
  deadlineNs: number,
): KernelGen<number> {
  let cpu = cpuAtEntry;
  const { minComplete, timeoutNs, sinceTail } = wait;
  if (timeoutNs === 0) return -ETIME;
  if (signalPending(t) || t.killPending) return -EINTR;
  const timeout: Timeout =
    deadlineNs < 0 ? NO_TIMEOUT : { monotonicNs: deadlineNs, realtimeNs: null, slackNs: 0 };
  if (ring.waiter !== null && ring.waiter !== t) return yield* waitBehind(k, cpu, cs, t, ring, timeout);
  ring.waiter = t;
  ring.waiterMin = minComplete;
  ring.waiterSinceTail = sinceTail;
  // The waiter's timer: its own timeout or the ring's earliest Timeout operation (timeout.ts).
  const ringNextNs = nextTimeoutNs(ring);
  const timerNs = ringNextNs < timeout.monotonicNs ? ringNextNs : timeout.monotonicNs;
  ring.waiterTimerNs = timerNs;
  const timer =
    timerNs === timeout.monotonicNs ? timeout : { monotonicNs: timerNs, realtimeNs: null, slackNs: 0 };
  k.blockCurrent(cpu, t, 'cap_enter', timer);
  yield* schedule(k, cpu);
  cpu = k.cpuOf(t);
  ring.waiter = null;
  // The waiter's turn ends: everyone behind it goes back to look in the demux (it may have
  // reaped their completions) and enters again; the first to block is the next waiter.
  for (const behind of ring.queue.splice(0)) yield* k.wakeThread(cpu, behind);
  if (t.interrupted) return -EINTR;
  const cp = cs.processes.get(t.process.pid);
  if (cp !== undefined) yield* fireDueTimeouts(k, cpu, cs, cp, ring);
  ring.core.flush();
  // Woken: back to the user, who looks in its demux (in process mode another thread may have
  // reaped what woke this one) and enters again if it still lacks its completion.
  const ownTimeout = t.timedOut && deadlineNs >= 0 && k.nowNs >= deadlineNs;
  if (ownTimeout && !satisfied(ring, minComplete, sinceTail)) return -ETIME;
  return ring.core.cqReady();
}

/**
 * Does the ring hold what the waiter waits for? `min` CQEs ready (io_uring's rule), or with
 * `sinceTail` (the cq_tail the caller saw when it last reaped, >= 0) `min` posted since then: an
 * event count, so a CQE another thread reaped in between still counts (process rings' demux).
 */
export function satisfied(ring: CapRing, min: number, sinceTail: number): boolean {
  if (ring.core.overflow.length > 0) return true; // the user must reap so the list can flush
  if (sinceTail < 0) return ring.core.cqReady() >= min;
  return (ring.core.cqTail() - sinceTail) >>> 0 >= min;
}

/**
 * Process mode: another thread is blocked on the ring, so this one waits behind it (RING-2) and,
 * let go, returns the CQEs ready (0 asks the user runtime to look in its demux and enter again).
 */
function* waitBehind(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  t: Thread,
  ring: CapRing,
  timeout: Timeout,
): KernelGen<number> {
  cs.counts.ownerQueued++;
  k.traceDecision(TraceKind.CapOwnerQueued, t.id, ring.waiter!.id);
  const sinceNs = k.nowNs;
  ring.queue.push(t);
  k.blockCurrent(cpu, t, 'cap_enter-queued', timeout);
  yield* schedule(k, cpu);
  const at = ring.queue.indexOf(t);
  if (at >= 0) ring.queue.splice(at, 1); // timed out or interrupted while still behind
  cs.counts.ownerQueuedNs += k.nowNs - sinceNs;
  if (t.interrupted) return -EINTR;
  ring.core.flush();
  if (t.timedOut) return -ETIME;
  return ring.core.cqReady();
}
