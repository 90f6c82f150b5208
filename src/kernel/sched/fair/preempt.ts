/**
 * Who preempts whom in the `fair` policy: whether a context just queued on a CPU should take it
 * from what runs there (Linux's check_preempt_curr: across classes, RT levels and deadlines by
 * rank, between fair contexts by the wakeup granularity), and how a CPU is told to reschedule
 * (resched_curr: its flag, and a reschedule IPI when it is another CPU).
 */
import { assert } from '../../../engine/assert.ts';
import type { Cpu } from '../../../hw/cpu.ts';
import { type KernelGen, sendIpi } from '../../../hw/effects.ts';
import { VEC_IPI_SWITCH } from '../../../hw/vectors.ts';
import type { Thread } from '../../thread.ts';
import { wakeupPreempts } from './cfs.ts';
import { CLASS_FAIR, entity, outranks } from './entity.ts';
import type { FairState } from './state.ts';

/** Reschedules `target` if it is idle or `t` (just queued there) should preempt its current context. */
export function* kick(s: FairState, cpu: Cpu, target: number, t: Thread): KernelGen<void> {
  const curr = s.rq(target).curr;
  let preempt = curr === null;
  if (curr !== null && (entity(t).klass !== CLASS_FAIR || entity(curr).klass !== CLASS_FAIR)) {
    preempt = outranks(t, curr);
  } else if (curr !== null) {
    preempt = wakeupPreempts(s, curr, t);
  }
  if (preempt) yield* reschedCpu(s, cpu, target);
}

/** Asks `target` to reschedule: its flag, and an IPI when it is another CPU. */
export function* reschedCpu(s: FairState, cpu: Cpu, target: number): KernelGen<void> {
  const needResched = s.host.needResched;
  assert(target >= 0 && target < needResched.length, 'fair: reschedule of no CPU');
  if (target === cpu.id) {
    needResched[target] = 1;
  } else if (needResched[target] === 0) {
    needResched[target] = 1;
    s.counts.wakeIpis++;
    yield sendIpi(target, VEC_IPI_SWITCH);
  }
}
