/**
 * SQPOLL as a per-ring mode (RING-3, issue 20): one kernel consumer thread per ring polls its SQ,
 * so the user submits by writing the tail alone, with no trap. As Linux's io_uring/sqpoll.c
 * io_sq_thread: the poller loops consuming SQEs; when it has found none for sq_thread_idle
 * (`sqpollIdleNs`) it sets IORING_SQ_NEED_WAKEUP in the SQ flags, checks the SQ once more (a
 * submission that raced with the flag is not lost), and sleeps; a user who sees the flag after
 * writing the tail calls io_uring_enter with IORING_ENTER_SQ_WAKEUP, which wakes it, and it
 * clears the flag. It yields the CPU when the scheduler asks (io_sq_thread's need_resched
 * check). As in Linux since 5.12 (create_io_thread), the poller is a thread of the ring's
 * process; the SQEs it runs are the ring owner's, so their completions go where the owner's go.
 *
 * The poller refuses ThreadExit (-EINVAL): a thread ends by its own cap_enter.
 */
import { CapOp, RING_SQ_FLAGS, RING_SQ_NEED_WAKEUP, SYS_CAP_SQPOLL } from '../../abi/capring.ts';
import type { Program } from '../../abi/effects.ts';
import { EEXIST, EINVAL, ENOMEM } from '../../abi/errno.ts';
import type { Guest } from '../../abi/guest.ts';
import { PROT_READ, PROT_WRITE } from '../../abi/syscalls.ts';
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { schedule } from '../sched/switch.ts';
import type { Thread } from '../thread.ts';
import { sysSchedYield } from '../time.ts';
import { NO_TIMEOUT } from '../timeout.ts';
import { complete } from './complete.ts';
import { dispatch, type OpContext } from './ops.ts';
import type { CapRing, CapringKernel, SqPoller } from './state.ts';
import { fireDueTimeouts } from './timeout.ts';

const POLLER_STACK_BYTES = 16 * 1024;

/** The poller's user-mode body: one trap that never returns until the mode ends. */
function* pollerEntry(t: Guest): Program<number> {
  return (yield t.syscall(SYS_CAP_SQPOLL)) as number;
}

/** SqpollStart: a poller for `me`'s ring. */
export function* sqpollStart(c: OpContext): KernelGen<number> {
  const { k, cpu, cs, me } = c;
  const ring = me.ring;
  if (ring.sqpoll !== null) return -EEXIST;
  yield spend(k.board.costs.threadSetupNs);
  const p = c.cp.process;
  const thread = k.createThread(p);
  if (thread === null) return -ENOMEM;
  const node = k.topology.memoryNodeOf(cpu.id);
  const stack = p.vm.mmapAnonymous(POLLER_STACK_BYTES, PROT_READ | PROT_WRITE, false, node);
  if (stack < 0) return -ENOMEM;
  thread.stackTop = stack + POLLER_STACK_BYTES;
  const poller: SqPoller = { thread, ownerTid: me.thread.id, sleeping: false, stop: false };
  ring.sqpoll = poller;
  cs.pollers.set(thread.id, poller);
  k.setEntry(thread, pollerEntry, null, false, null);
  yield* k.policy.start(cpu, thread);
  return 0;
}

/** SqpollStop: the poller ends at its next look (woken if it sleeps). */
export function* sqpollStop(k: Kernel, cpu: Cpu, ring: CapRing): KernelGen<number> {
  const poller = ring.sqpoll;
  if (poller === null) return -EINVAL;
  poller.stop = true;
  ring.sqpoll = null;
  if (poller.sleeping) yield* k.wakeThread(cpu, poller.thread);
  return 0;
}

/** cap_enter with CAP_ENTER_SQ_WAKEUP: wake the ring's poller if it sleeps. */
export function* sqpollWake(k: Kernel, cpu: Cpu, cs: CapringKernel, ring: CapRing): KernelGen<void> {
  const poller = ring.sqpoll;
  if (poller === null || !poller.sleeping) return;
  cs.counts.sqpollWakeups++;
  yield* k.wakeThread(cpu, poller.thread);
}

/** SYS_CAP_SQPOLL: io_sq_thread's loop, in the poller's context. */
export function* sysCapSqpoll(k: Kernel, cpuAtEntry: Cpu, cs: CapringKernel, t: Thread): KernelGen<number> {
  const poller = cs.pollers.get(t.id);
  if (poller === undefined) return -EINVAL;
  let cpu = cpuAtEntry;
  let lastWorkNs = k.nowNs;
  for (;;) {
    const cp = cs.processes.get(t.process.pid);
    const owner = cp?.byTid.get(poller.ownerTid);
    if (poller.stop || t.killPending || cp === undefined || owner === undefined) break;
    const ring = owner.ring;
    const consumed = yield* pollOnce({ k, cpu, cs, cp, me: owner });
    if (consumed > 0) {
      lastWorkNs = k.nowNs;
    } else if (k.nowNs - lastWorkNs >= k.board.costs.sqpollIdleNs) {
      setNeedWakeup(ring, true);
      if (ring.core.sqPending() === 0) {
        poller.sleeping = true;
        cs.counts.sqpollSleeps++;
        k.traceDecision(TraceKind.CapSqpoll, owner.thread.id, -1);
        k.blockCurrent(cpu, t, 'sqpoll-idle', NO_TIMEOUT);
        yield* schedule(k, cpu);
        cpu = k.cpuOf(t);
        poller.sleeping = false;
      }
      setNeedWakeup(ring, false);
      lastWorkNs = k.nowNs;
      continue;
    } else {
      yield spend(k.board.costs.sqpollSpinNs);
    }
    if (k.needResched[cpu.id] !== 0) {
      yield* sysSchedYield(k, cpu);
      cpu = k.cpuOf(t);
    }
  }
  cs.pollers.delete(t.id);
  return 0;
}

/** One pass over the SQ on the owner's behalf; the SQEs consumed. */
function* pollOnce(c: OpContext): KernelGen<number> {
  const ring = c.me.ring;
  let consumed = 0;
  for (let sqe = ring.core.takeSqe(); sqe !== null; sqe = ring.core.takeSqe()) {
    consumed++;
    c.cs.counts.sqpollSqes++;
    if (sqe.opcode === CapOp.ThreadExit) {
      const op = { ref: c.me.ref, userLo: sqe.userLo, userHi: sqe.userHi };
      yield* complete(c.k, c.cpu, c.cs, c.cp, op, -EINVAL);
      continue;
    }
    yield* dispatch(c, sqe);
  }
  if (consumed > 0) c.k.traceDecision(TraceKind.CapSqpoll, c.me.thread.id, consumed);
  yield* fireDueTimeouts(c.k, c.cpu, c.cs, c.cp, ring); // the ring's due Timeout operations
  return consumed;
}

function setNeedWakeup(ring: CapRing, on: boolean): void {
  const w = ring.core.words;
  const flags = w.load(RING_SQ_FLAGS);
  w.store(RING_SQ_FLAGS, (on ? flags | RING_SQ_NEED_WAKEUP : flags & ~RING_SQ_NEED_WAKEUP) >>> 0);
}
