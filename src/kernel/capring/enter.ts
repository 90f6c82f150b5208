/**
 * cap_enter(min_complete, timeout_ns): the capring personality's only trap (RING-1,
 * capOS's cap_enter, models-2.md §11.6; io_uring_enter with GETEVENTS, §11.2). It consumes the
 * caller's ring from sq_head to sq_tail, dispatching each SQE (ops.ts); flushes the overflow list;
 * then returns the CQEs ready if there are at least `min_complete`, or waits for them until the
 * timeout (-ETIME), reporting a dropped CQE once (-EBADR). The first cap_enter of a process maps
 * its ring at RING_VADDR and makes the caller its slot-0 thread.
 *
 * Waiting, process mode (RING-2): one thread at a time may block on the process's ring. A thread
 * that needs to wait while another is blocked there waits behind it, and when the blocked one
 * leaves, the first behind it is let go and returns the CQEs ready, possibly 0: the one that left
 * may have reaped its completion into the user runtime's demux, so the caller looks there first.
 * Thread mode (RING-3): every thread blocks on its own ring.
 */
import { RING_VADDR } from '../../abi/capring.ts';
import { EBADR, EINTR, ENOMEM, ETIME } from '../../abi/errno.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import type { KernelGen } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import { signalPending } from '../signal.ts';
import type { Thread } from '../thread.ts';
import { NO_TIMEOUT, type Timeout } from '../timeout.ts';
import { dispatch, registerThread } from './ops.ts';
import { CapProcess, type CapRing, type CapringKernel, type CapThread, capringOf, mapRing } from './state.ts';

export function* sysCapEnter(
  k: Kernel,
  cpu: Cpu,
  t: Thread,
  minComplete: number,
  timeoutNs: number,
): KernelGen<number> {
  const cs = capringOf(k);
  const me = threadOf(k, cs, cpu, t);
  if (me === null) return -ENOMEM;
  const cp = cs.processes.get(t.process.pid)!;
  cs.counts.enters++;
  const ring = me.ring;
  const c = { k, cpu, cs, cp, me };
  let consumed = 0;
  for (let sqe = ring.core.takeSqe(); sqe !== null; sqe = ring.core.takeSqe()) {
    consumed++;
    yield* dispatch(c, sqe);
  }
  k.traceDecision(TraceKind.CapEnter, t.id, consumed);
  return yield* waitRing(k, cpu, cs, t, ring, minComplete, timeoutNs);
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
  }
  return cp.byTid.get(t.id) ?? registerThread(cs, cp, t, node);
}

/** The wait half: see the header for the two modes' rules. */
function* waitRing(
  k: Kernel,
  cpuAtEntry: Cpu,
  cs: CapringKernel,
  t: Thread,
  ring: CapRing,
  minComplete: number,
  timeoutNs: number,
): KernelGen<number> {
  let cpu = cpuAtEntry;
  const deadlineNs = timeoutNs >= 0 ? k.nowNs + timeoutNs : -1;
  for (;;) {
    ring.core.flush();
    const ready = ring.core.cqReady();
    if (minComplete <= 0 || ready >= minComplete) return ready;
    if (ring.core.droppedPending) {
      ring.core.droppedPending = false;
      return -EBADR;
    }
    if (deadlineNs >= 0 && k.nowNs >= deadlineNs) return -ETIME;
    if (signalPending(t) || t.killPending) return -EINTR;
    const timeout: Timeout =
      deadlineNs < 0 ? NO_TIMEOUT : { monotonicNs: deadlineNs, realtimeNs: null, slackNs: 0 };
    if (ring.waiter !== null && ring.waiter !== t) return yield* waitBehind(k, cpu, cs, t, ring, timeout);
    ring.waiter = t;
    ring.waiterMin = minComplete;
    k.blockCurrent(cpu, t, 'cap_enter', timeout);
    yield* schedule(k, cpu);
    cpu = k.cpuOf(t);
    ring.waiter = null;
    const next = ring.queue.shift();
    if (next !== undefined) yield* k.wakeThread(cpu, next);
    if (t.interrupted) return -EINTR;
  }
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
