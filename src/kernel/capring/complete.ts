/**
 * Posting a completion (RING-1..RING-3): the CQE goes to the ring its submitter's reference names.
 * In thread mode that is the thread's own ring, and a reference that no longer resolves (the
 * thread exited, or its slot now holds a newer thread) is rejected and counted: the generation
 * check of capOS's ThreadRef (models-2.md §11.6). In process mode every completion goes to the
 * process's one CQ, a dead submitter's too (counted as delivered stale: the user runtime must
 * recognise it by user_data). A posted CQE that satisfies the ring's blocked waiter wakes it.
 */
import { TraceKind } from '../../abi/trace.ts';
import type { Cpu } from '../../hw/cpu.ts';
import { type KernelGen, spend } from '../../hw/effects.ts';
import type { Kernel } from '../kernel.ts';
import { ProcessState } from '../process.ts';
import { satisfied } from './enter.ts';
import { Posted } from './ring.ts';
import type { CapProcess, CapRing, CapringKernel, PendingOp } from './state.ts';

export function* complete(
  k: Kernel,
  cpu: Cpu,
  cs: CapringKernel,
  cp: CapProcess,
  op: PendingOp,
  result: number,
  value = 0,
): KernelGen<void> {
  if (cp.process.state !== ProcessState.Alive) return; // its memory is gone with it
  const live = cp.refs.resolve(op.ref);
  let ring: CapRing;
  if (cs.options.rings === 'thread') {
    if (live === null) {
      cs.counts.staleRejected++;
      k.traceDecision(TraceKind.CapStaleRejected, op.ref.slot, op.ref.generation);
      return;
    }
    ring = live.ring;
  } else {
    if (live === null) cs.counts.staleDelivered++;
    ring = cp.processRing;
  }
  yield spend(k.board.costs.capCqeNs);
  const how = ring.core.post({ userLo: op.userLo, userHi: op.userHi, result, flags: 0, value });
  cs.counts.cqes++;
  if (how === Posted.Overflowed) cs.counts.overflowed++;
  if (how === Posted.Dropped) cs.counts.dropped++;
  const owner = cs.options.rings === 'thread' ? (live?.thread.id ?? -1) : -1;
  k.traceDecision(TraceKind.CapPost, owner, result);
  if (how !== Posted.Ring) k.traceDecision(TraceKind.CapOverflow, owner, how);
  yield* wakeIfSatisfied(k, cpu, ring);
}

/** Wakes the ring's blocked waiter when the CQ now holds what it waits for (or a drop to report). */
export function* wakeIfSatisfied(k: Kernel, cpu: Cpu, ring: CapRing): KernelGen<void> {
  const waiter = ring.waiter;
  if (waiter === null) return;
  if (satisfied(ring, ring.waiterMin, ring.waiterSinceTail) || ring.core.droppedPending) {
    yield* k.wakeThread(cpu, waiter);
  }
}
